"""How much text one input may hold (the "never a 500" audit of session 9): every text a request
brings in — through the API's schemas, a page's form or a service — has a ceiling.  A text longer
than its column is an error on PostgreSQL (a 500 when nothing refuses it first) while SQLite stores
it whole, and a megabyte of free text is no note.  A field's ceiling comes from the column it lands
in, so that the two cannot drift: ``Field(max_length=column(ResourceList, "title"))``.
"""
from __future__ import annotations

import json
from typing import Any

from django.conf import settings

TEXT = 20_000  # free text kept in a TextField (a note, a description, a message): about ten pages
LETTER = 100_000  # a letter's template (notify): the longest text a person writes here
TERM = 40  # a short vocabulary word or code (a status, a type, a unit): the widest such column
ITEMS = 200  # the most values of a repeated field (ids, codes, tags) one request sends
JSON_CHARS = 100_000  # the most characters of a JSON object (citation metadata, CSL-JSON) once serialised
JSON_KEYS = 200  # the most members of a JSON object
SEARCH = 500  # a search's words, a looked-up identifier, a comma-separated filter: a query parameter
KEV = 1_000  # one value of an OpenURL query (a title, an author, an rft_id)


def column(model: Any, name: str, *, text: int = TEXT) -> int:
    """The most characters ``model.name`` holds: its column's ``max_length``, or ``text`` for a
    column without one (a TextField)."""
    return model._meta.get_field(name).max_length or text


def setting_within(name: str, default: float, low: float, high: float) -> float:
    """A number from settings, kept within [low, high] when it is read (every numeric setting has an
    upper bound, also one a test or a deployment's settings module sets past settings.py's clamp)."""
    try:
        value = float(getattr(settings, name, default))
    except (TypeError, ValueError):
        value = default
    return min(max(value, low), high)


def bounded_json(value: Any) -> Any:
    """``value`` itself, or ValueError when it is more than JSON_CHARS characters as JSON (a validator)."""
    if len(json.dumps(value, ensure_ascii=False, default=str)) > JSON_CHARS:
        raise ValueError(f"at most {JSON_CHARS} characters once serialised as JSON")
    return value
