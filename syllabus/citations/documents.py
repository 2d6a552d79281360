"""Reading lists kept in Word documents (LST-9): a .docx read with python-docx, one candidate
citation a paragraph.  What is read — and nothing more (no citation parser guesses authors, dates
or titles out of a reference's text):

* every non-empty paragraph of the document's body, in order (tables, text boxes, headers,
  footers, footnotes and comments are not read);
* a paragraph in a heading style ("Heading 1".."Heading 9", Word's built-in styles whatever the
  language Word shows them in) starts a **section** of that title; the "Title" and "Subtitle"
  styles are the document's own title and are skipped;
* a numbering typed by hand at the start of a paragraph ("1.", "12)", "[3]", "•", "–") is dropped
  (Word's own list numbering is not part of the text);
* in each paragraph, its **DOI** (``10.xxxx/...``, also as a doi.org link), else its **ISBN**
  (after "ISBN", or a 13-digit 978/979 number), found and normalised by :mod:`.identifiers`, is
  what the list import looks up (the identifier lookup: the local catalog, Open Library,
  Crossref); a web address becomes the citation's URL;
* a paragraph whose identifier nobody knows, or that has none, becomes a citation whose title is
  the paragraph's whole text, marked for review (:attr:`RowEntry.review`).
"""
from __future__ import annotations

import io
import re
from typing import cast

from syllabus.core.errors import RuleViolation
from syllabus.core.limits import setting_within
from syllabus.core.office import ensure_zip_within

from . import identifiers
from .tables import RULE, RowEntry, bounds

HEADING = re.compile(r"(?i)^(heading|titre|berschrift|t[ií]tulo|kop)\s*([1-9])$")
SKIPPED_STYLES = {"title", "subtitle", "titre", "sous-titre", "toc heading", "caption"}
ENUMERATOR = re.compile(r"^\s*(?:\[\d{1,4}\]|\(\d{1,4}\)|\d{1,4}[.)]|[•·▪◦●○■□\-–—*])\s+")
ISBN_AFTER_LABEL = re.compile(r"(?i)\bISBN(?:-1[03])?[:\s]*((?:97[89][\s-]?)?(?:\d[\s-]?){9}[\dX])\b")
ISBN_BARE = re.compile(r"\b(97[89](?:[\s-]?\d){10})\b")
URL = re.compile(r"https?://[^\s<>\"]+", re.I)


def max_paragraphs() -> int:
    return int(setting_within("LIST_IMPORT_DOCX_MAX_PARAGRAPHS", 3000, 1, 20000))


def paragraphs(raw: bytes) -> list[tuple[str, str]]:
    """(style name, text) of the body's paragraphs, bounded (the zip's size, their number)."""
    from docx import Document
    from docx.opc.exceptions import PackageNotFoundError

    ensure_zip_within(raw, max_bytes=bounds()[2], rule=RULE, kind="Word")
    try:
        document = Document(io.BytesIO(raw))
    except (PackageNotFoundError, KeyError, ValueError) as exc:
        raise RuleViolation(RULE, f"the Word file cannot be read ({type(exc).__name__}): open it in Word and "
                                  "save it again as a Word document (.docx)", field="file") from None
    except Exception as exc:  # lxml and the zip reader raise their own on a broken part
        raise RuleViolation(RULE, f"the Word file cannot be read ({type(exc).__name__})", field="file") from None
    limit = max_paragraphs()
    out: list[tuple[str, str]] = []
    for paragraph in document.paragraphs:
        text = re.sub(r"\s+", " ", paragraph.text or "").strip()
        if not text:
            continue
        if len(out) >= limit:
            raise RuleViolation(RULE, f"the Word document has more than {limit} paragraphs: split it into "
                                      "several files", field="file")
        style = paragraph.style.name if paragraph.style is not None else ""
        out.append((style or "", text))
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


def entries_of(raw: bytes) -> list[RowEntry]:
    """The candidates of a .docx: one entry a paragraph, with the section of the heading above it."""
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
        csl: dict = {"type": "document", "title": text}
        if identifier and identifier.startswith("10."):
            csl["DOI"] = identifier
        elif identifier:
            csl["ISBN"] = identifier
        if url := URL.search(text):
            link = url.group(0).rstrip(".,;)]")
            if not re.match(r"(?i)https?://(dx\.)?doi\.org/", link):
                csl["URL"] = link
        out.append(RowEntry(len(out) + 1, csl, "", text[:60], n, section=section, lookup=identifier, review=True))
    return out
