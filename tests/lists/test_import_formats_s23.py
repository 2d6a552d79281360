"""LST-2, LST-3, LST-9 (session 23): what real files and API clients showed breaking.

* BibTeX's ``chapter`` was dropped: Better BibTeX's fixtures (tests/data/bibtex/bbt/, README there) have
  ``chapter = {12}`` on a crossref'd ``@inbook`` and a newspaper section written as ``chapter`` (BBT #587);
* a shortDOI written without ``10/`` (``https://doi.org/fqd6hj``: the shortDOI service resolves both forms)
  was kept as a DOI no one can match;
* an empty ``.bib``/``.biblatex``/``.ris`` was refused as "neither RIS nor BibTeX" or "no line starts 'TY  - '";
* the API took tags by code only, while the pages and the spreadsheet import take names."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from syllabus.citations import formats
from syllabus.lists.models import Citation

DATA = Path(__file__).resolve().parent.parent / "data"


def _bib(name: str) -> list:
    return formats.parse((DATA / "bibtex" / name).read_text(encoding="utf-8"), "", name)[1]


def test_a_bibtex_chapter_number_is_kept_and_exported_again():
    entries = _bib("bbt/child-items-that-use-the-crossref-field-2373.bib")
    inbook, incollection = entries[0], entries[2]
    for entry in (inbook, incollection):
        assert entry.csl["chapter-number"] == "12" and "chapter" not in entry.dropped
        assert entry.csl["title"] == "Lebanon" and entry.csl["type"] == "chapter"
        assert entry.csl["container-title"] == "Global Civil Society: Dimensions of the Nonprofit Sector"
    hauck = _bib("bbt/crossrefd-incollection-items-are-missing-date-on-import-3514.bib")[1]
    assert hauck.csl["chapter-number"] == "4" and hauck.csl["issued"] == {"date-parts": [[2007]]}
    again = formats.parse(formats.to_bibtex([inbook.csl]), "bibtex")[1][0]
    assert "chapter = {12}" in formats.to_bibtex([inbook.csl]) and again.csl["chapter-number"] == "12"


def test_a_chapter_that_is_a_name_is_a_newspaper_section_or_the_chapter_s_title():
    review = _bib("bbt-excerpts-chapter.bib")[0]
    assert review.csl["section"] == "Sunday Book Review" and "chapter" not in review.dropped
    chapter = formats.parse("@inbook{k, title = {The Whole Book}, chapter = {The First Part}, publisher = {P}, year = 2001}",
                            "bibtex")[1][0].csl
    assert (chapter["title"], chapter["container-title"], chapter["type"]) == ("The First Part", "The Whole Book", "chapter")


@pytest.mark.parametrize("written, url", [
    ("https://doi.org/fqd6hj", "https://doi.org/fqd6hj"),
    ("doi.org/abcde", "https://doi.org/abcde"),
    ("http://dx.doi.org/bq3c", "https://doi.org/bq3c"),
    ("doi.org/10/fqd6hj", "https://doi.org/10/fqd6hj"),
])
def test_a_short_doi_without_its_10_prefix_becomes_the_entry_s_link(written, url):
    for text, fmt in ((f"@article{{k, title = {{Short}}, journal = {{J}}, doi = {{{written}}}}}", "bibtex"),
                      (f"TY  - JOUR\nTI  - Short\nDO  - {written}\nER  - \n", "ris"),
                      (json.dumps([{"type": "article-journal", "title": "Short", "DOI": written}]), "csl-json")):
        csl = formats.parse(text, fmt)[1][0].csl
        assert "DOI" not in csl and csl["URL"] == url, (fmt, csl)
    full = formats.parse("@article{k, title = {Full}, doi = {https://doi.org/10.1037/0003-066X.59.5.339}}", "bibtex")[1][0]
    assert full.csl["DOI"] == "10.1037/0003-066X.59.5.339"


def _upload(client, user, list_id, name, raw: bytes, **extra):
    from syllabus.org.services import create_api_token

    _, token = create_api_token(user)
    return client.post(f"/api/v1/lists/{list_id}/import", {"file": SimpleUploadedFile(name, raw), **extra},
                       HTTP_AUTHORIZATION=f"Bearer {token}")


@pytest.mark.parametrize("name, raw", [("refs.bib", b""), ("refs.biblatex", b""), ("refs.ris", b""),
                                       ("refs.ris", b"\r\n\r\n  \r\n"), ("refs.bibtex", b"\xef\xbb\xbf\n")])
def test_an_empty_file_is_refused_saying_it_is_empty(client, instructor, built_list, name, raw):
    lst = built_list["list"]
    before = Citation.objects.filter(resource_list=lst).count()
    r = _upload(client, instructor, lst.pk, name, raw)
    assert r.status_code == 400, r.content
    assert r.json()["rule"] == "LST-9" and r.json()["detail"].startswith(f"the file {name} is empty")
    client.force_login(instructor)
    page = client.post(f"/catalog/lists/{lst.pk}/import/", {"file": SimpleUploadedFile(name, raw)}, HTTP_HX_REQUEST="true")
    assert page.status_code == 400 and "LST-9" in page.content.decode() and f"the file {name} is empty" in page.content.decode()
    assert Citation.objects.filter(resource_list=lst).count() == before


def test_a_biblatex_file_by_its_name_is_read_as_bibtex(client, instructor, built_list):
    lst = built_list["list"]
    r = _upload(client, instructor, lst.pk, "refs.biblatex", (DATA / "bibtex" / "bbt-excerpts-chapter.bib").read_bytes())
    assert r.status_code == 200 and (r.json()["format"], r.json()["created"]) == ("bibtex", 1), r.content
    only_a_comment = _upload(client, instructor, lst.pk, "notes.biblatex", b"% nothing here yet\n")
    assert only_a_comment.status_code == 400 and "no BibTeX entry" in only_a_comment.json()["detail"]


def test_the_api_takes_tags_by_name_in_any_case_and_language(api, instructor, librarian, built_list):
    lst, section = built_list["list"], built_list["sections"][0]
    teacher = api(instructor)
    r = teacher.post(f"/api/v1/lists/{lst.pk}/citations", {"section_id": section.pk, "type": "book",
                                                          "metadata": {"title": "Tagged by name"},
                                                          "tags": ["ESSENTIAL", "recommandé", "optional"]})
    assert r.status_code == 201, r.content
    citation = Citation.objects.get(pk=r.json()["id"])
    assert citation.tags == ["essential", "recommended", "optional"]
    r = teacher.patch(f"/api/v1/citations/{citation.pk}", {"tags": ["Essential", "essential"]})
    assert r.status_code == 200 and r.json()["tags"] == ["essential"], r.content
    unknown = teacher.patch(f"/api/v1/citations/{citation.pk}", {"tags": ["Must read"]})
    assert unknown.status_code == 400 and unknown.json()["rule"] == "LST-3"
    assert "'Must read'" in unknown.json()["detail"] and "essential (Essential)" in unknown.json()["detail"]
    system = teacher.patch(f"/api/v1/citations/{citation.pk}", {"tags": ["new edition available"]})
    assert system.status_code == 403 and system.json()["rule"] == "LST-3"
    citation.refresh_from_db()
    assert citation.tags == ["essential"]
    r = api(librarian).patch(f"/api/v1/citations/{citation.pk}", {"tags": ["Essential", "New Edition Available"]})
    assert r.status_code == 200 and r.json()["tags"] == ["essential", "new_edition_available"], r.content


def test_the_openapi_schema_says_tags_are_taken_by_code_or_name(api):
    schema = api().get("/api/v1/openapi.json").json()["components"]["schemas"]
    for name in ("CitationIn", "CitationPatch"):
        tags = schema[name]["properties"]["tags"]
        assert "by its code" in tags["description"] and "by its name" in tags["description"], tags


def test_date_ranges_of_the_csl_test_suite_export_in_every_style_with_their_year(client, api, instructor, built_list):
    """The CSL test-suite's ``date_RangeDelimiter`` (tests/data/csl/dates/, copied whole): its INPUT imported,
    then the list exported. IEEE's bibliography answered 500 (citeproc-py: ``context.join`` on a <text>), and a
    range within one year (2–4 January 1999) printed no date at all where a style shows the year only."""
    from syllabus.citations.bibliography import PICKER
    from syllabus.org.services import create_api_token

    from tests.citations.test_csl_golden import _sections

    lst = built_list["list"]
    fixture = (DATA / "csl" / "dates" / "date_RangeDelimiter.txt").read_text(encoding="utf-8")
    _, token = create_api_token(instructor)
    r = client.post(f"/api/v1/lists/{lst.pk}/import", {"file": SimpleUploadedFile("ranges.json", _sections(fixture)["INPUT"].encode())},
                    HTTP_AUTHORIZATION=f"Bearer {token}")
    assert r.status_code == 200 and r.json()["created"] == 6, r.content
    teacher = api(instructor)
    for style, _label in PICKER:
        for fmt in ("html", "docx"):
            answer = teacher.get(f"/api/v1/lists/{lst.pk}/export", {"format": fmt, "style": style})
            assert answer.status_code == 200, (style, fmt, answer.content[:300])
    apa = teacher.get(f"/api/v1/lists/{lst.pk}/export", {"format": "html", "style": "apa"}).content.decode()
    assert "<i>Year, Month, Day, with repeated month and year</i>. (1999)." in apa
    assert "<i>Year, with differing year</i>. (1999–2000)." in apa
    ieee = teacher.get(f"/api/v1/lists/{lst.pk}/export", {"format": "html", "style": "ieee"}).content.decode()
    assert "“Year, Month, with repeated year,” Jan.–Mar. 1999." in ieee


def test_a_short_doi_in_a_spreadsheet_row_is_its_link_and_in_the_item_form_a_clear_refusal(client, api, instructor,
                                                                                            built_list):
    """A spreadsheet's DOI column holding a shortDOI refused the row ("DOI 10/fqd6hj is not valid"); the
    item form's DOI says what a shortDOI is and where its link goes."""
    lst = built_list["list"]
    csv = "Title,DOI\r\nShort one,https://doi.org/fqd6hj\r\nShorter one,10/bq3c\r\n".encode()
    r = _upload(client, instructor, lst.pk, "refs.csv", csv)
    assert r.status_code == 200 and (r.json()["created"], r.json()["rejected"]) == (2, 0), r.content
    short = Citation.objects.get(resource_list=lst, title="Short one")
    assert short.metadata["URL"] == "https://doi.org/fqd6hj" and "DOI" not in short.metadata
    assert Citation.objects.get(resource_list=lst, title="Shorter one").metadata["URL"] == "https://doi.org/10/bq3c"
    refused = api(instructor).patch(f"/api/v1/citations/{short.pk}", {"metadata": {"title": "Short one", "DOI": "doi.org/abcde"}})
    assert refused.status_code == 400 and refused.json()["rule"] == "LST-2", refused.content
    assert "is a shortDOI" in refused.json()["detail"] and "https://doi.org/abcde as the web address" in refused.json()["detail"]
