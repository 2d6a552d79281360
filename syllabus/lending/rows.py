"""Reads that a busy loan cycle repeats, as plain SQL built once per process (issue 19).

:class:`Joined` is ``Model.objects.select_related(*paths).filter(<where>)`` without the ORM's
per-call query compilation: the ``SELECT`` with its joins and the column converters are made
once (per database vendor), and each row becomes the same objects ``select_related`` would make
(``Model.from_db`` for the root and for each related object, cached on its foreign key).
"""
from __future__ import annotations

import os
import weakref
from typing import Any

from django.db import connection
from django.db.models import Model


def _qn(name: str) -> str:  # both backends quote identifiers with ""
    return f'"{name}"'


class Joined:
    """``root`` with the related objects of ``paths`` (``"a__b"`` as in ``select_related``),
    read by ``SELECT <columns>[, <extra>] FROM <root> t0 <joins> WHERE <where>``; ``where`` and
    ``extra`` may use the aliases ``t0`` (the root) and the join aliases of :meth:`alias`."""

    def __init__(self, root: type[Model], paths: tuple[str, ...]):
        self.root = root
        self.paths = paths
        self._plans: dict[str, tuple] = {}  # vendor -> (select-from text, models plan)
        self._aliases: dict[str, str] = {"": "t0"}

    def alias(self, path: str) -> str:
        self._plan()
        return self._aliases[path]

    def _plan(self) -> tuple:
        vendor = connection.vendor
        plan = self._plans.get(vendor)
        if plan is not None:
            return plan
        # (path, model, alias, parent path, the foreign key on the parent)
        nodes: list[tuple[str, Any, str, str | None, Any]] = [("", self.root, "t0", None, None)]
        joins = []
        for full in self.paths:
            parts = full.split("__")
            for i in range(len(parts)):
                path, parent = "__".join(parts[:i + 1]), "__".join(parts[:i])
                if any(n[0] == path for n in nodes):
                    continue
                parent_node = next(n for n in nodes if n[0] == parent)
                fk: Any = parent_node[1]._meta.get_field(parts[i])
                model: Any = fk.related_model
                alias = f"t{len(nodes)}"
                nodes.append((path, model, alias, parent, fk))
                self._aliases[path] = alias
                joins.append(f"LEFT JOIN {_qn(model._meta.db_table)} {alias} "
                             f"ON {alias}.{_qn(fk.target_field.column)} = {parent_node[2]}.{_qn(fk.column)}")
        columns, models, start = [], [], 0
        for path, model, alias, parent_path, fk in nodes:
            fields: list[Any] = list(model._meta.concrete_fields)
            converters = []
            for i, f in enumerate(fields):
                col = f.get_col(alias)
                fns = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
                if fns:
                    converters.append((i, fns, col))
            columns += [f"{alias}.{_qn(f.column)}" for f in fields]
            pk_index = next(i for i, f in enumerate(fields) if f.primary_key)
            models.append((path, model, parent_path, fk, start, start + len(fields), [f.attname for f in fields], converters,
                           pk_index))
            start += len(fields)
        head = f"SELECT {', '.join(columns)}"
        tail = f" FROM {_qn(self.root._meta.db_table)} t0 {' '.join(joins)}"
        plan = self._plans[vendor] = (head, tail, models, start)
        return plan

    def sql(self, where: str, extra: str = "") -> str:
        head, tail, _, _ = self._plan()
        return head + (f", {extra}" if extra else "") + tail + f" WHERE {where}"

    def objects(self, rows: list) -> list[tuple[Any, tuple]]:
        """Each row as the root object (its related objects attached) and the row's extra values."""
        _, _, models, width = self._plan()
        alias = connection.alias
        out = []
        for row in rows:
            made: dict[str, Model | None] = {}
            for path, model, parent, fk, lo, hi, attnames, converters, pk_index in models:
                values = list(row[lo:hi])
                obj: Model | None = None
                if values[pk_index] is not None:
                    for i, fns, col in converters:
                        for fn in fns:
                            values[i] = fn(values[i], col, connection)
                    obj = model.from_db(alias, attnames, values)
                made[path] = obj
                if parent is not None and made[parent] is not None:
                    fk.set_cached_value(made[parent], obj)
            out.append((made[""], tuple(row[width:])))
        return out


# --- statements prepared once per PostgreSQL connection ----------------------------------------
#
# Planning dominates the database's share of a loan cycle (the title's state and configuration
# are a few rows, but the statements join many tables: 2–9 ms of planning each on this machine,
# against well under 1 ms of execution).  On PostgreSQL :func:`execute` therefore sends each
# statement as ``EXECUTE <name>(<values>)`` of a statement prepared once per connection: the
# first time a connection meets a statement, its ``PREPARE`` goes first in a round trip of its
# own (``PREPARE`` is not undone by a rollback, and never fails on its own: a query that failed
# after a ``PREPARE`` in it would leave unknown which ran — and on a hot title many writes fail
# their gate).  A connection whose ``PREPARE`` failed starts a new generation of names.

#: ``LENDING_PREPARED_STATEMENTS=0`` sends the statements as they are (e.g. behind a connection
#: pooler in transaction mode, where a session's prepared statements are not kept)
PREPARED = os.environ.get("LENDING_PREPARED_STATEMENTS", "1") != "0"
_PREPARED_LIMIT = 256  # distinct statement texts prepared by one process; beyond, sent as they are
_names: dict[str, int] = {}  # statement text -> its number in the name


class _Prepared:
    def __init__(self) -> None:
        self.generation = 0
        self.ready: set[str] = set()


_state: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # psycopg connection -> _Prepared


def _number(sql: str) -> int | None:
    n = _names.get(sql)
    if n is None and len(_names) < _PREPARED_LIMIT:
        n = _names[sql] = len(_names) + 1
    return n


def execute(cur, statements: list[tuple[str, list]], _retry: bool = False) -> None:
    """Run ``statements`` as one query (one round trip) on ``cur``, positioned on the first
    statement's result (``cur.nextset()`` to the next); prepared once per connection on
    PostgreSQL, as they are on SQLite (there only one statement)."""
    if connection.vendor != "postgresql":
        assert len(statements) == 1
        cur.execute(*statements[0])
        return
    if not PREPARED:
        cur.execute(";\n".join(sql for sql, _ in statements), [p for _, values in statements for p in values])
        return
    raw = connection.connection
    state = _state.get(raw)
    if state is None:
        state = _state[raw] = _Prepared()
    texts: list[str] = []
    params: list = []
    prepares: list[str] = []
    named: set[str] = set()
    for sql, values in statements:
        n = _number(sql)
        if n is None:
            texts.append(sql)
            params += values
            continue
        name = f"ldl_{n}_{state.generation}"
        if name not in state.ready and name not in named:  # (the same statement twice: prepared once)
            named.add(name)
            parts = sql.split("%s")
            prepares.append(f"PREPARE {name} AS " + "".join(
                part + (f"${i + 1}" if i < len(parts) - 1 else "") for i, part in enumerate(parts)))
        texts.append(f"EXECUTE {name}" + (f"({', '.join(['%s'] * len(values))})" if values else ""))
        params += values
    if prepares:
        try:
            cur.execute(";\n".join(prepares), [])  # (with parameters: "%%" is read as "%", as in the rest)
        except Exception:  # which of them ran is unknown: new names from now on
            state.generation += 1
            state.ready = set()
            raise
        state.ready.update(text.split(" ", 2)[1] for text in prepares)
    try:
        cur.execute(";\n".join(texts), params)
    except Exception as exc:
        if getattr(exc.__cause__, "sqlstate", None) != "26000":
            raise
        # gone: the session was reset (DISCARD ALL, DEALLOCATE) — prepared again; outside a
        # transaction nothing of the failed query was kept (one implicit transaction): sent again
        state.generation += 1
        state.ready = set()
        if connection.in_atomic_block or _retry:
            raise
        execute(cur, statements, _retry=True)
