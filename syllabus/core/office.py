"""Office files in and out (LST-9, ANL-2): the one place for what spreadsheets and Word files need
whoever reads or writes them.

Out — formula injection (OWASP "CSV Injection"): a text cell comes from what people typed (an
item's title, a department, a course name), and a spreadsheet runs a cell that begins with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return as a formula (``=HYPERLINK(...)``, DDE).  In CSV such
a text is written after a ``'`` (spreadsheets show it as text); in XLSX every text is a string cell
with Excel's quote prefix, never a formula.  Numbers stay numbers.

In — an .xlsx or .docx is a zip of XML parts: a few kilobytes may unpack to gigabytes (a "zip
bomb").  :func:`ensure_zip_within` reads only the zip's directory and refuses a file whose parts
would unpack to more than a ceiling *before* a library opens it (the reader of a part never gets
more bytes than the directory declares: :mod:`zipfile` stops at the declared size and checks the
CRC)."""
from __future__ import annotations

import io
import unicodedata
import zipfile

from syllabus.core.errors import RuleViolation

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def cell(value):
    return "" if value is None else value


def runs_as_formula(text: str) -> bool:
    """A spreadsheet may run it: a formula character first — also after leading blanks (LibreOffice
    and Google Sheets trim them on import) or in its full-width form (``＝`` is ``=`` in NFKC, and
    East Asian spreadsheets read it so)."""
    if text.startswith(FORMULA_STARTS):
        return True
    return unicodedata.normalize("NFKC", text[:40]).lstrip().startswith(FORMULA_STARTS)


def neutralised(value):
    """``value`` for a CSV cell: a text a spreadsheet would read as a formula gets a leading ``'``."""
    value = cell(value)
    if isinstance(value, str) and runs_as_formula(value):
        return "'" + value
    return value


def xlsx_row(sheet, values: list) -> None:
    """Append ``values`` to an openpyxl ``sheet``: every text a string cell, never a formula."""
    sheet.append(values)
    for c in sheet[sheet.max_row]:
        if isinstance(c.value, str):
            c.data_type = "s"          # openpyxl writes a text beginning with "=" as a formula otherwise
            c.quotePrefix = True


def ensure_zip_within(raw: bytes, *, max_bytes: int, max_parts: int = 2000, rule: str, kind: str) -> zipfile.ZipFile:
    """The zip ``raw`` (an .xlsx, a .docx) when its parts unpack to at most ``max_bytes`` in all and
    it has at most ``max_parts`` of them; refused with ``rule`` otherwise, and when it is no zip."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
        parts = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError):
        raise RuleViolation(rule, f"the file is not a readable {kind} file (it is no Office Open XML zip)",
                            field="file") from None
    if len(parts) > max_parts:
        raise RuleViolation(rule, f"the {kind} file has {len(parts)} parts (at most {max_parts})", field="file")
    unpacked = sum(p.file_size for p in parts)
    if unpacked > max_bytes:
        raise RuleViolation(rule, f"the {kind} file unpacks to {unpacked // (1024 * 1024)} MB "
                                  f"(at most {max_bytes // (1024 * 1024)} MB): save a smaller file", field="file")
    return archive
