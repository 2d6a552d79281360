"""Formatted citations of list items from CSL-JSON (LST-9).

    format_citation(csl, style="apa")                  # one bibliography entry, HTML
    format_citation(csl, style="chicago-author-date", fmt="text")
    format_bibliography([csl, ...], style="apa")       # entries in the style's order

Rendering goes through the catalog's bibliography renderer
(:func:`syllabus.catalog.bibliography.render`): one place loads the CSL styles, resolves their
names and aliases (``harvard``, ``mla``, ``vancouver``... as the export accepts them) and renders
under one lock.  citeproc-py keeps per-render state on the loaded style object, so two threads
rendering with the same cached style at once (``syllabus serve`` runs several) would mix up
their entries; a second, unlocked renderer here did exactly that.

citeproc-py does not escape the text of the metadata; the catalog's renderer escapes it first,
so a title such as ``<script>`` comes out as text.  Rendering one entry costs tens of
milliseconds, so results are memoised per (style, metadata) and the lists app stores the
formatted entry on the citation (``Citation.formatted``) when its metadata changes.
"""
from __future__ import annotations

import functools
import html
import json

from syllabus.catalog import bibliography
from syllabus.core.errors import RuleViolation

DEFAULT_STYLE = bibliography.DEFAULT_STYLE
FORMATS = ("html", "text")


def style_name(name: str | None) -> str:
    """The canonical name of a style or alias (``harvard`` → ``harvard-cite-them-right``), as
    the export resolves it; :class:`RuleViolation` (LST-9) for a name that cannot be a style."""
    return bibliography.style_name(name)


def load_style(name: str):
    """A CSL style by its name or alias (the catalog's cached copy)."""
    return bibliography.load_style(style_name(name))


def style_exists(name: str | None) -> bool:
    try:
        load_style(name)
        return True
    except Exception:  # RuleViolation, or a style file citeproc cannot read
        return False


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise RuleViolation("LST-9", f"unknown output format {fmt!r}; use html or text")


@functools.lru_cache(maxsize=4096)
def _format_one(style: str, fmt: str, csl_json: str) -> str:
    item = json.loads(csl_json)
    load_style(style)  # an unknown style is the caller's error, not odd metadata
    try:
        entries = bibliography.render([item], style, fmt=fmt)
    except RuleViolation:
        raise
    except Exception:  # a style that chokes on odd metadata must not break a page
        title = str(item.get("title", ""))
        return f"<i>{html.escape(title, quote=False)}</i>" if fmt == "html" else title
    return entries[0] if entries else ""


def format_citation(csl: dict, style: str = DEFAULT_STYLE, fmt: str = "html") -> str:
    """One formatted bibliography entry for CSL-JSON ``csl`` (HTML is safe to insert as is)."""
    _check_format(fmt)
    return _format_one(style_name(style), fmt, json.dumps(csl, sort_keys=True, default=str))


def format_bibliography(items: list[dict], style: str = DEFAULT_STYLE, fmt: str = "html") -> list[str]:
    """Formatted entries of several CSL-JSON items, in the order the style sorts them."""
    _check_format(fmt)
    return bibliography.render(list(items), style_name(style), fmt=fmt) if items else []
