"""Values of the objects of a page, read for all of them at once and only when first needed.

A page shows many items, each with its own related rows (a citation's requests, tasks ...).
``PageBatch(load, ids)`` calls ``load(ids) -> {id: [rows]}`` once, the first time any item's rows
are asked for; ``batch.of(pk)`` is what a template iterates, tests or counts for one item.  A
page that never looks never queries.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any


class PageBatch:
    def __init__(self, load: Callable[[list[int]], Mapping[int, Sequence[Any]]], ids: list[int]):
        self._load, self._ids = load, ids
        self._by_id: Mapping[int, Sequence[Any]] | None = None

    def get(self, pk: int) -> Sequence[Any]:
        if self._by_id is None:
            self._by_id = self._load(self._ids)
        return self._by_id.get(pk, [])

    def of(self, pk: int) -> Rows:
        return Rows(self, pk)


class Rows:
    """The rows of one object of a :class:`PageBatch`, read when iterated, tested or counted."""

    def __init__(self, batch: PageBatch, pk: int):
        self.batch, self.pk = batch, pk

    def __iter__(self) -> Iterator[Any]:
        return iter(self.batch.get(self.pk))

    def __bool__(self) -> bool:
        return bool(self.batch.get(self.pk))

    def __len__(self) -> int:
        return len(self.batch.get(self.pk))
