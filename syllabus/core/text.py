"""Control characters at the boundary (issue 18, item 4).

Text that enters Syllabus (API input, imported RIS/BibTeX) may not carry NUL or other control
characters: they break the database (PostgreSQL refuses NUL), XML-based exports (Word/DOCX) and
line-based formats (RIS).  The API refuses them with an error naming the field; importers and
exporters strip them with ``strip_control``.  Tab, line feed and carriage return are text.
"""
from __future__ import annotations

import re

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
