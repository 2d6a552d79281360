"""Dates that people type (forms) or write in files (loaders): ``YYYY-MM-DD``."""
from __future__ import annotations

import datetime as dt


def typed_date(value: str | None) -> dt.date | None:
    """The ISO date in ``value`` (surrounding blanks ignored), ``None`` when it is empty; a
    ``ValueError`` for anything else, which the caller words for its rule."""
    value = (value or "").strip()
    return dt.date.fromisoformat(value) if value else None
