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
reads the cell's own header once.  A table already marked ``stacks`` is left as it is: a part
rendered once and reused for many answers writes the same markup itself (the copies table of a
list's items, ``circulation/_item_access.html``, with the ``colon`` filter), so that the work is not
redone on every list page.
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


def _start(name: str, attrs: str, added: str, keys: tuple[str, ...]) -> str:
    """The start tag ``<name attrs>`` with ``added`` first — unless the template set one of ``keys``
    itself — so that what the template wrote stays as it was, next to its ``>``."""
    if attrs and any(key in attrs for key in keys) and any(_has(attrs, key) for key in keys):
        return f"<{name}{attrs}>"
    return f"<{name}{added}{attrs}>"


_GROUPS = ("thead", "tbody", "tfoot")


def _stack_one(source: str, start: int) -> tuple[int, str]:
    """The table opening at ``start``, labelled; and where it ends (after ``</table>``).  One pass:
    the headings (the first row of ``<thead>``) come before the rows they label."""
    out: list[str] = []
    last, end, depth = start, len(source), 0
    section, head_rows, in_head, column = "", 0, False, 0
    heads: list[str] = []
    labels: list[str] | None = None
    cell: tuple[int, int] | None = None
    for m in _TAG.finditer(source, start):
        closing, tag, attrs = m.group(1, 2, 3)
        name = tag.lower()
        if name == "table":
            depth += -1 if closing else 1
            if depth == 0:
                end = m.end()
                break
            if depth == 1 and not closing:     # this table: "stacks", and its role
                marked = 'class="{}"'.format(" ".join([*(_classes(attrs) or []), "stacks"]))
                out += [source[last:m.start()], _start(tag, _CLASS.sub(lambda _m, marked=marked: marked, attrs, count=1),
                                                         ' role="table"', ("role",))]
                last = m.end()
            continue
        if depth != 1:
            continue           # a nested table's own tags are not ours
        if closing:
            if name in _GROUPS:
                section = ""
            elif name == "tr":
                in_head = False
            elif cell is not None:
                heads.extend([" ".join(html.unescape(_TAGS.sub(" ", source[cell[0]:m.start()])).split())] * cell[1])
                cell = None
            continue
        keys: tuple[str, ...]
        if name in _GROUPS:
            section, added, keys = name, ' role="rowgroup"', ("role",)
        elif name == "tr":
            column, added, keys = 0, ' role="row"', ("role",)
            if section == "thead":
                head_rows += 1
                in_head = head_rows == 1
        else:
            span = _colspan(attrs) if "colspan" in attrs.lower() else 1
            if section == "thead":
                added, keys = ' role="columnheader"', ("role",)
                if in_head:
                    cell = (m.end(), span)
            else:
                if labels is None:
                    label = gettext("%(label)s:")
                    labels = [html.escape(label % {"label": h}, quote=True) if h else "" for h in heads]
                added = ' role="rowheader"' if name == "th" else ' role="cell"'
                keys = ("role", "data-label")
                if span == 1 and column < len(labels) and labels[column]:
                    added += f' data-label="{labels[column]}"'
            column += span
        out += [source[last:m.start()], _start(tag, attrs, added, keys)]
        last = m.end()
    if not heads:
        return end, source[start:end]
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
