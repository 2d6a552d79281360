"""LST-9, session 20, in Chromium: the instructor opens "Import from Excel, CSV or Word" from the
list's editor, chooses a real Excel export, sees the columns with the fields guessed from their
headers and the first rows with their problems, changes what one column holds (the preview follows),
imports, and reads the per-entry report — then a Word document; axe finds no serious violation on
the page with its mapping step shown."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from syllabus.lists import services
from syllabus.lists.models import Citation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OFFICE = Path(__file__).resolve().parents[1] / "data" / "office"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def _axe_clean(page):
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]})
    blocking = [f"{v['id']}: {v['help']} {[n['target'] for n in v['nodes'][:3]]}" for v in results.response["violations"]
                if v["impact"] in ("serious", "critical")]
    assert not blocking, blocking


def test_upload_mapping_preview_and_import_of_a_spreadsheet_then_a_word_document(page, login, instructor, course,
                                                                                 fake_http):
    fake_http.route("/crossref/works/10.1038/nature14539", file="crossref_10.1038_nature14539.json")
    fake_http.route("/crossref/works/10.12345/123456", status=404, body="Resource not found.")
    fake_http.route("/openlibrary/api/books?bibkeys=ISBN%3A9780141439518&format=json&jscmd=data",
                    file="openlibrary_isbn_9780141439518.json")
    fake_http.route("/openlibrary/api/books", body="{}", content_type="application/json")  # nobody knows the others
    lst = services.create_list(instructor, title="SOC 210", courses=[course])
    login("instructor")
    page.goto(f"/lists/{lst.pk}/edit/")
    page.locator("[data-testid=list-transfer] details > summary", has_text="Import RIS").click()
    page.get_by_role("link", name="Import from Excel, CSV or Word").click()
    page.wait_for_url(re.compile(rf"/catalog/lists/{lst.pk}/import/office/$"))
    expect(page.get_by_role("link", name="Download the spreadsheet template (.xlsx)")).to_be_visible()

    page.get_by_label("File (.xlsx, .csv or .docx)").set_input_files(str(OFFICE / "reading-list-leganto.xlsx"))
    summary = page.get_by_test_id("preview-summary")
    expect(summary).to_contain_text("6 rows read below the header row (row 3).")
    expect(summary).to_contain_text("1 will be refused.")
    expect(page.get_by_label("Journal Title")).to_have_value("container-title")
    expect(page.get_by_test_id("preview-row-10")).to_contain_text("no title and no identifier")
    expect(page.get_by_test_id("preview-row-5")).to_contain_text("not imported: tag 'Must read'")
    _axe_clean(page)

    # the public note column read as the library's note instead: the preview follows
    page.get_by_label("Public Note").select_option("private_note")
    expect(page.get_by_label("Public Note")).to_have_value("private_note")
    expect(page.get_by_label("Note for Library")).to_have_value("private_note")

    page.get_by_test_id("office-import").click()
    report = page.get_by_test_id("import-report")
    # the untitled row's ISBN is in no catalog here and Open Library does not know it: refused, naming the row
    expect(report.get_by_test_id("import-summary")).to_contain_text("4 entries imported · 2 refused")
    expect(report).to_contain_text("row 9: no title, and the lookup of 9789279215070 found none")
    expect(report).to_contain_text("row 10: no title and no identifier")
    yankee = Citation.objects.get(resource_list=lst, title="The Yankee Years")
    assert yankee.library_note == "Read the first three chapters" and yankee.public_note == ""

    page.get_by_label("File (.xlsx, .csv or .docx)").set_input_files(str(OFFICE / "reading-list.docx"))
    expect(page.get_by_test_id("preview-summary")).to_contain_text("4 paragraphs read.")
    expect(page.get_by_test_id("preview-row-3")).to_contain_text("10.1038/nature14539")
    page.get_by_test_id("office-import").click()
    expect(report.get_by_test_id("import-summary")).to_contain_text("(Word, 4 entries read)")  # only this import says
    expect(report.get_by_test_id("import-summary")).to_contain_text("4 entries imported")
    page.goto(f"/lists/{lst.pk}/edit/")
    expect(page.get_by_role("heading", name="Week 2: Sources")).to_be_visible()
    # the APA reference without an identifier is read into its fields (session 21): one paragraph left to review
    expect(page.locator("[data-testid=item]").filter(has_text="Needs review")).to_have_count(1)


def test_choosing_the_sheet_and_the_header_row_of_a_libreoffice_workbook_then_a_word_bibliography(page, login, instructor,
                                                                                                  course, fake_http):
    lst = services.create_list(instructor, title="HIST 101", courses=[course])
    login("instructor")
    page.goto(f"/catalog/lists/{lst.pk}/import/office/")
    page.get_by_label("File (.xlsx, .csv or .docx)").set_input_files(str(OFFICE / "lo-talis-workbook.xlsx"))
    expect(page.get_by_label("Sheet", exact=True)).to_have_value("All list items")
    expect(page.get_by_test_id("preview-summary")).to_contain_text("3 rows read below the header row (row 1).")
    expect(page.get_by_label("chapter_article_title")).to_have_value("title")
    _axe_clean(page)

    page.get_by_label("Sheet", exact=True).select_option("Week plan")
    expect(page.get_by_label("Sheet", exact=True)).to_have_value("Week plan")
    expect(page.get_by_label("Week", exact=True)).to_have_value("section")
    # the merged "Week 1" cell counts for both of its rows
    expect(page.get_by_test_id("preview-row-3")).to_contain_text("Week 1")
    page.get_by_label("Header row (the row that names the columns)").fill("2")
    page.get_by_label("Header row (the row that names the columns)").dispatch_event("change")
    expect(page.get_by_test_id("preview-summary")).to_contain_text("2 rows read below the header row (row 2).")
    page.get_by_label("Header row (the row that names the columns)").fill("1")
    page.get_by_label("Header row (the row that names the columns)").dispatch_event("change")
    expect(page.get_by_test_id("preview-summary")).to_contain_text("3 rows read below the header row (row 1).")
    page.get_by_test_id("office-import").click()
    expect(page.get_by_test_id("import-report").get_by_test_id("import-summary")).to_contain_text("3 entries imported")
    yankee = Citation.objects.get(resource_list=lst, title="The Yankee Years")
    assert yankee.section.title == "Week 1" and yankee.metadata["URL"] == "https://openlibrary.org/isbn/0385527403"

    page.get_by_label("File (.xlsx, .csv or .docx)").set_input_files(str(OFFICE / "lo-bibliography-apa.docx"))
    expect(page.get_by_test_id("preview-summary")).to_contain_text("34 paragraphs read.")
    expect(page.get_by_test_id("preview-row-2")).to_contain_text("A note for students on the list")
    expect(page.get_by_test_id("preview-row-4").get_by_test_id("read-as")).to_contain_text("Year: 2010")
    expect(page.get_by_label("Sheet", exact=True)).to_have_count(0)
