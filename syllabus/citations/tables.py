"""Reading lists kept in spreadsheets (LST-9): an Excel workbook (.xlsx) or a CSV file, one
citation a row, read into the entries the list import adds (:class:`RowEntry`).

    table = read_table(raw, "reading list.xlsx")        # header row found, rows bounded
    mapping = guess_mapping(table.headers)              # ["title", "author", "ISBN", "ignore", ...]
    entries = entries_of(table, mapping)                # [RowEntry(position, csl, error, ...)]

What is read, and how:

* **.xlsx** with openpyxl in read-only mode (streamed; its XML parts are parsed through defusedxml):
  the first worksheet only, the values Excel stored (a formula's last result, never the formula);
  the zip's parts are bounded before it is opened (:func:`syllabus.core.office.ensure_zip_within`).
  ``.xls`` (Excel 97–2003) and ``.ods`` are refused with what to do instead.
* **.csv** in UTF-8 (with or without BOM), UTF-16 with BOM or Windows-1252 — what Excel writes as
  "CSV UTF-8" and "CSV" (:func:`syllabus.citations.formats.decode`); the separator is found
  (``,`` ``;`` tab ``|``: a French Excel writes ``;``).
* **The header row** is the row among the first ten whose cells name the most known columns
  (a title row above it — "Reading list: ECON 101", merged across the columns — and blank rows
  are skipped); blank rows below it are skipped too.
* **Numbers stored as numbers**: an ISBN typed into Excel becomes ``9.78014e12`` — read back as
  the integer it was (``9780141439518``); an ISBN-10 that lost its leading zero gets it back; a
  year stored as a number or as a date is its year.
* **Identifiers** are normalised by :mod:`.identifiers` (python-stdnum); a row whose ISBN, ISSN or
  DOI is not valid is refused by the list's rules (LST-2) with the reason, as in the other imports.
* **Authors**: one cell, several names separated by ``;`` (or a line break), each "Family, Given"
  or "Given Family" (:func:`.csl.parse_name`).

A row with neither a title nor an identifier is refused (``LST-9: row 7: ...``); a row with an
identifier and no title is looked up by the list import (the identifier lookup) for its title.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from syllabus.core.errors import RuleViolation
from syllabus.core.limits import setting_within
from syllabus.core.office import ensure_zip_within, xlsx_row

from . import csl as cslmod
from . import identifiers
from .formats import ParsedEntry, decode

RULE = "LST-9"
IGNORE = "ignore"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# The fields a column may hold (the mapping step's choices), in the order the page offers them.
FIELDS: list[tuple[str, object]] = [
    ("title", _("Title")),
    ("author", _("Authors")),
    ("container-title", _("Container title (journal, book)")),
    ("ISBN", _("ISBN")),
    ("ISSN", _("ISSN")),
    ("DOI", _("DOI")),
    ("edition", _("Edition")),
    ("publisher", _("Publisher")),
    ("year", _("Year")),
    ("volume", _("Volume")),
    ("issue", _("Issue")),
    ("page", _("Pages")),
    ("URL", _("URL")),
    ("type", _("Type")),
    ("section", _("Section")),
    ("tag", _("Tags")),
    ("public_note", _("Public note")),
    ("private_note", _("Private note (for the library)")),
    (IGNORE, _("Ignore this column")),
]
FIELD_CODES = [code for code, _label in FIELDS]

# Header names → field: English and French, and the column names of Leganto, Talis Aspire and Alma
# exports (folded: lower case, no accents, punctuation as spaces).  A part's own title ("Article
# title", "Chapter title") is the title; a plain "Title" beside it is then the container's.
PART_TITLES = {"article title", "chapter title", "titre de l article", "titre du chapitre", "section title",
               "chapter article title", "article chapter title"}
HEADERS: dict[str, str] = {
    **{h: "title" for h in (
        "title", "titre", "item title", "citation title", "resource title", "book title", "titre de l ouvrage",
        "titre du document", "titre de la ressource", "work title", "main title", "titre principal", *PART_TITLES)},
    **{h: "author" for h in (
        "author", "authors", "author s", "creator", "creators", "auteur", "auteurs", "auteur s", "primary author",
        "author editor", "authors editors", "auteur editeur", "responsabilite", "names", "contributor", "contributors",
        "chapter article author")},
    **{h: "container-title" for h in (
        "container title", "journal", "journal title", "journal name", "periodical", "source", "source title",
        "publication title", "publication", "part of", "titre de la revue", "revue", "periodique", "titre du periodique",
        "titre de la source", "in", "dans", "book title of chapter", "titre de l ouvrage collectif")},
    **{h: "ISBN" for h in ("isbn", "isbn10", "isbn13", "isbn 10", "isbn 13", "eisbn", "e isbn", "print isbn")},
    **{h: "ISSN" for h in ("issn", "eissn", "e issn", "print issn", "online issn")},
    **{h: "DOI" for h in ("doi", "digital object identifier")},
    **{h: "edition" for h in ("edition", "ed", "numero d edition")},
    **{h: "publisher" for h in ("publisher", "editeur", "editeurs", "maison d edition", "publisher name", "imprint")},
    **{h: "year" for h in (
        "year", "date", "publication date", "publication year", "pub date", "pub year", "date published", "annee",
        "date de publication", "annee de publication", "date d edition", "issued", "date of publication", "published",
        "publie")},
    **{h: "volume" for h in ("volume", "vol", "tome")},
    **{h: "issue" for h in ("issue", "number", "numero", "no", "fascicule")},
    **{h: "page" for h in ("pages", "page", "page range", "pagination", "start page end page", "pages lues", "start page", "end page",
        "first page", "last page", "page de debut", "page de fin")},
    **{h: "URL" for h in (
        "url", "link", "lien", "web address", "online resource web address", "web link", "permalink", "url lien",
        "adresse web", "source url", "online resource", "ressource en ligne", "online resource url")},
    **{h: "type" for h in (
        "type", "item type", "citation type", "resource type", "secondary type", "type de document",
        "type de ressource", "document type", "format")},
    **{h: "section" for h in (
        "section", "section name", "week", "semaine", "module", "topic", "theme", "rubrique", "heading", "partie",
        "seance", "session", "chapitre du cours")},
    **{h: "tag" for h in (
        "tag", "tags", "importance", "priority", "priorite", "etiquette", "etiquettes", "reading type",
        "type de lecture", "reading status")},
    **{h: "public_note" for h in (
        "public note", "note", "notes", "student note", "note for students", "note for student", "note publique",
        "note aux etudiants", "note pour les etudiants", "commentaire", "comment", "instructor note")},
    **{h: "private_note" for h in (
        "private note", "library note", "note for library", "note for the library", "note to library",
        "note privee", "note pour la bibliotheque", "note a la bibliotheque", "internal note", "staff note")},
}
PLURAL_FIELDS = {"ISBN", "ISSN", "author", "tag", "page"}  # "page": Talis's start_page + end_page  # several columns of one field are joined, not the first kept

# A "Type" cell → a CSL type (English and French words; Leganto and Talis type names)
TYPES = {
    "book": "book", "livre": "book", "ouvrage": "book", "e-book": "book", "ebook": "book", "monograph": "book",
    "chapter": "chapter", "book chapter": "chapter", "book extract": "chapter", "book section": "chapter",
    "chapitre": "chapter", "extrait": "chapter",
    "article": "article-journal", "journal article": "article-journal", "article de revue": "article-journal",
    "website": "webpage", "web page": "webpage", "webpage": "webpage", "site web": "webpage", "page web": "webpage",
    "video": "motion_picture", "vidéo": "motion_picture", "film": "motion_picture", "audio": "song",
    "podcast": "broadcast", "document": "document", "report": "report", "rapport": "report", "thesis": "thesis",
    "thèse": "thesis", "conference paper": "paper-conference", "newspaper article": "article-newspaper",
    "article de presse": "article-newspaper",
}


def fold(text: str) -> str:
    """A header or a word as compared: lower case, no accents, punctuation and blanks as one space."""
    text = unicodedata.normalize("NFKD", str(text or "")).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def bounds() -> tuple[int, int, int]:
    """(rows, columns, bytes unpacked) a spreadsheet may have (settings, bounded when read)."""
    return (int(setting_within("LIST_IMPORT_SHEET_MAX_ROWS", 5000, 1, 50000)),
            int(setting_within("LIST_IMPORT_SHEET_MAX_COLUMNS", 60, 1, 300)),
            int(setting_within("LIST_IMPORT_UNPACKED_MAX_BYTES", 50 * 1024 * 1024, 1024 * 1024, 500 * 1024 * 1024)))


# --- reading -------------------------------------------------------------------------------

@dataclass
class Table:
    kind: str                      # xlsx | csv | docx
    header_row: int                # 1-based row of the sheet/file
    headers: list[str]
    rows: list[tuple[int, list[str]]] = field(default_factory=list)  # (row number, cells), blank rows left out
    sheet: str = ""                # the worksheet read (xlsx)
    sheets: list[str] = field(default_factory=list)  # every worksheet of the workbook, in order (xlsx)
    links: dict[tuple[int, int], str] = field(default_factory=dict)  # (row number, column) → a cell's hyperlink
    sections: dict[int, str] = field(default_factory=dict)  # row number → the heading above its table (docx)


REFUSED_KINDS = {
    ".xls": "an Excel 97–2003 workbook (.xls): open it in Excel and save it as an Excel workbook (.xlsx) or CSV",
    ".ods": "an OpenDocument spreadsheet (.ods): save it as an Excel workbook (.xlsx) or CSV",
    ".numbers": "a Numbers spreadsheet: export it as an Excel workbook (.xlsx) or CSV",
    ".doc": "a Word 97–2003 document (.doc): open it in Word and save it as a Word document (.docx)",
    ".odt": "an OpenDocument text (.odt): save it as a Word document (.docx)",
    ".rtf": "an RTF document: save it as a Word document (.docx)",
    ".pdf": "a PDF: import the reading list from the Word document (.docx) or spreadsheet it was made from",
}
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # .xls / .doc (Compound File Binary)


def kind_of(raw: bytes, filename: str = "", fmt: str = "") -> str:
    """``xlsx``, ``csv`` or ``docx`` for a spreadsheet or Word file (by the format asked, then the
    name, then the zip's content types); ``""`` for anything else (RIS, BibTeX, CSL-JSON).  An old
    or foreign office format is refused (LST-9) with what to save it as."""
    fmt = (fmt or "").lower()
    if fmt in ("xlsx", "csv", "docx"):
        return fmt
    name = filename.lower()
    for ext, why in REFUSED_KINDS.items():
        if name.endswith(ext):
            raise RuleViolation(RULE, f"the file is {why}", field="file")
    if fmt:
        return ""
    if name.endswith((".xlsx", ".xlsm")):
        return "xlsx"
    if name.endswith(".csv"):
        return "csv"
    if name.endswith(".docx"):
        return "docx"
    if raw.startswith(OLE_MAGIC):
        raise RuleViolation(RULE, "the file is an Excel 97–2003 or Word 97–2003 file: save it as .xlsx or .docx",
                            field="file")
    if raw.startswith(ZIP_MAGIC):
        head = raw[:4096]
        if b"word/" in head:
            return "docx"
        if b"xl/" in head:
            return "xlsx"
    return ""


def _text(value) -> str:
    """A cell as text: a whole number stored as a float (an ISBN, a year) without its ".0"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()[:10]
    if isinstance(value, dt.time):
        return value.isoformat()
    return str(value).strip()


#: the most an .xlsx's shared strings (every text cell's text) may unpack to: openpyxl holds them all
SHARED_STRINGS_MAX_BYTES = 8 * 1024 * 1024


MAX_SHEETS = 50


def _refs(ref: str) -> tuple[int, int, int, int] | None:
    """"B3:D7" → (first row, first column, last row, last column), 1-based; None when unreadable."""
    from openpyxl.utils.cell import range_boundaries

    try:
        min_col, min_row, max_col, max_row = range_boundaries(ref)
    except (ValueError, TypeError):
        return None
    if None in (min_col, min_row, max_col, max_row):
        return None
    return int(min_row), int(min_col), int(max_row), int(max_col)


def _sheet_extras(archive, path: str, max_rows: int, max_cols: int):
    """(merged ranges, {(row, column): URL}) of a worksheet part, which openpyxl's read-only mode
    does not read: a hyperlink is the cell's link to an external address (its target in the
    sheet's relationships).  Parsed by defusedxml, streamed, bounded."""
    from defusedxml.ElementTree import iterparse

    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    rel_ns = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
    merged: list[tuple[int, int, int, int]] = []
    pending: dict[tuple[int, int], str] = {}  # cell → relationship id
    last_row, last_col = max_rows + 11, max_cols + 1
    try:
        with archive.open(path) as part:
            for _event, node in iterparse(part, events=("end",)):
                if node.tag in (main + "c", main + "row"):
                    node.clear()
                elif node.tag == main + "mergeCell" and len(merged) < 5000:
                    if (box := _refs(node.get("ref", ""))) and box[0] <= last_row and box[1] <= last_col:
                        merged.append(box)
                elif node.tag == main + "hyperlink" and len(pending) < 20000 and node.get(rel_ns + "id"):
                    if (box := _refs(node.get("ref", ""))) and box[0] <= last_row:
                        for row in range(box[0], min(box[2], last_row, box[0] + 1000) + 1):
                            for col in range(box[1], min(box[3], last_col) + 1):
                                pending[(row, col - 1)] = node.get(rel_ns + "id", "")
    except Exception:  # a broken part: openpyxl has read its values already; no extras
        return merged, {}
    links: dict[tuple[int, int], str] = {}
    if pending:
        targets = _relationships(archive, path)
        for key, rid in pending.items():
            target = targets.get(rid, "")
            if re.match(r"(?i)(https?|ftp|mailto):", target):
                links[key] = target
    return merged, links


def _relationships(archive, path: str) -> dict[str, str]:
    """Id → Target of an external relationship of the part ``path``."""
    from defusedxml.ElementTree import fromstring

    folder, _slash, name = path.rpartition("/")
    rels = f"{folder}/_rels/{name}.rels"
    try:
        root = fromstring(archive.read(rels))
    except Exception:
        return {}
    return {r.get("Id", ""): r.get("Target", "") for r in root if r.get("TargetMode", "").lower() == "external"}


def _formula_links(archive, path: str, max_rows: int, max_cols: int) -> dict[tuple[int, int], str]:
    """{(row, column): URL} of the cells whose formula is ``HYPERLINK("url", ...)``."""
    from defusedxml.ElementTree import iterparse

    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    links: dict[tuple[int, int], str] = {}
    ref = ""
    try:
        with archive.open(path) as part:
            for event, node in iterparse(part, events=("start", "end")):
                if event == "start" and node.tag == main + "c":
                    ref = node.get("r", "")
                elif event == "end" and node.tag == main + "f" and node.text and ref:
                    m = re.search(r'(?i)HYPERLINK\(\s*"((?:https?|ftp|mailto):[^"]{1,2000})"', node.text)
                    box = _refs(ref) if m else None
                    if m and box and box[0] <= max_rows + 11 and box[1] <= max_cols + 1 and len(links) < 20000:
                        links[(box[0], box[1] - 1)] = m.group(1)
                elif event == "end" and node.tag in (main + "c", main + "row"):
                    node.clear()
    except Exception:
        return links
    return links


def _open_workbook(raw: bytes, max_bytes: int):
    from openpyxl import load_workbook

    archive = ensure_zip_within(raw, max_bytes=max_bytes, rule=RULE, kind="Excel")
    # openpyxl keeps the whole shared-strings table in memory even read-only: its own, smaller ceiling
    strings = next((p.file_size for p in archive.infolist() if p.filename.lower().endswith("sharedstrings.xml")), 0)
    if strings > SHARED_STRINGS_MAX_BYTES:
        raise RuleViolation(RULE, f"the Excel file's texts unpack to {strings // (1024 * 1024)} MB (at most "
                                  f"{SHARED_STRINGS_MAX_BYTES // (1024 * 1024)} MB): split it into several files",
                            field="file")
    try:
        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True, keep_links=False)
    except Exception as exc:  # openpyxl raises many kinds on a broken workbook
        raise RuleViolation(RULE, f"the Excel file cannot be read ({type(exc).__name__}): "
                                  "open it in Excel and save it again as .xlsx", field="file") from None
    if len(book.worksheets) > MAX_SHEETS:
        book.close()
        raise RuleViolation(RULE, f"the workbook has {len(book.worksheets)} sheets (at most {MAX_SHEETS}): "
                                  "keep the reading list's sheet in a file of its own", field="file")
    return archive, book


def _rows_of(sheet, max_rows: int, max_cols: int, *, limit: int | None = None):
    # "max_row" says what the sheet declares; a declared size beyond the bound is refused before reading
    declared = getattr(sheet, "max_row", None)
    rows = enumerate(sheet.iter_rows(max_col=max_cols + 1, values_only=True), start=1)
    while True:
        try:
            n, row = next(rows)
        except StopIteration:
            return
        except Exception as exc:  # read-only: the sheet's XML is parsed only now (session 21: a 500)
            raise RuleViolation(RULE, f"the Excel file cannot be read ({type(exc).__name__} in its sheet): "
                                      "open it in Excel and save it again as .xlsx", field="file") from None
        if limit is not None and n > limit:
            return
        if n > max_rows + 11:  # the title and header rows come on top of the bounded rows
            raise RuleViolation(RULE, f"the spreadsheet has more than {max_rows} rows"
                                      f"{f' ({declared})' if declared else ''}: split it into several files",
                                field="file")
        yield n, [_text(v) for v in row]


def choose_sheet(names: list[str], sheet) -> int:
    """The index of the worksheet ``sheet`` names (its name, any case, or its number from 1);
    refused (LST-9) naming the workbook's sheets when there is none such."""
    if isinstance(sheet, int) or (isinstance(sheet, str) and sheet.strip().isdigit()):
        number = int(sheet)
        if 1 <= number <= len(names):
            return number - 1
    else:
        folded = fold(str(sheet))
        for i, name in enumerate(names):
            if fold(name) == folded:
                return i
    raise RuleViolation(RULE, f"sheet: the workbook has no sheet {str(sheet)[:60]!r} (sheets: "
                              f"{', '.join(names[:MAX_SHEETS])})", field="sheet")


def _xlsx_rows(raw: bytes, max_rows: int, max_cols: int, max_bytes: int, sheet=None, info: dict | None = None):
    """The rows of the chosen worksheet — by default the first one whose first rows name known
    columns, else the first that is not empty — with merged cells' value spread over their range
    and the cells' hyperlinks in ``info["links"]``."""
    archive, book = _open_workbook(raw, max_bytes)
    info = info if info is not None else {}
    try:
        sheets = book.worksheets
        info["sheets"] = [ws.title for ws in sheets]
        if not sheets:
            return
        if sheet not in (None, ""):
            chosen = sheets[choose_sheet(info["sheets"], sheet)]
        else:
            chosen, fallback = None, None
            for ws in sheets:
                head = [cells for _n, cells in _rows_of(ws, max_rows, max_cols, limit=10)]
                if fallback is None and any(any(c) for c in head):
                    fallback = ws
                if any(header_score(cells) >= 2 for cells in head):
                    chosen = ws
                    break
            chosen = chosen or fallback or sheets[0]
        info["sheet"] = chosen.title
        path = getattr(chosen, "_worksheet_path", "")
        merged, links = _sheet_extras(archive, path, max_rows, max_cols) if path else ([], {})
        if path:
            links = {**_formula_links(archive, path, max_rows, max_cols), **links}
        info["links"] = links
        # a cell merged down a column (a "Week 1" beside its five rows) gives its value to each row
        below: dict[int, list[tuple[int, tuple[int, int]]]] = {}
        for top, left, bottom, _right in merged:
            for row in range(top + 1, min(bottom, top + max_rows + 11) + 1):
                below.setdefault(row, []).append((left - 1, (top, left - 1)))
        origins = {origin for cells in below.values() for _col, origin in cells}
        values: dict[tuple[int, int], str] = {}
        for n, cells in _rows_of(chosen, max_rows, max_cols):
            for col, origin in below.get(n, ()):
                if values.get(origin) and not (col < len(cells) and cells[col]):
                    cells = cells + [""] * (col + 1 - len(cells))
                    cells[col] = values[origin]
            for col, value in enumerate(cells):
                if value and (n, col) in origins:
                    values[(n, col)] = value
            yield n, cells
    finally:
        book.close()


SNIFF_CHARS = 1024


def _csv_rows(raw: bytes, max_rows: int):
    text = decode(raw).lstrip("\ufeff")
    # csv.Sniffer's quote guessing takes quadratic time in its sample (8 KB of "','" held a worker
    # for seconds, s20-sec): the separator is found in the first lines, at most SNIFF_CHARS of them
    sample = text[:SNIFF_CHARS]
    if "\n" in sample.rstrip("\r\n"):
        sample = sample[:sample.rstrip("\r\n").rindex("\n")]
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        first = sample.splitlines()[0] if sample else ""
        delimiter = max(",;\t|", key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for n, row in enumerate(reader, start=1):
            if n > max_rows + 11:
                raise RuleViolation(RULE, f"the CSV file has more than {max_rows} rows: split it into several files",
                                    field="file")
            yield n, [cell.strip() for cell in row]
    except csv.Error as exc:
        raise RuleViolation(RULE, f"the CSV file cannot be read (line {reader.line_num}: {exc})", field="file") from None


def header_score(cells: list[str]) -> int:
    """How many of ``cells`` name a known column (the header row is the row that names most)."""
    return sum(1 for c in cells if fold(c) in HEADERS)


def read_table(raw: bytes, filename: str = "", kind: str = "", *, sheet=None, header_row: int | None = None) -> Table:
    """The header row and the rows of an .xlsx or .csv file, bounded (rows, columns, unpacked
    size): the worksheet ``sheet`` (name or number; else the first holding a reading list) and
    the header row ``header_row`` (1-based; else the row among the first ten that names most
    known columns)."""
    max_rows, max_cols, max_bytes = bounds()
    kind = kind or kind_of(raw, filename)
    if kind not in ("xlsx", "csv"):
        raise RuleViolation(RULE, "the file is neither an Excel workbook (.xlsx) nor a CSV file", field="file")
    if header_row is not None and not (isinstance(header_row, int) and 1 <= header_row <= max_rows + 11):
        raise RuleViolation(RULE, f"header_row: a row number from 1 to {max_rows + 11}", field="header_row")
    if kind == "csv" and sheet not in (None, ""):
        raise RuleViolation(RULE, "sheet: a CSV file has no sheets (only an Excel workbook has)", field="sheet")
    info: dict = {}
    rows = _xlsx_rows(raw, max_rows, max_cols, max_bytes, sheet, info) if kind == "xlsx" else _csv_rows(raw, max_rows)
    head: list[tuple[int, list[str]]] = []
    body: list[tuple[int, list[str]]] = []
    chosen: tuple[int, list[str]] | None = None
    for n, cells in rows:
        while cells and not cells[-1]:
            cells.pop()
        if len(cells) > max_cols:
            raise RuleViolation(RULE, f"row {n} has {len(cells)} columns (at most {max_cols}): "
                                      "delete the columns that hold no citation data", field="file")
        if header_row is not None:
            if n == header_row:
                if not any(cells):
                    raise RuleViolation(RULE, f"header_row: row {n} is blank: choose the row that names the "
                                              "columns", field="header_row")
                chosen = (n, cells)
            elif n > header_row and any(cells):
                body.append((n, cells))
            continue
        if not any(cells):
            continue
        if len(head) < 10 and not body:
            head.append((n, cells))
            continue
        body.append((n, cells))
    where = f" (sheet {info['sheet']!r})" if info.get("sheet") and len(info.get("sheets", [])) > 1 else ""
    if header_row is not None:
        if chosen is None:
            raise RuleViolation(RULE, f"header_row: the {'sheet' if kind == 'xlsx' else 'file'}{where} has no row "
                                      f"{header_row}", field="header_row")
        header_at, headers = chosen
    else:
        if not head:
            raise RuleViolation(RULE, f"the spreadsheet{where} is empty: nothing to import", field="file")
        # the header: the row naming the most known columns; else the first row with two cells or more
        best = max(range(len(head)), key=lambda i: (header_score(head[i][1]), -i))
        if not header_score(head[best][1]):
            best = next((i for i, (_n, cells) in enumerate(head) if sum(1 for c in cells if c) >= 2), 0)
        header_at, headers = head[best]
        body = head[best + 1:] + body
    if len(body) > max_rows:
        raise RuleViolation(RULE, f"the spreadsheet has {len(body)} rows of citations (at most {max_rows}): "
                                  "split it into several files", field="file")
    width = max([len(headers)] + [len(cells) for _n, cells in body])
    headers = [h or f"({column_letter(i)})" for i, h in enumerate(headers + [""] * (width - len(headers)))]
    return Table(kind, header_at, headers, [(n, cells + [""] * (width - len(cells))) for n, cells in body],
                 sheet=info.get("sheet", ""), sheets=info.get("sheets", []),
                 links={k: v for k, v in info.get("links", {}).items() if k[0] > header_at})


def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


# --- the mapping -----------------------------------------------------------------------------

def guess_mapping(headers: list[str]) -> list[str]:
    """Each column's field from its header (``ignore`` for a header nobody knows); a field that
    holds one value (the title, the year...) goes to its first column only."""
    folded = [fold(h) for h in headers]
    guessed = [HEADERS.get(h, IGNORE) for h in folded]
    if any(h in PART_TITLES for h in folded):  # "Article title" + "Title": the plain one is the journal/book
        for i, h in enumerate(folded):
            if guessed[i] == "title" and h not in PART_TITLES and "container-title" not in guessed:
                guessed[i] = "container-title"
    seen: set[str] = set()
    for i, code in enumerate(guessed):
        if code != IGNORE and code not in PLURAL_FIELDS:
            if code in seen:
                guessed[i] = IGNORE
            seen.add(code)
    return guessed


def parse_mapping(value, headers: list[str]) -> list[str]:
    """A mapping given by a person or the API, checked (LST-9): a list of fields, one a column in
    order, or an object ``{header: field}`` (the columns it leaves out keep their guessed field);
    empty = guessed from the headers."""
    guessed = guess_mapping(headers)
    if value in (None, "", [], {}):
        return guessed
    if isinstance(value, dict):
        names = {fold(h): i for i, h in reversed(list(enumerate(headers)))}
        out = list(guessed)
        for key, code in value.items():
            index = names.get(fold(key))
            if index is None:
                raise RuleViolation(RULE, f"mapping: no column is headed {key!r} (columns: "
                                          f"{', '.join(headers[:20])})", field="mapping")
            out[index] = _field(code, headers[index])
        return out
    if not isinstance(value, list):
        raise RuleViolation(RULE, "mapping: a list of fields (one a column) or an object {column header: field}",
                            field="mapping")
    if len(value) != len(headers):
        raise RuleViolation(RULE, f"mapping: {len(value)} fields for {len(headers)} columns", field="mapping")
    return [_field(code, header) for code, header in zip(value, headers, strict=True)]


def _field(code, header: str) -> str:
    if code in FIELD_CODES:
        return str(code)
    raise RuleViolation(RULE, f"mapping: unknown field {str(code)[:40]!r} for the column {header!r} "
                              f"(fields: {', '.join(FIELD_CODES)})", field="mapping")


# --- rows → entries --------------------------------------------------------------------------

@dataclass
class RowEntry(ParsedEntry):
    """An entry read from a spreadsheet row or a Word paragraph: its CSL-JSON and what the list
    holds beside it — the section it goes to (by title), tags (as written), notes, the identifier
    to look up (a row without a title, a paragraph with a DOI or ISBN) and whether the person must
    review it (a paragraph kept as its text)."""

    section: str = ""
    tags: tuple[str, ...] = ()
    public_note: str = ""
    library_note: str = ""
    lookup: str = ""
    review: bool = False
    #: the identifier whose look-up failed and why ("10.1/x: Crossref answered 503"): the entry keeps its own text
    lookup_failed: str = ""
    parsed: bool = False  # a Word paragraph read as a formatted reference: a lookup's record wins over it
    #: "" a citation; "section": no citation — the section of that title (made if need be) with the
    #: instructions written under its heading (``public_note``) as its note for students (LST-1, LST-3);
    #: "list": the instructions above any heading or item, as the list's description
    kind: str = ""


def entry_from_dict(data: dict) -> ParsedEntry:
    """An entry back from its JSON (a background import's ``pending``)."""
    data = {**data, "dropped": tuple(data.get("dropped") or ()), "notes": tuple(data.get("notes") or ())}
    if "lookup" in data:
        return RowEntry(**{**data, "tags": tuple(data.get("tags") or ())})
    return ParsedEntry(**data)


def _split(value: str) -> list[str]:
    return [p.strip() for p in re.split(r"\s*[;\n]\s*|\s+&\s+", value) if p.strip()]


SCIENTIFIC = re.compile(r"(?i)^\d[.,]\d+E\+\d{1,2}$")  # "9,78238E+12": how Excel saves a long number it shows so


def _isbns(value: str, dropped: list[str]) -> str:
    """ISBNs of a cell, normalised; a number that lost an ISBN-10's leading zero gets it back; one
    that a CSV holds in scientific notation has lost its digits: left out, and said."""
    out = []
    for part in identifiers.split_identifiers(value) if not SCIENTIFIC.match(value.strip()) else [value.strip()]:
        if SCIENTIFIC.match(part):
            dropped.append(f"ISBN {part!r} (saved in scientific notation: its digits are lost; "
                           "format the column as Text in Excel)")
            continue
        digits = re.sub(r"[^0-9Xx]", "", part)
        if re.fullmatch(r"\d{8,9}", digits):
            digits = digits.zfill(10)
        out.append(identifiers.normalize_isbn(digits) or part)
    return " ".join(dict.fromkeys(out))


def _type(value: str, csl: dict) -> str:
    given = TYPES.get(value.strip().lower()) or TYPES.get(fold(value)) if value else None
    if given:
        return given
    if csl.get("URL") and not (csl.get("ISBN") or csl.get("ISSN") or csl.get("DOI") or csl.get("container-title")):
        return "webpage"
    if csl.get("container-title"):
        return "chapter" if csl.get("ISBN") and not csl.get("ISSN") else "article-journal"
    return "book"


def _row_values(cells: list[str], mapping: list[str]) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for code, cell in zip(mapping, cells, strict=False):
        if code != IGNORE and cell:
            values.setdefault(code, []).append(cell)
    return values


def row_entry(position: int, line: int, values: dict[str, list[str]]) -> RowEntry:
    """One row's entry; refused (no CSL) when it has neither a title nor an identifier."""
    one = {k: v[0] for k, v in values.items()}
    csl: dict = {}
    if not one.get("title") and one.get("container-title") and not one.get("ISSN"):
        # Talis's title + chapter_article_title: a book's row has no chapter, its "title" is its own
        one["title"] = one.pop("container-title")
    title = one.get("title", "")
    if title:
        csl["title"] = title
    names = [cslmod.parse_name(n) for v in values.get("author", []) for n in _split(v)]
    if names := [n for n in names if n]:
        csl["author"] = names
    if len(values.get("page", [])) > 1:  # a first and a last page in two columns
        first, last = values["page"][:2]
        one["page"] = f"{first}–{last}" if re.fullmatch(r"\w{1,10}", first) and re.fullmatch(r"\w{1,10}", last) else first
    for key in ("container-title", "publisher", "volume", "issue", "page", "URL"):
        if one.get(key):
            csl[key] = one[key]
    if one.get("edition"):
        csl["edition"] = cslmod.normalize_edition(one["edition"]) or one["edition"]
    dropped: list[str] = []
    if values.get("ISBN") and (isbns := _isbns(" ".join(values["ISBN"]), dropped)):
        csl["ISBN"] = isbns
    if values.get("ISSN"):
        csl["ISSN"] = " ".join(dict.fromkeys(identifiers.normalize_issn(p) or p for v in values["ISSN"]
                                             for p in identifiers.split_identifiers(v)))
    if one.get("DOI") and (short := identifiers.short_doi_link(one["DOI"])):
        csl.setdefault("URL", short)  # a shortDOI: its link, as the file imports keep it (LST-2, session 23)
    elif one.get("DOI"):
        csl["DOI"] = identifiers.normalize_doi(one["DOI"]) or one["DOI"]
    if one.get("year"):
        year = re.search(r"(?<!\d)(1[5-9]\d\d|20\d\d)(?!\d)", one["year"])  # MARC's "c2009", "[2009?]"
        parts = cslmod.date_parts(one["year"])
        if not (parts or {}).get("date-parts") and year:
            parts = cslmod.date_parts(year.group(1))
        csl["issued"] = parts or {"literal": one["year"]}
    csl["type"] = _type(one.get("type", ""), csl)
    tags = tuple(t for v in values.get("tag", []) for t in re.split(r"\s*[;,|\n]\s*", v) if t)
    identifier = next((csl[k].split()[0] for k in ("DOI", "ISBN", "ISSN") if csl.get(k)), "")
    label = title[:60] or identifier
    common = {"label": label, "line": line, "section": one.get("section", "")[:300], "tags": tags,
              "public_note": one.get("public_note", ""), "library_note": one.get("private_note", ""),
              "dropped": tuple(dropped)}
    if not title and not identifier:
        return RowEntry(position, None, f"row {line}: no title and no identifier (ISBN, ISSN or DOI): "
                                        "give at least one of them", **common)  # type: ignore[arg-type]
    return RowEntry(position, csl, "", lookup="" if title else identifier, **common)  # type: ignore[arg-type]


def entries_of(table: Table, mapping: list[str], *, strict: bool = True) -> list[RowEntry]:
    """Every row of ``table`` as an entry, by ``mapping`` (one field a column); ``strict``: refused
    when no column holds a title or an identifier (the preview shows every row refused instead)."""
    if strict and "title" not in mapping and not {"ISBN", "ISSN", "DOI"} & set(mapping):
        raise RuleViolation(RULE, "mapping: no column is a title, an ISBN, an ISSN or a DOI: say which column holds "
                                  "the titles", field="mapping")
    links: dict[int, dict[int, str]] = {}
    for (row, col), url in table.links.items():
        links.setdefault(row, {})[col] = url
    url_columns = [i for i, code in enumerate(mapping) if code == "URL"]
    out = []
    for position, (line, cells) in enumerate(table.rows, start=1):
        values = _row_values(cells, mapping)
        if row_links := links.get(line):  # a hyperlink: the URL column's own, else the row's first (its title's)
            link = next((row_links[i] for i in url_columns if i in row_links), None)
            if link or not values.get("URL"):
                link = link or row_links[min(row_links)]
                doi = re.match(r"(?i)https?://(?:dx\.)?doi\.org/(10\.\d{4,9}/\S+)$", link)
                if doi and not values.get("DOI"):  # a title linked to its DOI: the DOI
                    values["DOI"] = [doi.group(1)]
                elif not doi:
                    values["URL"] = [link]
        if line in table.sections and not values.get("section"):
            values["section"] = [table.sections[line]]
        out.append(row_entry(position, line, values))
    return out


def problems(entry: RowEntry) -> list[str]:
    """What the preview says about a row before anything is imported: why it will be refused, or
    what will happen to it (an identifier checked by :mod:`.identifiers`, a title looked up)."""
    if getattr(entry, "kind", ""):  # a note for students on a section or the list
        return []
    if entry.csl is None:
        return [entry.error.split(": ", 1)[1]]
    out = []
    for key, check in (("ISBN", identifiers.check_isbns), ("ISSN", identifiers.check_issns), ("DOI", identifiers.check_doi)):
        if entry.csl.get(key):
            try:
                check(entry.csl[key])
            except identifiers.InvalidIdentifier as exc:
                out.append(f"{exc} (LST-2: the row will be refused)")
    if entry.lookup and entry.parsed and not entry.review:  # a reference read whole, with a DOI or an ISBN
        out.append(f"it will be looked up by {entry.lookup}: what is found there replaces what was read")
    elif entry.lookup:
        out.append(f"no title: it will be looked up by {entry.lookup}")
    return out


# --- the template ------------------------------------------------------------------------------

TEMPLATE_HEADERS = ["Section", "Title", "Authors", "Container title", "ISBN", "ISSN", "DOI", "Edition", "Publisher",
                    "Year", "Pages", "URL", "Type", "Tags", "Public note", "Private note"]
TEMPLATE_EXAMPLE = ["Week 1", "Pride and prejudice", "Austen, Jane", "", "9780141439518", "", "", "", "Penguin Books",
                    2003, "", "", "Book", "Essential", "Read chapters 1-10", ""]


def template_xlsx() -> bytes:
    """The spreadsheet template: the header row every column of which the import knows, one example
    row, frozen header; every text a string cell (never a formula)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "Reading list"
    xlsx_row(sheet, TEMPLATE_HEADERS)
    for c in sheet[1]:
        c.font = Font(bold=True)
    xlsx_row(sheet, TEMPLATE_EXAMPLE)
    sheet["E2"].number_format = "@"
    sheet.freeze_panes = "A2"
    for i, header in enumerate(TEMPLATE_HEADERS, start=1):
        sheet.column_dimensions[column_letter(i - 1)].width = max(12, min(40, len(header) + 4))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
