"""Control characters at the boundary (issue 18, item 4).

Text that enters Syllabus (API input, imported RIS/BibTeX) may not carry NUL or other control
characters: they break the database (PostgreSQL refuses NUL), XML-based exports (Word/DOCX) and
line-based formats (RIS).  The API refuses them with an error naming the field; importers and
exporters strip them with ``strip_control``.  Tab, line feed and carriage return are text.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser

# C0 controls but tab/LF/CR, DEL, C1 controls, lone surrogates, and the two noncharacters XML forbids
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def find_control(value: str) -> str | None:
    """The first forbidden character of ``value`` as ``U+XXXX``, or None."""
    m = _CONTROL.search(value)
    return f"U+{ord(m.group()):04X}" if m else None


def strip_control(value: str) -> str:
    """``value`` without control characters (tab, LF and CR kept)."""
    return _CONTROL.sub("", value) if value else value


def strip_control_deep(value):
    """``strip_control`` over every string inside dicts and lists (CSL-JSON, parsed entries)."""
    if isinstance(value, str):
        return strip_control(value)
    if isinstance(value, dict):
        return {strip_control_deep(k): strip_control_deep(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(strip_control_deep(v) for v in value)
    return value


# --- a note written in HTML (Zotero's notes), as plain text (LST-3, LST-9) ------------------------

_HTML_TAG = re.compile(r"(?i)</?(?:p|div|br|span|em|strong|b|i|u|s|h[1-6]|ul|ol|li|a|blockquote|pre|code|table|thead|"
                       r"tbody|tr|td|th|sup|sub|hr|img|font|section|article|header|footer)\b[^>]*>")
_BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "blockquote", "pre", "table", "tr",
           "section", "article", "header", "footer", "hr"}
_SKIPPED = {"script", "style", "head", "title", "template"}


def looks_like_html(value: str) -> bool:
    """Whether ``value`` is written in HTML (a tag of a note's markup: ``<p>``, ``<br/>``, ``<li>``...)."""
    return bool(value and _HTML_TAG.search(value))


class _TextOf(HTMLParser):
    """The text of an HTML fragment: paragraphs, headings and table rows on lines of their own,
    list items as "- " lines, ``<br>`` a line break, entities decoded; scripts, styles and every
    attribute (links' targets, event handlers) left out."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = [""]
        self.skipping = 0
        self.pre = 0

    def _break(self, blank: bool = False) -> None:
        if self.lines[-1].strip():
            self.lines.append("")
        if blank and len(self.lines) > 1 and self.lines[-2].strip():
            self.lines.append("")

    def handle_starttag(self, tag, attrs) -> None:
        if tag in _SKIPPED:
            self.skipping += 1
        elif tag == "br":
            self.lines.append("")
        elif tag == "li":
            self._break()
            self.lines[-1] = "- "
        elif tag in _BLOCKS:
            self._break(blank=tag in ("p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table"))
            self.pre += tag == "pre"
        elif tag in ("td", "th") and self.lines[-1].strip():
            self.lines[-1] += " | "

    def handle_endtag(self, tag) -> None:
        if tag in _SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCKS:
            self.pre -= tag == "pre" and self.pre > 0
            self._break(blank=tag in ("p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table"))

    def handle_data(self, data) -> None:
        if self.skipping:
            return
        if self.pre:
            parts = data.split("\n")
            self.lines[-1] += parts[0]
            self.lines.extend(parts[1:])
            return
        text = re.sub(r"\s+", " ", data)
        if not self.lines[-1].strip() or self.lines[-1] == "- ":
            text = text.lstrip()
        self.lines[-1] += text


def html_to_text(value: str) -> str:
    """``value`` (an HTML fragment: a Zotero note, an EndNote research note) as plain text — what a
    note field shows, never markup nor a link's hidden target; blank lines between paragraphs, none
    at either end, no run of more than one."""
    parser = _TextOf()
    parser.feed(value)
    parser.close()
    out: list[str] = []
    for line in (line.rstrip() for line in parser.lines):
        if line.strip() or (out and out[-1]):
            out.append(line.replace("\u00a0", " ").rstrip())
    return "\n".join(out).strip()


def note_text(value: str) -> str:
    """An imported note as plain text: HTML (Zotero's notes) through :func:`html_to_text`, anything
    else with its lines' trailing spaces and the blank lines at either end removed."""
    value = strip_control(str(value or ""))
    if looks_like_html(value):
        return html_to_text(value)
    return "\n".join(line.rstrip() for line in value.replace("\r\n", "\n").replace("\r", "\n").split("\n")).strip()
