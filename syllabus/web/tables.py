"""Data tables on a phone (WCAG 1.4.10), with or without JavaScript: one way, on the server.

On a narrow screen ``syllabus.css`` lays a ``table.data.stacks`` out as one block per row, each
value written after its column's heading — instead of columns wider than the screen.  The heading
comes from the cell's ``data-label``; :class:`StackedTablesMiddleware` writes it, and the class
``stacks`` and the explicit roles, into every ``<table class="data">`` of an HTML answer (a page
or an htmx fragment) — so a reader whose browser runs no JavaScript gets the same stacked rows
(until session 22, ``shell.js`` labelled the cells after the page loaded, and a page without
JavaScript stayed wider than the screen).

The label carries its colon in the reader's language (``"%(label)s:"``: "Titre :" in French,
with a non-breaking space).  A table laid out as blocks is still read as a table: the table, its
row groups, rows and cells get ``role`` (``table``, ``rowgroup``, ``row``, ``columnheader`` /
``rowheader`` / ``cell``), and the CSS gives the label no alternative text, so a screen reader
reads the cell's own header once.  A table already marked ``stacks`` is left as it is.
"""
from __future__ import annotations

import html
import re

from django.utils.translation import gettext

_ATTRS = r"((?:[^>\"']|\"[^\"]*\"|'[^']*')*)"
_TAG = re.compile(rf"<(/?)(table|thead|tbody|tfoot|tr|td|th)\b{_ATTRS}>", re.I)
_DATA_TABLE = re.compile(rf"<table\b{_ATTRS}>", re.I)
_CLASS = re.compile(r"""(?:^|(?<=\s))class\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.I)
_COLSPAN = re.compile(r"""(?:^|(?<=\s))colspan\s*=\s*["']?(\d+)""", re.I)
_TAGS = re.compile(r"<[^>]*>")


def _classes(attrs: str) -> list[str] | None:
    found = _CLASS.search(attrs)
    return None if found is None else (found.group(1) if found.group(1) is not None else found.group(2)).split()


def _has(attrs: str, name: str) -> bool:
    return re.search(rf"(?:^|(?<=\s)){name}\s*=", attrs, re.I) is not None


def _colspan(attrs: str) -> int:
    found = _COLSPAN.search(attrs)
    return max(1, min(int(found.group(1)), 1000)) if found else 1


def _text(fragment: str) -> str:
    return " ".join(html.unescape(_TAGS.sub(" ", fragment)).split())


def _start(name: str, attrs: str, added: dict[str, str]) -> str:
    extra = "".join(f' {key}="{html.escape(value, quote=True)}"' for key, value in added.items() if not _has(attrs, key))
    return f"<{name}{extra}{attrs}>"    # first: what the template wrote stays as it was, next to its ">"


def _stack_one(source: str, start: int) -> tuple[int, str]:
    """The table opening at ``start``, labelled; and where it ends (after ``</table>``)."""
    matches, depth, end = [], 0, len(source)
    for m in _TAG.finditer(source, start):
        closing, name = m.group(1) == "/", m.group(2).lower()
        if name == "table":
            depth += -1 if closing else 1
            if depth == 0:
                end = m.end()
                break
            if depth == 1:
                matches.append(m)
        elif depth == 1:
            matches.append(m)     # a nested table's own tags (depth > 1) are not ours
    # the headings: the first row of the table's <thead>
    heads: list[str] = []
    section, in_head_row, rows_in_head = "", False, 0
    cell_open: tuple[int, int] | None = None
    for m in matches:
        closing, name, attrs = m.group(1) == "/", m.group(2).lower(), m.group(3)
        if name in ("thead", "tbody", "tfoot"):
            section = "" if closing else name
        elif name == "tr" and section == "thead":
            if closing:
                in_head_row = False
            else:
                rows_in_head += 1
                in_head_row = rows_in_head == 1
        elif name in ("th", "td") and in_head_row:
            if not closing:
                cell_open = (m.end(), _colspan(attrs))
            elif cell_open is not None:
                heads.extend([_text(source[cell_open[0]:m.start()])] * cell_open[1])
                cell_open = None
    if not heads:
        return end, source[start:end]
    out, last, section, column = [], start, "", 0
    for m in matches:
        closing, name, attrs = m.group(1) == "/", m.group(2).lower(), m.group(3)
        if closing:
            if name in ("thead", "tbody", "tfoot"):
                section = ""
            continue
        added: dict[str, str] = {}
        if name == "table":
            marked = 'class="{}"'.format(" ".join([*(_classes(attrs) or []), "stacks"]))
            attrs = _CLASS.sub(lambda _found, marked=marked: marked, attrs, count=1)
            added = {"role": "table"}
        elif name in ("thead", "tbody", "tfoot"):
            section, added = name, {"role": "rowgroup"}
        elif name == "tr":
            column, added = 0, {"role": "row"}
        else:
            span = _colspan(attrs)
            if section == "thead":
                added = {"role": "columnheader"}
            else:
                added = {"role": "rowheader" if name == "th" else "cell"}
                if span == 1 and column < len(heads) and heads[column]:
                    added["data-label"] = gettext("%(label)s:") % {"label": heads[column]}
            column += span
        out.append(source[last:m.start()])
        out.append(_start(m.group(0)[1:1 + len(m.group(2))], attrs, added))
        last = m.end()
    out.append(source[last:end])
    return end, "".join(out)


def stack_tables(source: str) -> str:
    """Every ``<table class="data">`` of ``source`` (not yet ``stacks``) labelled for a phone."""
    if "<table" not in source:
        return source
    out, last = [], 0
    for m in _DATA_TABLE.finditer(source):
        if m.start() < last:
            continue
        classes = _classes(m.group(1)) or []
        if "data" not in classes or "stacks" in classes:
            continue
        end, table = _stack_one(source, m.start())
        out.append(source[last:m.start()])
        out.append(table)
        last = end
    if not out:
        return source
    out.append(source[last:])
    return "".join(out)


class StackedTablesMiddleware:
    """Labels the data tables of every HTML answer (:func:`stack_tables`) — pages and htmx
    fragments alike — in the language the answer was written in."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (getattr(response, "streaming", False) or response.get("Content-Encoding")
                or not response.get("Content-Type", "").startswith("text/html")):
            return response
        charset = response.charset or "utf-8"
        content = response.content
        if b"<table" not in content:
            return response
        text = content.decode(charset, errors="surrogateescape")
        stacked = stack_tables(text)
        if stacked is not text:
            response.content = stacked.encode(charset, errors="surrogateescape")
            if response.has_header("Content-Length"):
                response["Content-Length"] = str(len(response.content))
        return response
