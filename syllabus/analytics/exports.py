"""A report as CSV or XLSX (openpyxl): every table with its title and column headings, the values
exactly as the page shows them (the small-count rule included).

Formula injection: every text cell goes through :mod:`syllabus.core.office` (a CSV text a
spreadsheet would run gets a leading ``'``; in XLSX every text is a string cell with Excel's quote
prefix, never a formula).  Numbers stay numbers."""
from __future__ import annotations

import csv
import io
import re

from django.http import HttpResponse
from django.utils.http import content_disposition_header
from openpyxl import Workbook
from openpyxl.styles import Font

from syllabus.core.errors import RuleViolation
from syllabus.core.office import cell as _cell
from syllabus.core.office import neutralised
from syllabus.core.office import xlsx_row as _xlsx_row

from .reports import Report

FORMATS = {"csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


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
