"""LST-2, LST-9 (session 22): "Paste citations" in the list editor and the API.  An instructor
pastes formatted references (APA, Chicago, MLA as copied from a Word bibliography or Google
Scholar), a RIS or BibTeX record, or DOIs/ISBNs; Syllabus says what it read — the format and each
entry's fields — before anything is added, then adds them to the chosen section through the list
import (one librarian task, the lookups of the editor's identifier lookup, "Needs review" for a
reference not read whole).  References are the CSL test-suite's items as citeproc renders them
(tests/data/csl/golden); the identifier lookups go to a local server speaking Crossref's and Open
Library's protocol (tests/catalog/conftest.py)."""
from __future__ import annotations

from pathlib import Path

import pytest

from syllabus.lists import services
from syllabus.lists.models import Citation, LibrarianTask
from tests.catalog.conftest import fake_http  # noqa: F401 — the local Crossref / Open Library

pytestmark = pytest.mark.django_db

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "csl" / "golden"
HTMX = {"HTTP_HX_REQUEST": "true"}


def golden(style: str, number: int) -> str:
    for line in (GOLDEN / f"{style}.en.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith(f"{number}\t"):
            return line.split("\t", 1)[1]
    raise KeyError(number)


ZIMBARDO_APA = golden("apa", 10)
SPIVAK_CHICAGO = golden("chicago-author-date", 15)
ZIMBARDO_MLA = golden("modern-language-association", 10)
RIS = """TY  - JOUR
AU  - Harrison, Warren
TI  - Editorial: Open Source and Empirical Software Engineering
JF  - Empirical Software Engineering
VL  - 6
IS  - 3
SP  - 193
EP  - 194
PY  - 2001
ER  -
"""


@pytest.fixture
def reading_list(instructor, course):
    lst = services.create_list(instructor, title="SOC 210", courses=[course])
    services.add_section(instructor, lst, title="Week 1")
    services.add_section(instructor, lst, title="Week 2")
    return lst


def _items(lst):
    return list(Citation.objects.filter(resource_list=lst).select_related("section").order_by("section__position", "position"))


def test_pasted_references_in_three_styles_are_previewed_field_by_field_and_nothing_is_added(api, instructor,
                                                                                            reading_list):
    text = "\n".join([ZIMBARDO_APA, SPIVAK_CHICAGO, ZIMBARDO_MLA, "Some notes I copied by mistake 12"])
    r = api(instructor).post(f"/api/v1/lists/{reading_list.pk}/paste/preview", {"text": text})
    assert r.status_code == 200, r.content
    preview = r.json()
    assert (preview["format"], preview["total"], preview["review"], preview["refused"]) == ("text", 4, 1, 0)
    apa, chicago, mla, odd = preview["rows"]
    assert apa["csl"]["author"][0]["family"] == "Zimbardo" and apa["csl"]["issued"] == {"date-parts": [[2004]]}
    assert (apa["csl"]["container-title"], apa["csl"]["volume"], apa["csl"]["issue"], apa["csl"]["page"]) == (
        "American Psychologist", "59", "5", "339–351")
    assert chicago["csl"]["type"] == "chapter" and chicago["csl"]["author"][0]["family"] == "Spivak"
    assert mla["csl"]["title"] == "Does Psychology Make a Significant Difference in Our Lives?" and not mla["review"]
    # what is not read whole is flagged, as the Word import flags it
    assert odd["review"] and odd["title"] == "Some notes I copied by mistake 12"
    assert [r["line"] for r in preview["rows"]] == [1, 2, 3, 4]
    assert not Citation.objects.filter(resource_list=reading_list).exists()


def test_pasted_references_are_added_to_the_chosen_section_with_one_librarian_task(api, instructor, reading_list):
    week2 = reading_list.sections.get(title="Week 2")
    text = f"{ZIMBARDO_APA}\n\n{SPIVAK_CHICAGO}\n\nSome notes I copied by mistake 12"
    r = api(instructor).post(f"/api/v1/lists/{reading_list.pk}/paste", {"text": text, "section_id": week2.pk})
    assert r.status_code == 201, r.content
    report = r.json()
    assert (report["format"], report["read"], report["created"], report["rejected"]) == ("text", 3, 3, 0)
    zimbardo, spivak, odd = _items(reading_list)
    assert {c.section.title for c in (zimbardo, spivak, odd)} == {"Week 2"}
    assert zimbardo.title == "Does Psychology make a significant difference in our lives?" and zimbardo.tags == []
    assert zimbardo.type == "article" and spivak.type == "book_chapter"
    assert odd.tags == ["needs_review"] and odd.title == "Some notes I copied by mistake 12"


def test_a_ris_record_and_a_bibtex_entry_are_read_by_the_import_readers(api, instructor, reading_list):
    r = api(instructor).post(f"/api/v1/lists/{reading_list.pk}/paste/preview", {"text": RIS})
    assert r.json()["format"] == "ris" and r.json()["rows"][0]["csl"]["page"] == "193-194"
    bib = "@book{austen, author = {Austen, Jane}, title = {Pride and Prejudice}, publisher = {Penguin}, year = {2003}}"
    r = api(instructor).post(f"/api/v1/lists/{reading_list.pk}/paste", {"text": bib})
    assert r.status_code == 201 and r.json()["format"] == "bibtex" and r.json()["created"] == 1
    (austen,) = _items(reading_list)
    assert austen.title == "Pride and Prejudice" and austen.metadata["publisher"] == "Penguin"
    assert austen.section.title == "Week 2"  # no section chosen: the list's last


def test_a_doi_and_an_isbn_alone_are_looked_up_and_what_nobody_knows_is_kept_for_review(api, instructor, reading_list,
                                                                                       fake_http):  # noqa: F811
    fake_http.route("/crossref/works/10.1038/nature14539", file="crossref_10.1038_nature14539.json")
    fake_http.route("/crossref/works/10.12345/123456", status=404, body="Resource not found.")
    fake_http.route("/openlibrary/api/books?bibkeys=ISBN%3A9780141439518&format=json&jscmd=data",
                    file="openlibrary_isbn_9780141439518.json")
    text = "https://doi.org/10.1038/nature14539\n0141439513\ndoi:10.12345/123456"
    preview = api(instructor).post(f"/api/v1/lists/{reading_list.pk}/paste/preview", {"text": text}).json()
    assert [r["identifier"] for r in preview["rows"]] == ["10.1038/nature14539", "9780141439518", "10.12345/123456"]
    assert fake_http.requests == []  # the preview looks nothing up
    report = api(instructor).post(f"/api/v1/lists/{reading_list.pk}/paste", {"text": text}).json()
    assert report["created"] == 3
    deep, pride, unknown = _items(reading_list)
    assert deep.title == "Deep learning" and deep.metadata["container-title"] == "Nature" and deep.tags == []
    assert pride.title == "Pride and Prejudice: a novel" and pride.tags == []
    assert unknown.tags == ["needs_review"] and unknown.metadata["DOI"] == "10.12345/123456"


def test_headings_and_instructions_pasted_with_references_become_sections_and_notes(api, instructor, reading_list):
    text = "\n".join(["Week 3: Cities", "Read chapters 1–3 before the seminar.", ZIMBARDO_APA,
                      "Focus on the discussion of method.", SPIVAK_CHICAGO])
    report = api(instructor).post(f"/api/v1/lists/{reading_list.pk}/paste", {"text": text}).json()
    assert [e["status"] for e in report["entries"]] == ["note", "created", "created"]
    week3 = reading_list.sections.get(title="Week 3: Cities")
    assert week3.description == "Read chapters 1–3 before the seminar."
    zimbardo, spivak = _items(reading_list)
    assert zimbardo.section == week3 and zimbardo.public_note == "Focus on the discussion of method."
    assert spivak.public_note == "" and not Citation.objects.filter(title__startswith="Read chapters").exists()


def test_a_bibliography_of_one_reference_a_line_with_its_weeks_parted_by_blank_lines_keeps_each_reference(
        api, instructor, reading_list):
    """LST-1, LST-9 (session 25's outside walk): an instructor pasted weeks parted by blank lines, one
    reference a line; each block was read as ONE reference (the heading and the note as its authors,
    the next reference's DOI or publisher as its own). A reference wrapped over several lines is still one."""
    text = "\n".join(["Week 3: Cities", "Read chapters 1–3 before the seminar.", ZIMBARDO_APA, SPIVAK_CHICAGO, "",
                      "Week 4: Class", ZIMBARDO_MLA])
    report = api(instructor).post(f"/api/v1/lists/{reading_list.pk}/paste", {"text": text}).json()
    assert [e["status"] for e in report["entries"]] == ["note", "created", "created", "created"], report
    items = _items(reading_list)
    assert [(c.section.title, c.title, c.tags) for c in items] == [
        ("Week 3: Cities", "Does Psychology make a significant difference in our lives?", []),
        ("Week 3: Cities", "Cultural Talks in the 'Hot Peace': Revisiting the Global Village", []),
        ("Week 4: Class", "Does Psychology Make a Significant Difference in Our Lives?", [])]
    assert reading_list.sections.get(title="Week 3: Cities").description == "Read chapters 1–3 before the seminar."
    wrapped = ZIMBARDO_APA.replace(" American Psychologist", "\nAmerican Psychologist")
    r = api(instructor).post(f"/api/v1/lists/{reading_list.pk}/paste/preview", {"text": f"{wrapped}\n\n{SPIVAK_CHICAGO}"})
    apa, chicago = r.json()["rows"]
    assert apa["csl"]["container-title"] == "American Psychologist" and not apa["review"]
    assert chicago["csl"]["author"][0]["family"] == "Spivak"


@pytest.mark.parametrize("text, field, detail", [
    ("   \n ", "text", "LST-9: paste one or more references"),
    ("Week 2\nRead the introduction before the seminar.", "text", "LST-9: nothing pasted reads as a reference"),
    ("\n".join(["10.1038/nature14539"] * 4), "text", "LST-9: at most 3 DOIs or ISBNs are looked up at once (4 pasted)"),
    ("\n".join([ZIMBARDO_APA] * 201), "text", "LST-9: at most 200 references can be pasted at once (201 pasted)"),
])
def test_bounds_and_empty_pastes_are_refused_naming_the_rule_and_nothing_is_added(api, instructor, reading_list, text,
                                                                                  field, detail):
    r = api(instructor).post(f"/api/v1/lists/{reading_list.pk}/paste", {"text": text})
    assert r.status_code == 400, r.content
    assert f"{r.json()['rule']}: {r.json()['detail']}".startswith(detail) and r.json()["field"] == field
    assert not Citation.objects.filter(resource_list=reading_list).exists()


def test_a_paste_over_its_size_is_refused_before_it_is_read(api, instructor, reading_list):
    r = api(instructor).post(f"/api/v1/lists/{reading_list.pk}/paste", {"text": "x" * 50_001})
    assert r.status_code == 422 and r.json()["field"] == "text"
    r = api(instructor).post(f"/api/v1/lists/{reading_list.pk}/paste/preview", {"text": "x" * 50_001})
    assert r.status_code == 422


def test_only_the_lists_editors_paste(api, student, make_user, reading_list, instructor):
    reading_list.visibility = "published"
    reading_list.save()
    assert api(student).post(f"/api/v1/lists/{reading_list.pk}/paste", {"text": ZIMBARDO_APA}).status_code in (403, 404)
    assert api(student).post(f"/api/v1/lists/{reading_list.pk}/paste/preview", {"text": ZIMBARDO_APA}).status_code in (403, 404)
    assert not Citation.objects.filter(resource_list=reading_list).exists()


def test_the_editor_page_previews_then_adds_the_pasted_citations(client, instructor, reading_list):
    client.force_login(instructor)
    week1 = reading_list.sections.get(title="Week 1")
    url = f"/lists/{reading_list.pk}/edit/paste/"
    r = client.post(url, {"text": f"{ZIMBARDO_APA}\nSome notes I copied by mistake 12", "section": week1.pk}, **HTMX)
    assert r.status_code == 200
    page = r.content.decode()
    assert "2 references read." in page and "1 will be tagged “Needs review”." in page
    assert "American Psychologist" in page and "Add 2 items" in page
    assert not Citation.objects.filter(resource_list=reading_list).exists()
    r = client.post(url + "add/", {"text": f"{ZIMBARDO_APA}\nSome notes I copied by mistake 12", "section": week1.pk},
                    **HTMX)
    assert r.status_code == 200 and "2 items added. 1 is tagged “Needs review”: check its fields." in r.content.decode()
    assert [c.section for c in _items(reading_list)] == [week1, week1]
    # a plain form post (no JavaScript): the preview on the editor's page
    r = client.post(url, {"text": ZIMBARDO_MLA})
    assert r.status_code == 200 and "1 reference read." in r.content.decode()
    # an empty paste: the rule, in place
    r = client.post(url, {"text": " "}, **HTMX)
    assert r.status_code == 400 and "LST-9:</strong> paste one or more references" in r.content.decode()


def test_a_refused_paste_without_javascript_goes_back_to_the_editor_or_to_the_refusal_page(client, instructor,
                                                                                         student, reading_list):
    """The paste preview's refusals go through the pages' one error layer (issue 17): a plain post
    of an empty paste is the editor again with the rule as a message; someone who may not edit
    the list meets the LST refusal page — nothing added either way."""
    url = f"/lists/{reading_list.pk}/edit/paste/"
    client.force_login(instructor)
    r = client.post(url, {"text": " "})
    assert r.status_code == 302 and r["Location"] == f"/lists/{reading_list.pk}/edit/#paste"
    assert "LST-9: paste one or more references" in client.get(r["Location"]).content.decode()
    reading_list.visibility = "published"
    reading_list.save()
    client.force_login(student)
    r = client.post(url, {"text": ZIMBARDO_APA})
    assert r.status_code == 403 and 'data-testid="rule-error"' in r.content.decode() and "Back to your lists" in r.content.decode()
    assert not Citation.objects.filter(resource_list=reading_list).exists()


def test_a_paste_on_a_sent_list_is_one_librarian_task(api, instructor, reading_list):
    services.add_citation(instructor, reading_list, None, "book", {"title": "Hard Times"})
    services.send_list(instructor, reading_list)
    before = LibrarianTask.objects.filter(resource_list=reading_list).count()
    api(instructor).post(f"/api/v1/lists/{reading_list.pk}/paste", {"text": f"{ZIMBARDO_APA}\n{SPIVAK_CHICAGO}"})
    assert LibrarianTask.objects.filter(resource_list=reading_list).count() == before + 1
