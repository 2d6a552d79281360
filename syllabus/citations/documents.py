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
    if re.fullmatch(r"(?i)\s*(?:ISBN(?:-1[03])?[:\s]*)?[\dX][\d\s-]{8,16}[\dX]\s*", text):  # an ISBN alone (-10 too)
        if isbn := identifiers.normalize_isbn(text.upper().replace("ISBN-13", "").replace("ISBN-10", "")):
            return isbn
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


#: a paragraph that says a week or a part of the course, in no heading style: "Week 2", "Session 3:
#: Cities", "Semaine 4 – La ville", "Further reading" — a section of the list (LST-1)
HEADING_TEXT = re.compile(
    r"(?i)^(?:(?:week|session|seminar|lecture|lesson|topic|part|unit|module|class|day|term|tutorial|workshop"
    r"|semaine|séance|seance|cours|thème|theme|partie|chapitre|chapter|leçon|lecon|atelier|TD|TP)"
    r"\s*(?:\d{1,3}|[IVX]{1,5})\b(?:\s*[:.–—-]\s*\S.*)?"
    r"|(?:essential|recommended|further|additional|optional|core|background|supplementary|required|key|set)"
    r"\s+(?:reading|readings|texts|sources|materials?|literature)"
    r"|(?:lectures?|textes?|ressources?)\s+(?:obligatoires?|complémentaires?|recommandées?|conseillées?|essentielles?)"
    r"|(?:bibliography|references|reading list|bibliographie|références))\s*:?$")
#: what an instruction to students starts with ("Read chapters 1–3 before the seminar")
INSTRUCTION = re.compile(
    r"(?i)^(?:read|please|note|nb\b|n\.b\.|students?|you|before|after|for (?:this|next|the)|this|these|bring|prepare"
    r"|skim|focus|look at|watch|listen|see (?:also )?the|optional:|all|each|start|begin|try|do not|don't"
    r"|lire|lisez|veuillez|à lire|pour (?:cette|la|le)|avant|après|les étudiants|vous|regardez|écoutez|préparez"
    r"|remarque|attention|facultatif)\b")
#: how a reference starts: "Family, G." / "Family, Given" / "Family G." (Vancouver)
AUTHOR_HEAD = re.compile(r"^[A-ZÀ-ÞА-ЯΑ-Ω][\w'’\-]+(?:\s+[A-ZÀ-Þ][\w'’\-]+)?(?:,\s*|\s+[A-Z]{1,3}[.,\s])[A-ZÀ-ÞА-Я]")


def paragraph_kind(text: str, read: references.Reference | None = None) -> str:
    """What a paragraph of a reading list is (LST-1, LST-3, LST-9): ``"reference"`` (a citation,
    perhaps to review), ``"heading"`` (a week or part of the course typed in no heading style) or
    ``"note"`` (an instruction to students: "Read chapters 1–3 before the seminar").  A paragraph
    with a DOI, an ISBN or a web address, or read with its authors, year and title, is a reference;
    a note starts as an instruction does, or is a sentence of several words without a number, an
    author's name at its head or anything in brackets."""
    if identifier_in(text) or URL.search(text) or re.search(r"(?i)\bwww\.", text):
        return "reference"
    read = read or references.parse_reference(text)
    if read.confident:
        return "reference"
    if len(text) <= 120 and not text.rstrip().endswith(".") and HEADING_TEXT.match(text.strip()):
        return "heading"
    if INSTRUCTION.match(text):
        return "note"
    # a sentence of several words, with no number (a year, pages, a volume), no author's name at its head
    # and nothing in brackets (a reference's "(n.d.)", "(Eds.)")
    if len(text.split()) >= 4 and not re.search(r"[()\[\]\d]", text) and not AUTHOR_HEAD.match(text):
        return "note"
    return "reference"


def _noted(old: str, text: str, limit: int) -> str:
    joined = f"{old}\n\n{text}" if old else text
    return joined if len(joined) <= limit else joined[:limit - 1].rstrip() + "…"


#: the most characters of the notes a document gives one section or item (a note's column: a TextField)
NOTE_CHARS = 20_000


def entries_of(raw: bytes) -> list[RowEntry]:
    """The candidates of a .docx kept as paragraphs (:func:`entries_of_paragraphs`)."""
    return entries_of_paragraphs(paragraphs(raw))


def entries_of_paragraphs(found: list[tuple[str, str]]) -> list[RowEntry]:
    """The candidates of paragraphs ``(style, text)`` — a Word document's, or citations pasted into
    the list editor: one entry a reference, with the section of the heading above it; a reference
    read into fields where its authors, year and title were found, else kept as its text for review.
    A heading (in a heading style, or a line such as "Week 2") names the section of what follows; an
    instruction paragraph (:func:`paragraph_kind`) is a **note for students** — on the item just
    above it; else on its section (an entry of kind ``"section"``: the section, made if the list has
    none of that title, with the note as its description); before any heading or item, on the list
    (kind ``"list"``: the list's description) — never a citation (LST-1, LST-3)."""
    section, out = "", cast("list[RowEntry]", [])
    target: RowEntry | None = None  # where a note goes: the item above, or the section's note entry
    for n, (style, text) in enumerate(found, start=1):
        folded = style.strip().lower()
        if folded in SKIPPED_STYLES:
            continue
        if HEADING.match(style.strip()):
            section, target = text[:300], None
            continue
        text = ENUMERATOR.sub("", text, count=1).strip()
        if not text:
            continue
        read = references.parse_reference(text)
        kind = paragraph_kind(text, read)
        if kind == "heading":
            section, target = text.rstrip(" :")[:300], None
            continue
        if kind == "note":
            if target is None:  # under a heading: the section's note; before any heading or item: the list's
                target = RowEntry(len(out) + 1, None, "", (section or text)[:60], n, section=section,
                                  kind="section" if section else "list")
                out.append(target)
            target.public_note = _noted(target.public_note, text, NOTE_CHARS)
            continue
        identifier = identifier_in(text)
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
        target = RowEntry(len(out) + 1, csl, "", csl["title"][:60], n, section=section, lookup=identifier,
                          review=not read.confident, parsed=read.confident)
        out.append(target)
    return out
