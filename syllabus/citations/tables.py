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
PART_TITLES = {"article title", "chapter title", "titre de l article", "titre du chapitre", "section title"}
HEADERS: dict[str, str] = {
    **{h: "title" for h in (
        "title", "titre", "item title", "citation title", "resource title", "book title", "titre de l ouvrage",
        "titre du document", "titre de la ressource", "work title", "main title", "titre principal", *PART_TITLES)},
    **{h: "author" for h in (
        "author", "authors", "author s", "creator", "creators", "auteur", "auteurs", "auteur s", "primary author",
        "author editor", "authors editors", "auteur editeur", "responsabilite", "names", "contributor", "contributors")},
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
        "date de publication", "annee de publication", "date d edition", "issued")},
    **{h: "volume" for h in ("volume", "vol", "tome")},
    **{h: "issue" for h in ("issue", "number", "numero", "no", "fascicule")},
    **{h: "page" for h in ("pages", "page", "page range", "pagination", "start page end page", "pages lues")},
    **{h: "URL" for h in (
        "url", "link", "lien", "web address", "online resource web address", "web link", "permalink", "url lien",
        "adresse web", "source url")},
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
PLURAL_FIELDS = {"ISBN", "ISSN", "author", "tag"}  # several columns of one field are joined, not the first kept

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
    kind: str                      # xlsx | csv
    header_row: int                # 1-based row of the sheet/file
    headers: list[str]
    rows: list[tuple[int, list[str]]] = field(default_factory=list)  # (row number, cells), blank rows left out


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


def _xlsx_rows(raw: bytes, max_rows: int, max_cols: int, max_bytes: int):
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
    try:
        sheet = book.worksheets[0] if book.worksheets else None
        if sheet is None:
            return
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
            if n > max_rows + 11:  # the title and header rows come on top of the bounded rows
                raise RuleViolation(RULE, f"the spreadsheet has more than {max_rows} rows"
                                          f"{f' ({declared})' if declared else ''}: split it into several files",
                                    field="file")
            yield n, [_text(v) for v in row]
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


def _score(cells: list[str]) -> int:
    return sum(1 for c in cells if fold(c) in HEADERS)


def read_table(raw: bytes, filename: str = "", kind: str = "") -> Table:
    """The header row and the rows of an .xlsx or .csv file, bounded (rows, columns, unpacked size)."""
    max_rows, max_cols, max_bytes = bounds()
    kind = kind or kind_of(raw, filename)
    if kind not in ("xlsx", "csv"):
        raise RuleViolation(RULE, "the file is neither an Excel workbook (.xlsx) nor a CSV file", field="file")
    rows = _xlsx_rows(raw, max_rows, max_cols, max_bytes) if kind == "xlsx" else _csv_rows(raw, max_rows)
    head: list[tuple[int, list[str]]] = []
    body: list[tuple[int, list[str]]] = []
    for n, cells in rows:
        while cells and not cells[-1]:
            cells.pop()
        if len(cells) > max_cols:
            raise RuleViolation(RULE, f"row {n} has {len(cells)} columns (at most {max_cols}): "
                                      "delete the columns that hold no citation data", field="file")
        if not any(cells):
            continue
        if len(head) < 10 and not body:
            head.append((n, cells))
            continue
        body.append((n, cells))
    if not head:
        raise RuleViolation(RULE, "the spreadsheet is empty: nothing to import", field="file")
    # the header: the row naming the most known columns; else the first row with two cells or more
    best = max(range(len(head)), key=lambda i: (_score(head[i][1]), -i))
    if not _score(head[best][1]):
        best = next((i for i, (_n, cells) in enumerate(head) if sum(1 for c in cells if c) >= 2), 0)
    header_row, headers = head[best]
    body = head[best + 1:] + body
    if len(body) > max_rows:
        raise RuleViolation(RULE, f"the spreadsheet has {len(body)} rows of citations (at most {max_rows}): "
                                  "split it into several files", field="file")
    width = max([len(headers)] + [len(cells) for _n, cells in body])
    headers = [h or f"({_column_letter(i)})" for i, h in enumerate(headers + [""] * (width - len(headers)))]
    return Table(kind, header_row, headers, [(n, cells + [""] * (width - len(cells))) for n, cells in body])


def _column_letter(index: int) -> str:
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
    title = one.get("title", "")
    if title:
        csl["title"] = title
    names = [cslmod.parse_name(n) for v in values.get("author", []) for n in _split(v)]
    if names := [n for n in names if n]:
        csl["author"] = names
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
    if one.get("DOI"):
        csl["DOI"] = identifiers.normalize_doi(one["DOI"]) or one["DOI"]
    if one.get("year"):
        csl["issued"] = cslmod.date_parts(one["year"]) or {"literal": one["year"]}
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


def entries_of(table: Table, mapping: list[str]) -> list[RowEntry]:
    """Every row of ``table`` as an entry, by ``mapping`` (one field a column)."""
    if "title" not in mapping and not {"ISBN", "ISSN", "DOI"} & set(mapping):
        raise RuleViolation(RULE, "mapping: no column is a title, an ISBN, an ISSN or a DOI: say which column holds "
                                  "the titles", field="mapping")
    return [row_entry(position, line, _row_values(cells, mapping))
            for position, (line, cells) in enumerate(table.rows, start=1)]


def problems(entry: RowEntry) -> list[str]:
    """What the preview says about a row before anything is imported: why it will be refused, or
    what will happen to it (an identifier checked by :mod:`.identifiers`, a title looked up)."""
    if entry.csl is None:
        return [entry.error.split(": ", 1)[1]]
    out = []
    for key, check in (("ISBN", identifiers.check_isbns), ("ISSN", identifiers.check_issns), ("DOI", identifiers.check_doi)):
        if entry.csl.get(key):
            try:
                check(entry.csl[key])
            except identifiers.InvalidIdentifier as exc:
                out.append(f"{exc} (LST-2: the row will be refused)")
    if entry.lookup:
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
        sheet.column_dimensions[_column_letter(i - 1)].width = max(12, min(40, len(header) + 4))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
