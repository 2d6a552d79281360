"""A report as CSV or XLSX (openpyxl): every table with its title and column headings, the values
exactly as the page shows them (the small-count rule included).

Formula injection (OWASP "CSV Injection"): a text cell comes from what people typed (an item's
title, a department, a course name), and a spreadsheet runs a cell that begins with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return as a formula (``=HYPERLINK(...)``, DDE).  In CSV such a
text is written after a ``'`` (spreadsheets show it as text); in XLSX every text is a string cell
with Excel's quote prefix, never a formula.  Numbers stay numbers."""
from __future__ import annotations

import csv
import io
import re
import unicodedata

from django.http import HttpResponse
from django.utils.http import content_disposition_header
from openpyxl import Workbook
from openpyxl.styles import Font

from syllabus.core.errors import RuleViolation

from .reports import Report

FORMATS = {"csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def _cell(value):
    return "" if value is None else value


def _runs_as_formula(text: str) -> bool:
    """A spreadsheet may run it: a formula character first — also after leading blanks (LibreOffice
    and Google Sheets trim them on import) or in its full-width form (``＝`` is ``=`` in NFKC, and
    East Asian spreadsheets read it so)."""
    if text.startswith(FORMULA_STARTS):
        return True
    return unicodedata.normalize("NFKC", text[:40]).lstrip().startswith(FORMULA_STARTS)


def neutralised(value):
    """``value`` for a CSV cell: a text a spreadsheet would read as a formula gets a leading ``'``."""
    value = _cell(value)
    if isinstance(value, str) and _runs_as_formula(value):
        return "'" + value
    return value


def _xlsx_row(sheet, values: list) -> None:
    sheet.append(values)
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"          # openpyxl writes a text beginning with "=" as a formula otherwise
            cell.quotePrefix = True


def to_csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    for n, table in enumerate(report.tables):
        if n:
            writer.writerow([])
        if len(report.tables) > 1:
            writer.writerow([neutralised(table.title)])
        writer.writerow([neutralised(c.label) for c in table.columns])
        for row in table.rows:
            writer.writerow([neutralised(row.get(c.key)) for c in table.columns])
    return out.getvalue()


def to_xlsx(report: Report) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for n, table in enumerate(report.tables):
        title = re.sub(r"[\[\]:*?/\\]", " ", table.title)[:28] or f"Table {n + 1}"
        sheet = book.create_sheet(title)
        _xlsx_row(sheet, [c.label for c in table.columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in table.rows:
            _xlsx_row(sheet, [_cell(row.get(c.key)) for c in table.columns])
        for i, c in enumerate(table.columns, start=1):
            sheet.column_dimensions[sheet.cell(1, i).column_letter].width = max(12, min(50, len(c.label) + 2))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def download(report: Report, fmt: str) -> HttpResponse:
    if fmt not in FORMATS:
        raise RuleViolation("ANL-2", "format must be csv or xlsx", field="format")
    body: str | bytes = to_csv(report) if fmt == "csv" else to_xlsx(report)
    response = HttpResponse(body, content_type=FORMATS[fmt])
    response["Content-Disposition"] = content_disposition_header(True, f"{report.code}.{fmt}")
    return response
