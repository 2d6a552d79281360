"""LST-2 / LST-9, session 22 (s22-outside): Better BibTeX's own exports, imported into a list through the API
as an instructor does, each entry added with its authors, title and a working link — or refused naming the rule.

Found by importing every BibTeX, biblatex and CSL-JSON file of Better BibTeX's test fixtures (540 files) and
JabRef's test resources (236): entries of real Zotero libraries were refused for what they are.

- A shortDOI (``10/fqd6hj``: the DOI Foundation's short form, which Zotero's DOI shortener and Better BibTeX
  write) refused the entry ("DOI 10/fqd6hj is not valid"): the entry now keeps the full DOI its doi.org URL
  names, else the shortDOI as its doi.org link.
- A biblatex ``@online`` with a DOI and no URL was refused as "a website citation needs a URL": the DOI is its link.
- A CSL-JSON open-ended date range (``"date-parts": [[2014, 12, 31], [0]]``) refused the entry
  ("issued [0] is not a valid date"): the date is its start.
- A biblatex EDTF season range with negative years (``date = {-0011-21/-0012-22}``) was refused with Python's
  own words ("invalid literal for int() with base 10: ''"); EDTF years are astronomical (``0000`` is 1 BC).
- An author with a given name only (``, David`` in a Zenodo author list) refused the entry ("each author needs a
  family name"): it is kept as the name it is.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from syllabus.lists import services
from syllabus.lists.models import Citation

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parent.parent / "data"
BIB = DATA / "bibtex" / "bbt-export"
CSL = DATA / "csl" / "bbt-export"


def _import(client, instructor, course, path: Path) -> tuple[object, dict]:
    lst = services.create_list(instructor, title="Imported", courses=[course])
    client.force_login(instructor)
    r = client.post(f"/api/v1/lists/{lst.pk}/import", {"file": SimpleUploadedFile(path.name, path.read_bytes())})
    assert r.status_code == 200, r.content
    return lst, r.json()


def test_lst2_short_dois_keep_the_full_doi_of_their_url(client, instructor, course):
    lst, report = _import(client, instructor, course, CSL / "deterministic-ordering-1178-1400.json")
    assert (report["read"], report["created"], report["rejected"]) == (26, 26, 0), report
    item = Citation.objects.get(resource_list=lst, title__startswith="Perceptions of disability")
    assert item.metadata["DOI"] == "10.1177/0193723504268729"  # the file: "DOI": "10/fqd6hj", "URL": "https://doi.org/10.1177/..."
    assert item.metadata["author"] == [{"family": "Brittain", "given": "Ian"}]
    assert item.metadata["container-title"] == "Journal of Sport and Social Issues"


def test_lst2_a_short_doi_alone_becomes_its_doi_org_link(client, instructor, course):
    lst, report = _import(client, instructor, course, BIB / "define-word-delimiter-characters-1943.bib")
    assert report["created"] == 1 and report["rejected"] == 0, report
    item = Citation.objects.get(resource_list=lst)
    assert item.title.startswith("The Bottom-up Evolution of Representations in the Transformer")
    assert "DOI" not in item.metadata  # 10/ggd754 matches nothing in the catalog, Crossref or a link resolver
    assert item.metadata["URL"] == "https://aclanthology.org/D19-1448"  # its own URL kept


def test_lst2_a_short_doi_without_any_url_is_reached_through_doi_org(client, instructor, course, tmp_path):
    path = tmp_path / "short.bib"
    path.write_text("@article{k, title = {A title}, author = {Doe, Jane}, journal = {J}, doi = {10/ggd754}}\n")
    lst, report = _import(client, instructor, course, path)
    assert report["created"] == 1, report
    assert Citation.objects.get(resource_list=lst).metadata["URL"] == "https://doi.org/10/ggd754"


def test_lst2_an_online_entry_with_a_doi_and_no_url_is_reached_by_its_doi(client, instructor, course):
    lst, report = _import(client, instructor, course, BIB / "online-with-doi-2660.bib")
    assert (report["created"], report["rejected"]) == (3, 0), report
    item = Citation.objects.get(resource_list=lst, title__startswith="When Money Talks")
    assert item.type == "website"
    assert item.metadata["URL"] == "https://doi.org/10.17605/OSF.IO/9P7CB"
    assert item.metadata["DOI"] == "10.17605/OSF.IO/9P7CB"
    assert [a["family"] for a in item.metadata["author"]] == ["Leuker", "Samartzidis", "Hertwig", "Pleskac"]


def test_lst2_an_online_entry_with_neither_url_nor_doi_is_still_refused_naming_the_rule(client, instructor, course):
    _, report = _import(client, instructor, course, BIB / "season-ranges-860.bib")
    assert report["created"] == 0 and report["rejected"] == 6
    assert {(e["rule"], e["detail"]) for e in report["entries"]} == {("LST-2", "a website citation needs a URL")}


def test_lst9_biblatex_season_ranges_with_negative_years_are_read_as_dates(client, instructor, course, tmp_path):
    # the file's entries as articles (an @online without a URL is refused, above): their dates are read
    text = (BIB / "season-ranges-860.bib").read_text().replace("@online{", "@article{")
    path = tmp_path / "seasons.bib"
    path.write_text(text)
    lst, report = _import(client, instructor, course, path)
    assert (report["created"], report["rejected"]) == (6, 0), report
    dates = {c.title: c.metadata["issued"]["date-parts"] for c in Citation.objects.filter(resource_list=lst)}
    assert dates["-0011-21/-0012-22"] == [[-12, 21], [-13, 22]]  # EDTF -0011 is 12 BC: spring of 12 BC to summer of 13 BC
    assert dates["0000-21/0000-24"] == [[-1, 21], [-1, 24]]  # EDTF 0000 is 1 BC
    assert dates["0011-21/0012-22"] == [[11, 21], [12, 22]]


def test_lst2_an_open_ended_csl_date_range_is_its_start(client, instructor, course):
    lst, report = _import(client, instructor, course, CSL / "date-export-360-811.json")
    refused = {e["title"]: e["detail"] for e in report["entries"] if e["status"] == "rejected"}
    assert not any("valid date" in why for why in refused.values()), refused
    assert set(refused.values()) == {"a website citation needs a URL"}  # its web pages have no URL: refused, named
    item = Citation.objects.get(resource_list=lst, title__startswith="open-ended date range test")
    assert item.metadata["issued"] == {"date-parts": [[2014, 12, 31]]}  # the file: [["2014", 12, 31], [0]]
    manuscript = Citation.objects.get(resource_list=lst, title__startswith="A manuscript")
    assert manuscript.metadata["issued"] == {"date-parts": [[2014, 12, 31], [2015, 1, 1]]}


def test_lst2_an_author_with_a_given_name_only_is_kept_as_that_name(client, instructor, course):
    lst, report = _import(client, instructor, course, BIB / "missing-last-name-978.bib")
    assert (report["created"], report["rejected"]) == (1, 0), report
    authors = Citation.objects.get(resource_list=lst).metadata["author"]
    assert len(authors) == 30
    assert authors[4] == {"literal": "David"} and authors[24] == {"literal": "Brian"}  # ", David" and ", Brian"
    assert authors[0] == {"family": "Waskom", "given": "Michael"}


@pytest.mark.parametrize("fmt", ["html", "docx"])
def test_lst9_a_list_with_a_director_exports_as_a_bibliography(client, instructor, course, fmt):
    """citeproc-py read only CSL 1.0.1's name variables as names: a play's or a TV episode's ``director``
    (and ``script-writer``) stayed a string, and APA's <names variable="director"> failed — the list's HTML
    and DOCX export answered 500."""
    lst, _ = _import(client, instructor, course, CSL / "cheater-syntax-type-2473.json")
    r = client.post(f"/api/v1/lists/{lst.pk}/import",
                    {"file": SimpleUploadedFile("video.json", (CSL / "extra-field-type-video-3536.json").read_bytes())})
    assert r.status_code == 200 and r.json()["created"] == 1, r.content
    r = client.get(f"/api/v1/lists/{lst.pk}/export", {"format": fmt, "style": "apa"})
    assert r.status_code == 200, r.content
    if fmt == "docx":
        import io

        import docx

        text = "\n".join(p.text for p in docx.Document(io.BytesIO(r.content)).paragraphs)
    else:
        text = r.content.decode()
    assert "Schlingensief, C. (Director). (2001, May 10)." in text
    assert "Marre, J. (Director). (1992)." in text
