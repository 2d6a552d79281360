"""Whether a copy is available (DSV-6): the one answer every page and the API give.

A copy is available when its status is *in place* — not on loan, in process (on order, in
transit, being bound), missing — **and** no higher app holds it off the shelf for someone:
circulation's hold shelf (SRV-5) keeps a copy for the reader who asked for it, so that copy is
"0 of 1 available" on the list, on Find it, on the record page, in search and in the API alike.

The catalog cannot read circulation (it sits below it, tests/test_app_graph.py), so a higher app
fills two registries from its ``AppConfig.ready``:

* ``HELD.register(fn)`` — ``fn(record_ids) -> {item_id: Held}``: the copies of those records it
  holds, in one query for the whole page (never one per item);
* ``HELD_SQL.register(fn)`` — ``fn(alias) -> "SQL"``: a predicate, true when the copy
  ``alias`` (a ``catalog_item`` row) is held — the search's availability filter and facet.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from syllabus.core.registry import Hooks

IN_PLACE = "in_place"  # Item.Status.IN_PLACE (models import this module's users, not the reverse)


@dataclass(frozen=True)
class Held:
    """A copy on the shelf that is kept for someone: why (``reason``, e.g. ``hold_shelf``), for
    whom (``patron_id``) and until when (``until``: the end of the pickup period)."""

    reason: str
    patron_id: int | None = None
    until: dt.datetime | None = None
    library_id: int | None = None


HELD: Hooks[Callable[[set[int]], dict[int, Held]]] = Hooks()
HELD_SQL: Hooks[Callable[[str], str]] = Hooks()


def held_copies(record_ids: Iterable[int]) -> dict[int, Held]:
    """``{item_id: Held}`` for the copies of ``record_ids`` a higher app holds (a query per
    registered provider, whatever the number of records)."""
    ids = {pk for pk in record_ids if pk}
    out: dict[int, Held] = {}
    if not ids:
        return out
    for provider in HELD:
        out.update(provider(ids))
    return out


def mark_held(items: Iterable) -> None:
    """Set ``held`` on each copy of ``items`` (``catalog.Item`` rows): what
    ``Item.is_available`` reads — one :func:`held_copies` call for all their records.  Every
    reader of copies that asks ``is_available`` marks them first; an unmarked copy counts as held
    by nobody."""
    items = list(items)
    held = held_copies({item.record_id for item in items})
    for item in items:
        item.held = held.get(item.pk)


def is_available(status: str, held: Held | None) -> bool:
    """The one test: in place and not held for anyone (``held``: the copy's entry in
    :func:`held_copies`, or ``None``)."""
    return status == IN_PLACE and held is None


def available_sql(alias: str) -> str:
    """The same test in SQL over the ``catalog_item`` row ``alias``."""
    held = " OR ".join(f"({fn(alias)})" for fn in HELD_SQL)
    return f"({alias}.status = '{IN_PLACE}'" + (f" AND NOT ({held}))" if held else ")")
