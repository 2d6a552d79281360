"""Reading lists kept in Word documents (LST-9): a .docx read with python-docx (its XML walked in
the body's order).  What is read — and nothing more:

* the **body** in order: paragraphs, tables, and both inside content controls (Mendeley's and
  EndNote's bibliographies are in one) and tracked insertions; deleted text, field codes, text
  boxes, headers, footers, footnotes, endnotes and comments are not read;
* a **table whose first rows name known columns** (Title, Author, ISBN... as in spreadsheets:
  :mod:`.tables`) is a reading list kept as a table: its rows go through the same mapping step as
  a spreadsheet's (several such tables with the same columns are one list; the heading above a
  table is its rows' section).  The paragraphs outside it are then not read.  A table without such
  a header row (a layout table) is read as the paragraphs of its cells;
* a paragraph in a heading style ("Heading 1".."Heading 9", Word's built-in styles whatever the
  language Word shows them in) starts a **section** of that title; the "Title" and "Subtitle"
  styles are the document's own title and are skipped;
* a numbering typed by hand at the start of a paragraph ("1.", "12)", "[3]", "•", "–") is dropped
  (Word's own list numbering is not part of the text);
* each other paragraph is a **formatted reference**, read into fields by
  :func:`.references.parse_reference` (APA, Harvard, Chicago author-date, MLA; measured in
  BENCHMARKS.md); its DOI, else its ISBN, is what the list import looks up (the local catalog,
  Open Library, Crossref) — what that finds wins over what was read;
* a paragraph whose authors, year and title were not all found becomes a citation whose title is
  the paragraph's whole text, marked for review (:attr:`RowEntry.review`).
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from typing import cast

from syllabus.core.errors import RuleViolation
from syllabus.core.limits import setting_within
from syllabus.core.office import ensure_zip_within

from . import identifiers, references, tables
from .tables import RULE, RowEntry, Table, bounds

HEADING = re.compile(r"(?i)^(heading|titre|berschrift|t[ií]tulo|kop)\s*([1-9])$")
SKIPPED_STYLES = {"title", "subtitle", "titre", "sous-titre", "toc heading", "caption"}
ENUMERATOR = re.compile(r"^\s*(?:\[\d{1,4}\]|\(\d{1,4}\)|\d{1,4}[.)]|[•·▪◦●○■□\-–—*])\s+")
ISBN_AFTER_LABEL = re.compile(r"(?i)\bISBN(?:-1[03])?[:\s]*((?:97[89][\s-]?)?(?:\d[\s-]?){9}[\dX])\b")
ISBN_BARE = re.compile(r"\b(97[89](?:[\s-]?\d){10})\b")
URL = re.compile(r"https?://[^\s<>\"]+", re.I)
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
#: the text of a paragraph: its runs' text, in tracked insertions and hyperlinks too; not deleted or
#: moved-away text, nor a text box's, nor the fallback copy of a drawing's text
TEXT = ("./descendant::*[(self::w:t or self::w:tab or self::w:br or self::w:cr or self::w:noBreakHyphen)"
        " and not(ancestor::w:moveFrom) and not(ancestor::w:txbxContent) and not(ancestor::mc:Fallback)]")
NS = {"w": W[1:-1], "mc": "http://schemas.openxmlformats.org/markup-compatibility/2006"}


def _xpath(expression: str):
    from lxml import etree

    return etree.XPath(expression, namespaces=NS)


TEXT_NODES = _xpath(TEXT)
STYLE_ID = _xpath("string(./w:pPr/w:pStyle/@w:val)")
ROWS = _xpath("./w:tr | ./w:sdt/w:sdtContent/w:tr")
CELLS = _xpath("./w:tc | ./w:sdt/w:sdtContent/w:tc")
CELL_PARAGRAPHS = _xpath(".//w:p")
GRID_SPAN = _xpath("string(./w:tcPr/w:gridSpan/@w:val)")
SDT_CONTENT = _xpath("./w:sdtContent")
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
LINK_IDS = _xpath(f".//w:hyperlink/@*[namespace-uri()='{R}' and local-name()='id']")
LINK_FIELDS = _xpath(".//w:instrText/text() | .//w:fldSimple/@w:instr")
FIELD_URL = re.compile(r'(?i)HYPERLINK\s+"((?:https?|ftp)://[^"]{1,2000})"')


def max_paragraphs() -> int:
    return int(setting_within("LIST_IMPORT_DOCX_MAX_PARAGRAPHS", 3000, 1, 20000))


@dataclass
class Block:
    """A paragraph (style, text) or a table (its rows of cell texts) of the body, in order."""

    style: str = ""
    text: str = ""
    rows: list[list[str]] = field(default_factory=list)
    links: dict[tuple[int, int], str] = field(default_factory=dict)  # (row, column) of a table → a cell's hyperlink


def _paragraph_text(p) -> str:
    parts = []
    for node in TEXT_NODES(p):
        tag = node.tag[len(W):]
        parts.append(node.text or "" if tag == "t" else "-" if tag == "noBreakHyphen" else " ")
    return re.sub(r"\s+", " ", "".join(parts)).strip()


def _style_names(document) -> dict[str, str]:
    return {s.style_id: s.name or "" for s in document.styles if getattr(s, "style_id", None)}


def _cell_link(tc, targets: dict[str, str]) -> str:
    """A table cell's first hyperlink to an external address (a link, or a HYPERLINK field)."""
    for rid in LINK_IDS(tc):
        if re.match(r"(?i)(https?|ftp)://", targets.get(str(rid), "")):
            return targets[str(rid)]
    for code in LINK_FIELDS(tc):
        if m := FIELD_URL.search(str(code)):
            return m.group(1)
    return ""


def _blocks(body, styles: dict[str, str], limit: int, out: list[Block], targets: dict[str, str] | None = None) -> None:
    targets = targets or {}
    for child in body.iterchildren():
        tag = child.tag[len(W):] if isinstance(child.tag, str) and child.tag.startswith(W) else ""
        if tag == "p":
            text = _paragraph_text(child)
            if text:
                style_id = STYLE_ID(child)
                out.append(Block(styles.get(style_id, style_id), text))
        elif tag == "tbl":
            rows: list[list[str]] = []
            links: dict[tuple[int, int], str] = {}
            for tr in ROWS(child):
                cells: list[str] = []
                for tc in CELLS(tr):
                    if link := _cell_link(tc, targets):
                        links[(len(rows), len(cells))] = link
                    texts = [t for t in (_paragraph_text(p) for p in CELL_PARAGRAPHS(tc)) if t]
                    span = GRID_SPAN(tc)
                    cells.append("; ".join(texts))
                    cells.extend([""] * (int(span) - 1 if span.isdigit() and 1 < int(span) <= 60 else 0))
                rows.append(cells)
            out.append(Block(rows=rows, links=links))
        elif tag in ("sdt", "customXml"):  # a content control: its content, in place
            for content in SDT_CONTENT(child) or [child]:
                _blocks(content, styles, limit, out, targets)
        elif tag in ("ins", "moveTo"):  # a tracked insertion of whole paragraphs
            _blocks(child, styles, limit, out, targets)
        if len(out) > limit:
            raise RuleViolation(RULE, f"the Word document has more than {limit} paragraphs: split it into "
                                      "several files", field="file")


def blocks(raw: bytes) -> list[Block]:
    """The body's paragraphs and tables in order, bounded (the zip's size, their number)."""
    from docx import Document
    from docx.opc.exceptions import PackageNotFoundError

    ensure_zip_within(raw, max_bytes=bounds()[2], rule=RULE, kind="Word")
    try:
        document = Document(io.BytesIO(raw))
        styles = _style_names(document)
        targets = {rid: rel.target_ref for rid, rel in document.part.rels.items() if rel.is_external}
    except (PackageNotFoundError, KeyError, ValueError) as exc:
        raise RuleViolation(RULE, f"the Word file cannot be read ({type(exc).__name__}): open it in Word and "
                                  "save it again as a Word document (.docx)", field="file") from None
    except Exception as exc:  # lxml and the zip reader raise their own on a broken part
        raise RuleViolation(RULE, f"the Word file cannot be read ({type(exc).__name__})", field="file") from None
    out: list[Block] = []
    _blocks(document.element.body, styles, max_paragraphs(), out, targets)
    return out


def paragraphs(raw: bytes) -> list[tuple[str, str]]:
    """(style name, text) of the body's paragraphs, the cells' of tables included."""
    out: list[tuple[str, str]] = []
    for block in blocks(raw):
        if block.rows:
            out.extend(("", cell) for row in block.rows for cell in row if cell)
        else:
            out.append((block.style, block.text))
    return out


def identifier_in(text: str) -> str:
    """The DOI of a reference's text, else its ISBN (normalised); "" when it has none."""
    if doi := identifiers.normalize_doi(text) if identifiers.DOI_RE.search(text) else None:
        return doi
    for pattern in (ISBN_AFTER_LABEL, ISBN_BARE):
        for match in pattern.finditer(text):
            if isbn := identifiers.normalize_isbn(match.group(1)):
                return isbn
    return ""


def _is_list_table(rows: list[list[str]]) -> int:
    """The index (0..2) of the header row of a reading list kept as a table; -1 for another table."""
    for i, row in enumerate(rows[:3]):
        if tables.header_score(row) >= 2:
            return i
    return -1


def table_of(raw: bytes) -> Table | None:
    """The reading list of a document kept as tables: the rows of every table whose header row
    names known columns (the first such table's header; later tables with as many columns), each
    row with the heading above its table as its section; ``None`` when the document has none."""
    found: Table | None = None
    heading, line = "", 0
    for block in blocks(raw):
        if not block.rows:
            if HEADING.match(block.style.strip()):
                heading = block.text[:300]
            continue
        start = _is_list_table(block.rows)
        if start < 0:
            continue
        header = block.rows[start]
        if found is None:
            found = Table("docx", line + start + 1, [h or f"({tables.column_letter(i)})" for i, h in enumerate(header)])
        elif len(header) != len(found.headers):
            continue
        for index, cells in enumerate(block.rows[start + 1:], start=start + 1):
            line += 1
            for (row, col), url in block.links.items():
                if row == index and col < len(found.headers):
                    found.links[(line, col)] = url
            if any(cells):
                cells = (cells + [""] * len(found.headers))[:len(found.headers)]
                found.rows.append((line, cells))
                if heading:
                    found.sections[line] = heading
    if found is not None and len(found.rows) > bounds()[0]:
        raise RuleViolation(RULE, f"the Word document's tables have {len(found.rows)} rows (at most {bounds()[0]}): "
                                  "split it into several files", field="file")
    return found


def entries_of(raw: bytes) -> list[RowEntry]:
    """The candidates of a .docx kept as paragraphs: one entry a paragraph, with the section of
    the heading above it; a reference read into fields where its authors, year and title were
    found, else kept as its text for review."""
    section, out = "", cast("list[RowEntry]", [])
    for n, (style, text) in enumerate(paragraphs(raw), start=1):
        folded = style.strip().lower()
        if folded in SKIPPED_STYLES:
            continue
        if HEADING.match(style.strip()):
            section = text[:300]
            continue
        text = ENUMERATOR.sub("", text, count=1).strip()
        if not text:
            continue
        identifier = identifier_in(text)
        read = references.parse_reference(text)
        if read.confident:
            csl = read.csl
        else:
            csl = {"type": "document", "title": text}
            if identifier and identifier.startswith("10."):
                csl["DOI"] = identifier
            elif identifier:
                csl["ISBN"] = identifier
            if url := URL.search(text):
                link = url.group(0).rstrip(".,;)]")
                if not re.match(r"(?i)https?://(dx\.)?doi\.org/", link):
                    csl["URL"] = link
        out.append(RowEntry(len(out) + 1, csl, "", csl["title"][:60], n, section=section, lookup=identifier,
                            review=not read.confident, parsed=read.confident))
    return out
