"""Statements prepared once per PostgreSQL connection (issue 19): the one way Syllabus keeps a
hot query's plan on the server.

Planning dominates the database's share of the queries a busy path repeats — a loan verb's
(lending.rows) and the student view's list query with its stamps (lists.selectors with core.prepared): they join
or nest many tables, 2–9 ms of planning each on the 2-core bench machine, against well under
1 ms of execution.  On PostgreSQL :func:`execute` therefore sends each statement as
``EXECUTE <name>(<values>)`` of a statement prepared once per connection: the first time a
connection meets a statement, its ``PREPARE`` goes first in a round trip of its own
(``PREPARE`` is not undone by a rollback, and never fails on its own: a query that failed after
a ``PREPARE`` in it would leave unknown which ran — and on a hot title many writes fail their
gate).  A connection whose ``PREPARE`` failed starts a new generation of names.

A session that lost its prepared statements (a pooler's ``DISCARD ALL``, a ``DEALLOCATE``)
answers sqlstate 26000: the statements are prepared again and, outside a transaction (where
nothing of the failed query was kept), the query is sent again.  Inside a transaction the
error aborts it, so it is raised — unless the caller asked for a ``savepoint`` (a read that
must not fail there): then the query runs in a savepoint, set and released in the same round
trip, and is sent again after rolling back to it.

PostgreSQL plans the first five executions of a prepared statement for their values (custom
plans), then keeps a generic plan when it costs no more; for the student view's list query the
generic plan was measured at 0.06 ms planning, 0.5 ms execution (the custom ones: 3.5 + 1.1 ms).

``PREPARED_STATEMENTS=0`` (environment; the older name ``LENDING_PREPARED_STATEMENTS=0`` is
still read) sends every statement as it is — behind a connection pooler in transaction mode
(PgBouncer), where a session's prepared statements are not kept.
"""
from __future__ import annotations

import os
import threading
import weakref
from typing import Any

from django.db import connection


def _enabled() -> bool:
    value = os.environ.get("PREPARED_STATEMENTS")
    if value is None:  # the name of sessions 7–8, when only the loan verbs prepared their statements
        value = os.environ.get("LENDING_PREPARED_STATEMENTS", "1")
    return value != "0"


#: whether statements are prepared on PostgreSQL (see the module doc)
PREPARED = _enabled()
_PREPARED_LIMIT = 256  # distinct statement texts prepared by one process; beyond, sent as they are
_names: dict[str, int] = {}  # statement text -> its number in the name
_names_lock = threading.Lock()
_SAVEPOINT = "syllabus_prepared"  # around a read in a caller's transaction (``savepoint``)


class _Prepared:
    def __init__(self) -> None:
        self.generation = 0
        self.ready: set[str] = set()
        self.literals: tuple[Any, str] | None = None  # (psycopg Transformer, encoding): see _bound


_state: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # psycopg connection -> _Prepared


def _number(sql: str) -> int | None:
    n = _names.get(sql)
    if n is None:
        with _names_lock:
            n = _names.get(sql)
            if n is None and len(_names) < _PREPARED_LIMIT:
                n = _names[sql] = len(_names) + 1
    return n


def _bound(raw, state: _Prepared, texts: list[str], executes: list[tuple[str, list]]) -> list[str] | None:
    """The ``EXECUTE`` texts with their values written in as literals — what psycopg's
    client-side binding (Django's) sends, made without it: psycopg finds the ``%s`` placeholders
    of a query by a regular expression and keeps that work only for queries of at most 50 values
    and 4 KB, so a loan verb's one-round-trip write (60–210 values) was split again on every call
    — 9–13 % of a hot hand-over's client CPU (issue 19, session 13).  Here each value is quoted
    by psycopg's own ``Transformer.as_literal``, as that binding quotes it, and the text is
    joined around it: the same bytes reach the server.  ``None`` (psycopg binds as before) when
    a statement sent as it is has values or a ``%`` (its placeholders are psycopg's to read)."""
    if any(name == "%" for name, _ in executes):
        return None
    if state.literals is None:  # one per connection: its adapters and encoding do not change
        from psycopg.adapt import Transformer  # (PostgreSQL only)

        state.literals = (Transformer(raw), raw.info.encoding)
    tx, encoding = state.literals
    out = []
    for text, (name, values) in zip(texts, executes):
        if not values:
            out.append(text)
            continue
        literals = [b"NULL" if v is None else tx.as_literal(v) for v in values]
        out.append(f"EXECUTE {name}(" + b", ".join(literals).decode(encoding) + ")")
    return out


def prepared_names() -> set[str]:
    """The names this process's current database connection has prepared (for tests)."""
    raw = connection.connection
    state = _state.get(raw) if raw is not None else None
    return set(state.ready) if state is not None else set()


def execute(cur, statements: list[tuple], *, prefix: str = "ps", savepoint: bool = False,
            _retry: bool = False) -> None:
    """Run ``statements`` — ``(sql, values)``, or ``(sql, values, prefix)`` to name that one
    with its own prefix (``None``: never prepared, e.g. a ``COMMIT``) — as one query (one round trip) on ``cur``, positioned on the first
    statement's result (``cur.nextset()`` to the next); prepared once per connection on
    PostgreSQL (names ``<prefix>_<n>_<generation>``), as they are on SQLite (there only one
    statement).  ``savepoint``: inside a transaction, run the query in a savepoint so that a
    session that lost its statements is recovered there too (for reads)."""
    db = getattr(cur, "db", connection)  # (a Django cursor knows its connection)
    if db.vendor != "postgresql":
        assert len(statements) == 1
        cur.execute(*statements[0][:2])
        return
    if not PREPARED:
        cur.execute(";\n".join(item[0] for item in statements), [p for item in statements for p in item[1]])
        return
    raw = db.connection
    state = _state.get(raw)
    if state is None:
        state = _state[raw] = _Prepared()
    texts: list[str] = []
    params: list = []
    prepares: list[str] = []
    named: set[str] = set()
    executes: list[tuple[str, list]] = []  # each EXECUTE's name and values, for _bound
    for item in statements:
        sql, values = item[0], item[1]
        n = None if len(item) > 2 and item[2] is None else _number(sql)  # (prefix None: sent as it is)
        if n is None:
            texts.append(sql)
            params += values
            executes.append(("", []) if not values and "%" not in sql else ("%", values))
            continue
        name = f"{item[2] if len(item) > 2 else prefix}_{n}_{state.generation}"
        if name not in state.ready and name not in named:  # (the same statement twice: prepared once)
            named.add(name)
            parts = sql.split("%s")
            prepares.append(f"PREPARE {name} AS " + "".join(
                part + (f"${i + 1}" if i < len(parts) - 1 else "") for i, part in enumerate(parts)))
        texts.append(f"EXECUTE {name}" + (f"({', '.join(['%s'] * len(values))})" if values else ""))
        params += values
        executes.append((name, values))
    if prepares:
        try:
            cur.execute(";\n".join(prepares), [])  # (with parameters: "%%" is read as "%", as in the rest)
        except Exception:  # which of them ran is unknown: new names from now on
            state.generation += 1
            state.ready = set()
            raise
        state.ready.update(text.split(" ", 2)[1] for text in prepares)
    in_transaction = db.in_atomic_block
    guarded = savepoint and in_transaction and not _retry
    bound = _bound(raw, state, texts, executes) if params else None
    sent: list | None = params
    if bound is not None:
        texts, sent = bound, None
    try:
        if guarded:   # in the same round trip: the query counts once, costs nothing more
            cur.execute(f"SAVEPOINT {_SAVEPOINT};\n" + ";\n".join(texts) + f";\nRELEASE SAVEPOINT {_SAVEPOINT}", sent)
            cur.nextset()   # to the first statement's result
        else:
            cur.execute(";\n".join(texts), sent)
    except Exception as exc:
        if getattr(exc.__cause__, "sqlstate", None) != "26000":
            raise
        # gone: the session was reset (DISCARD ALL, DEALLOCATE) — prepared again; outside a
        # transaction nothing of the failed query was kept (one implicit transaction), inside
        # one it is undone to its savepoint: sent again
        state.generation += 1
        state.ready = set()
        if (in_transaction and not guarded) or _retry:
            raise
        if guarded:
            cur.execute(f"ROLLBACK TO SAVEPOINT {_SAVEPOINT};\nRELEASE SAVEPOINT {_SAVEPOINT}", [])
        execute(cur, statements, prefix=prefix, savepoint=savepoint, _retry=True)
