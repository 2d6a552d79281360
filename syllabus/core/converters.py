"""``<id:pk>``: a row's id in a page's path, 1 .. MAX_ID (the "never a 500" audit of session 10).

Django's ``<id:...>`` takes any number of digits: 99999999999999999999 reached the query and was
a 500 (SQLite: ``OverflowError``; PostgreSQL: bigint out of range).  An id out of range names no
row, so the path does not match: a 404, before any database work.  Registered by ``CoreConfig.ready``.
"""
from __future__ import annotations

from syllabus.core.forms import MAX_ID


class IdConverter:
    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 1 <= number <= MAX_ID:
            raise ValueError(f"an id is 1..{MAX_ID}")  # no match: 404
        return number

    def to_url(self, value: int) -> str:
        return str(int(value))
