"""LST-9 / LST-2, session 21: reading lists in files written by a real office suite (LibreOffice:
tests/data/office/make_libreoffice_files.py), not by the libraries the import reads them with.

* Word bibliographies (the CSL test-suite's items rendered in APA, Harvard, Chicago, MLA): each
  reference read into its fields; only what was not read is tagged "Needs review"; the document's
  page header, footer and footnotes are not read;
* a Word reading list kept as tables under week headings: read as a spreadsheet (the mapping step),
  each week heading the section of its table's rows, a title's hyperlink its DOI;
* a workbook of three sheets: the sheet holding the list is found (Talis Aspire's reporting column
  names), another is chosen by name, and the header row by hand; a week cell merged down its rows,
  date cells and hyperlinked cells."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from syllabus.lists import services
from syllabus.lists.models import Citation

pytestmark = pytest.mark.django_db

OFFICE = Path(__file__).resolve().parents[1] / "data" / "office"
BIBLIOGRAPHIES = {style: f"lo-bibliography-{style}.docx" for style in ("apa", "harvard", "chicago", "mla")}
TABLES, WORKBOOK = "lo-reading-list-table.docx", "lo-talis-workbook.xlsx"
INSTRUCTIONS = "lo-reading-list-instructions.docx"


def _post(client, lst, name, path="import", **data):
    return client.post(f"/api/v1/lists/{lst.pk}/{path}", {"file": SimpleUploadedFile(name, (OFFICE / name).read_bytes()),
                                                         **data})


@pytest.fixture
def reading_list(instructor, course):
    return services.create_list(instructor, title="HIST 101", courses=[course])


def _items(lst):
    return list(Citation.objects.filter(resource_list=lst).select_related("section").order_by("section__position",
                                                                                            "position"))


@pytest.mark.parametrize("style", BIBLIOGRAPHIES)
def test_a_word_bibliography_written_by_libreoffice_is_read_reference_by_reference(client, instructor, reading_list,
                                                                                  style):
    client.force_login(instructor)
    r = _post(client, reading_list, BIBLIOGRAPHIES[style], path="import/preview")
    assert r.status_code == 200, r.content
    preview = r.json()
    # 33 references and the instruction paragraph (a note); the title (Title style) is skipped
    assert preview["format"] == "docx" and not preview["table"] and preview["total"] == 34
    texts = [row["values"][0] for row in preview["rows"]]
    assert texts[0] == "Read the starred items before the first seminar."
    # the page header and footer and the footnote are not part of the body
    assert not any(t.startswith(("HIST 101 – Spring", "Department of History", "Copies are on short loan")) for t in texts)
    assert all(row["section"] == "References" for row in preview["rows"][1:])
    # the instruction above the references is a note for students on the list, never a citation (LST-3, session 22)
    assert preview["rows"][0]["kind"] == "list" and not preview["rows"][0]["review"] and not preview["rows"][0]["refused"]
    read = [row for row in preview["rows"][1:] if not row["review"]]
    assert len(read) >= 12  # of the first 20 rows
    assert all(row["read"].startswith(("Authors: ", "Year: ")) and "Title: " in row["read"] for row in read)


def test_a_word_bibliography_is_imported_with_its_fields_and_the_rest_for_review(client, instructor, reading_list,
                                                                                settings, fake_http):
    settings.LIST_IMPORT_INLINE_LOOKUPS = 50  # six DOIs, which the local Crossref does not know (404)
    client.force_login(instructor)
    report = _post(client, reading_list, BIBLIOGRAPHIES["chicago"]).json()
    assert (report["format"], report["read"], report["created"], report["rejected"]) == ("docx", 33, 33, 0)
    assert [e["status"] for e in report["entries"]][:2] == ["note", "created"]
    items = {c.title: c for c in _items(reading_list)}
    zimbardo = items["Does Psychology Make a Significant Difference in Our Lives?"]
    assert zimbardo.metadata["author"] == [{"family": "Zimbardo", "given": "Philip G."}]
    assert (zimbardo.metadata["container-title"], zimbardo.metadata["volume"], zimbardo.metadata["issue"],
            zimbardo.metadata["page"]) == ("American Psychologist", "59", "5", "339–51")
    assert zimbardo.metadata["issued"] == {"date-parts": [[2004]]} and zimbardo.tags == []
    assert zimbardo.section.title == "References"
    jenrich = items["Exploratory Bi-factor Analysis: The Oblique Case."[:-1]]
    assert jenrich.metadata["DOI"] == "10.1007/s11336-012-9269-1" and jenrich.tags == []
    review = [c for c in items.values() if "needs_review" in c.tags]
    assert review and len(review) <= 8
    # the instruction is the list's note for students (its description), not an item to review (LST-3, session 22)
    assert "Read the starred items before the first seminar." not in items
    reading_list.refresh_from_db()
    assert reading_list.description == "Read the starred items before the first seminar."
    assert sum(1 for r in fake_http.requests if r["path"].startswith("/crossref/works/10.")) >= 5


def test_a_word_reading_list_kept_as_tables_is_read_as_a_spreadsheet(client, instructor, reading_list, settings,
                                                                    fake_http):
    settings.LIST_IMPORT_INLINE_LOOKUPS = 50
    client.force_login(instructor)
    preview = _post(client, reading_list, TABLES, path="import/preview").json()
    assert preview["table"] and preview["format"] == "docx" and preview["total"] == 4
    assert [(c["header"], c["field"]) for c in preview["columns"]] == [
        ("Title", "title"), ("Author(s)", "author"), ("Year", "year"), ("ISBN", "ISBN"), ("Online resource", "URL")]
    assert [r["section"] for r in preview["rows"]] == ["Week 1: Baseball and memoir"] * 2 + ["Week 2: Communication"] * 2

    report = _post(client, reading_list, TABLES).json()
    assert (report["created"], report["rejected"]) == (4, 0)
    yankee, finanzkrise, migrations, aac = _items(reading_list)
    assert yankee.title == "The Yankee Years" and yankee.metadata["ISBN"] == "9780385527408"
    assert [n["family"] for n in yankee.metadata["author"]] == ["Torre", "Verducci"]
    assert yankee.section.title == "Week 1: Baseball and memoir" and migrations.section.title == "Week 2: Communication"
    # the title was a hyperlink to its DOI (the "Online resource" cell was empty)
    assert finanzkrise.metadata["DOI"] == "10.1007/978-3-642-00230-4"
    assert aac.metadata["DOI"] == "10.3109/07434618.2014.906498" and aac.metadata["issued"] == {"date-parts": [[2014]]}
    # the paragraph outside the tables (and its footnote) is no item
    assert not Citation.objects.filter(resource_list=reading_list, title__startswith="Items marked").exists()


def test_the_sheet_holding_the_list_is_found_among_three_and_talis_columns_are_known(client, instructor,
                                                                                    reading_list, fake_http):
    client.force_login(instructor)
    preview = _post(client, reading_list, WORKBOOK, path="import/preview").json()
    assert preview["sheets"] == ["Notes", "All list items", "Week plan"] and preview["sheet"] == "All list items"
    fields = {c["header"]: c["field"] for c in preview["columns"]}
    assert (fields["title"], fields["chapter_article_title"], fields["authors"], fields["isbn10"], fields["isbn13"],
            fields["date_of_publication"], fields["start_page"], fields["end_page"], fields["importance"],
            fields["item_url"], fields["lcn"]) == (
        "container-title", "title", "author", "ISBN", "ISBN", "year", "page", "page", "tag", "ignore", "ignore")

    report = _post(client, reading_list, WORKBOOK).json()
    assert (report["created"], report["rejected"]) == (3, 0), report
    yankee, aac, finanzkrise = _items(reading_list)
    assert yankee.title == "The Yankee Years" and yankee.tags == ["essential"] and yankee.metadata["ISBN"] == "9780385527408"
    assert aac.title.startswith("From Basic to Applied Research") and aac.tags == ["recommended"]
    assert (aac.metadata["container-title"], aac.metadata["page"], aac.metadata["volume"]) == (
        "Augmentative and Alternative Communication", "99–105", "30")
    assert finanzkrise.title == "Eigentumsverfassung und Finanzkrise"
    assert finanzkrise.metadata["issued"] == {"date-parts": [[2009]]}  # "c2009", as in a MARC record


def test_another_sheet_merged_cells_dates_and_links(client, instructor, reading_list, fake_http):
    client.force_login(instructor)
    preview = _post(client, reading_list, WORKBOOK, path="import/preview", sheet="week PLAN").json()
    assert preview["sheet"] == "Week plan" and preview["total"] == 3
    assert [c["field"] for c in preview["columns"]] == ["section", "title", "author", "ISBN", "year"]
    # the "Week 1" cell is merged down two rows: both rows are in week 1
    assert [r["values"][0] for r in preview["rows"]] == ["Week 1", "Week 1", "Week 2"]
    assert [r["values"][4] for r in preview["rows"]] == ["2008-02-05", "2009-03-01", "2024-01-15"]

    report = _post(client, reading_list, WORKBOOK, sheet="3").json()
    assert (report["created"], report["rejected"]) == (3, 0)
    yankee, finanzkrise, migrations = _items(reading_list)
    assert yankee.section.title == finanzkrise.section.title == "Week 1" and migrations.section.title == "Week 2"
    assert yankee.metadata["URL"] == "https://openlibrary.org/isbn/0385527403"  # the title cell's hyperlink
    assert yankee.metadata["issued"] == {"date-parts": [[2008, 2, 5]]} and yankee.metadata["ISBN"] == "9780385527408"


def test_the_header_row_chosen_by_hand(client, instructor, reading_list):
    client.force_login(instructor)
    # the Leganto-style export has its header on row 3; row 4 chosen: its first data row names the columns
    preview = _post(client, reading_list, "reading-list-leganto.xlsx", path="import/preview").json()
    assert preview["header_row"] == 3
    chosen = _post(client, reading_list, "reading-list-leganto.xlsx", path="import/preview", header_row="4").json()
    assert chosen["header_row"] == 4 and chosen["total"] == preview["total"] - 1
    assert chosen["columns"][1]["header"] == "The Yankee Years" and chosen["columns"][1]["field"] == "ignore"
    # with the mapping given by the person, the rows below it are imported
    mapping = json.dumps([c["field"] for c in preview["columns"]])
    report = _post(client, reading_list, "reading-list-leganto.xlsx", header_row="4", mapping=mapping).json()
    assert report["created"] >= 1 and report["created"] + report["rejected"] == preview["total"] - 1
    assert not Citation.objects.filter(resource_list=reading_list, title="The Yankee Years").exists()


@pytest.mark.parametrize("data, field, says", [
    ({"sheet": "Syllabus"}, "sheet", "the workbook has no sheet 'Syllabus' (sheets: Notes, All list items, Week plan)"),
    ({"sheet": "4"}, "sheet", "no sheet '4'"),
    ({"header_row": "40"}, "header_row", "has no row 40"),
    ({"sheet": "Notes", "header_row": "2"}, "header_row", "has no row 2"),
])
def test_a_sheet_or_header_row_that_is_not_there_is_refused_naming_the_rule(client, instructor, reading_list, data,
                                                                            field, says):
    client.force_login(instructor)
    r = _post(client, reading_list, WORKBOOK, path="import/preview", **data)
    assert r.status_code == 400, r.content
    body = r.json()
    assert body["rule"] == "LST-9" and body["field"] == field and says in body["detail"]
    assert not Citation.objects.filter(resource_list=reading_list).exists()


@pytest.mark.parametrize("name, data, field", [
    ("reading-list-utf8-bom.csv", {"sheet": "Sheet1"}, "sheet"),  # a CSV file has no sheets
    (TABLES, {"header_row": "2"}, "header_row"),  # a Word table's header is found, not chosen
])
def test_sheet_and_header_row_are_for_spreadsheets(client, instructor, reading_list, name, data, field):
    client.force_login(instructor)
    r = _post(client, reading_list, name, **data)
    assert r.status_code == 400 and r.json()["rule"] == "LST-9" and r.json()["field"] == field


@pytest.mark.parametrize("value", ["0", "50012", "-3", "999999999999"])
def test_the_header_row_is_bounded(client, instructor, reading_list, value):
    client.force_login(instructor)
    r = _post(client, reading_list, WORKBOOK, path="import/preview", header_row=value)
    assert r.status_code in (400, 422) and "header_row" in r.content.decode()


def test_the_page_offers_the_sheets_and_the_header_row(client, instructor, reading_list):
    client.force_login(instructor)
    url = reverse("catalog:list-import-preview", args=[reading_list.pk])
    page = client.post(url, {"file": SimpleUploadedFile(WORKBOOK, (OFFICE / WORKBOOK).read_bytes())},
                       HTTP_HX_REQUEST="true").content.decode()
    assert 'data-testid="import-sheet"' in page and ">Week plan</option>" in page
    assert 'value="All list items" selected' in page and 'name="header_row"' in page and 'value="1"' in page
    page = client.post(url, {"file": SimpleUploadedFile(WORKBOOK, (OFFICE / WORKBOOK).read_bytes()), "sheet": "Week plan"},
                       HTTP_HX_REQUEST="true").content.decode()
    assert 'value="Week plan" selected' in page and "Week 1" in page


def test_a_word_reading_list_with_instructions_gives_sections_and_notes_for_students_never_items(
        client, instructor, student, reading_list):
    """LST-1, LST-3 (session 22): a reading list as an instructor writes it in LibreOffice — weeks typed
    as plain paragraphs and one in "Heading 1", instructions under each heading and after an item.
    The weeks are sections; an instruction is a note for students (on the list, the section or the
    item above it), never a citation tagged "Needs review"."""
    client.force_login(instructor)
    preview = _post(client, reading_list, INSTRUCTIONS, path="import/preview").json()
    assert [(r["kind"], r["section"]) for r in preview["rows"]] == [
        ("list", ""), ("section", "Week 1: Foundations"), ("citation", "Week 1: Foundations"),
        ("citation", "Week 1: Foundations"), ("section", "Week 2: Sources"), ("citation", "Week 2: Sources"),
        ("citation", "Week 2: Sources"), ("section", "Semaine 3 – La ville"), ("citation", "Semaine 3 – La ville")]
    assert not any(r["review"] for r in preview["rows"]) and preview["refused"] == 0
    assert preview["rows"][2]["public_note"] == "Focus on the discussion of method on pages 340 to 345."

    report = _post(client, reading_list, INSTRUCTIONS).json()
    assert (report["created"], report["rejected"], report["read"]) == (5, 0, 5)
    reading_list.refresh_from_db()
    assert reading_list.description == "Read the starred items before the first seminar."
    sections = {s.title: s for s in reading_list.sections.all()}
    assert list(sections) == ["Week 1: Foundations", "Week 2: Sources", "Semaine 3 – La ville"]
    assert sections["Week 1: Foundations"].description == "Please read chapters 1–3 of the course reader before the seminar."
    assert sections["Week 2: Sources"].description == "Bring a printed copy of each text to class."
    assert sections["Semaine 3 – La ville"].description == "Lire l'introduction avant la séance."
    items = _items(reading_list)
    assert not any("needs_review" in c.tags for c in items)
    assert items[0].public_note == "Focus on the discussion of method on pages 340 to 345."
    assert not Citation.objects.filter(resource_list=reading_list, title__regex=r"^(Read|Please|Bring|Lire|Focus)").exists()
    # the same file again adds no second copy of a note
    _post(client, reading_list, INSTRUCTIONS)
    assert reading_list.sections.get(title="Week 2: Sources").description == "Bring a printed copy of each text to class."
    # students see the notes on the list's page once it is published
    services.set_visibility(instructor, reading_list, "published")
    client.force_login(student)
    page = client.get(f"/lists/{reading_list.pk}/").content.decode()
    assert "Bring a printed copy of each text to class." in page and "Focus on the discussion of method" in page
