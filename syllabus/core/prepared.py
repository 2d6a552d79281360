"""A query built and compiled once per process, run again with each request's values (issue 19).

The student view reads its list with every stamp of what the page shows in one query
(lists.selectors.reader_list), and every request of a signed-in person reads them with their
institution and menu badges (org.backends); building and compiling such a query with the ORM
costs more CPU than running it.  :class:`Prepared` builds it once with *markers* in place of the values that change
(the reader, the list, the time), keeps the compiled SQL, and on each call puts the real values
in the markers' places and turns the row into a model instance as the ORM would (its
``select_related`` objects and annotations included).  On PostgreSQL the statement is also
prepared once per connection (syllabus.core.statements): its plan is kept by the server."""
from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

from django.db import connections
from django.db.models.query import get_related_populators

from syllabus.core import statements

#: marker values: no real id or time is ever one of them
MARKERS: dict[str, Any] = {"user_id": -7_000_000_001, "list_id": -7_000_000_002,
                           "now": dt.datetime(1901, 2, 3, 4, 5, 6, 789012, tzinfo=dt.timezone.utc),
                           "session_key": "syllabus-marker-session-key-4b1d09e7",
                           "library_id": -7_000_000_003, "institution_id": -7_000_000_004,
                           "consortium_id": -7_000_000_005}


class Prepared:
    def __init__(self, build: Callable[[dict[str, Any]], Any], prefix: str = "ps",
                 rewrite: Callable[[str, str, list], tuple[str, list]] | None = None):
        """``build(values)``: the queryset for ``values`` — :data:`MARKERS`' names, whose values
        it may only pass on as query parameters, and anything else :meth:`fetch` is given, which
        must be the same for every call with the same ``shape``.  ``rewrite(vendor, sql,
        params)``: the compiled query as it is sent, rewritten once (same rows; the markers may
        be used again as parameters)."""
        self.build = build
        self.prefix = prefix  # of its name when prepared on PostgreSQL (core.statements)
        self.rewrite = rewrite
        self._compiled: dict[tuple, tuple] = {}
        self._lock = threading.Lock()

    def _compile(self, db: str, values: dict[str, Any]) -> tuple:
        qs = self.build({**values, **MARKERS}).using(db)
        compiler = qs.query.get_compiler(using=db)
        sql, params = compiler.as_sql()
        if self.rewrite is not None:
            sql, params = self.rewrite(connections[db].vendor, sql, list(params))
        ops = connections[db].ops
        marks = {}
        for name, value in MARKERS.items():
            marks[value] = name
            if isinstance(value, dt.datetime):
                marks[ops.adapt_datetimefield_value(value)] = name
        slots = [(i, marks[p]) for i, p in enumerate(params) if _hashable(p) and p in marks]
        if {name for _i, name in slots} - set(MARKERS):
            raise AssertionError("unknown marker")
        return sql, list(params), slots, compiler, _reader(compiler, db)

    def bind(self, db: str, shape, values: dict[str, Any]) -> tuple[str, list, Callable[[list], list]]:
        """The compiled query for ``values`` (``shape``: hashable, what the build depends on
        besides the markers — one compilation per distinct shape): ``(sql, params, reader)``,
        ``reader(rows)`` giving the instances."""
        key = (db, connections[db].vendor, shape)
        compiled = self._compiled.get(key)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.get(key) or self._compile(db, values)
                self._compiled[key] = compiled
        sql, params, slots, _compiler, reader = compiled
        params = list(params)
        ops = connections[db].ops
        for i, name in slots:
            value = values[name]
            if isinstance(value, dt.datetime) and not isinstance(params[i], dt.datetime):
                value = ops.adapt_datetimefield_value(value)
            params[i] = value
        return sql, params, reader

    def compiled(self, db: str, shape) -> bool:
        """Whether the query of ``shape`` is compiled in this process (then :meth:`bind` needs
        only the markers' values)."""
        return (db, connections[db].vendor, shape) in self._compiled

    def fetch(self, db: str, shape, values: dict[str, Any]) -> list:
        """The instances the query built for ``values`` gives (``shape``: see :meth:`bind`)."""
        return fetch_many(db, [(self, shape, values)])[0]


def fetch_many(db: str, reads: list[tuple[Prepared, Any, dict[str, Any]]]) -> list[list]:
    """Several prepared reads ``(prepared, shape, values)`` in ONE round trip on PostgreSQL (one
    implicit transaction, or in a savepoint of the caller's): each one's instances, in order
    (issue 19: the session, the signed-in person and the configuration a page reads)."""
    bound = [(prepared, *prepared.bind(db, shape, values)) for prepared, shape, values in reads]
    with connections[db].cursor() as cursor:
        # prepared once per PostgreSQL connection (the student view's list query: its planning
        # cost 3.5 ms of the view's 18); a read, recovered in a transaction too
        statements.execute(cursor, [(sql, params, prepared.prefix) for prepared, sql, params, _reader in bound],
                           savepoint=True)
        out = []
        for i, (_prepared, _sql, _params, reader) in enumerate(bound):
            if i:
                cursor.nextset()
            out.append(reader(cursor.fetchall()))
    return out


def _hashable(value) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _reader(compiler, db: str) -> Callable[[list], list]:
    """What turns the compiled query's rows into model instances as the ORM would
    (django.db.models.query.ModelIterable, without its extras): worked out once per compiled
    query — the columns' converters, the related objects' populators — not on every call."""
    select, klass_info, annotation_col_map = compiler.select, compiler.klass_info, compiler.annotation_col_map
    model_cls = klass_info["model"]
    select_fields = klass_info["select_fields"]
    start, end = select_fields[0], select_fields[-1] + 1
    init_list = [f[0].target.attname for f in select[start:end]]
    populators = get_related_populators(klass_info, select, db)  # type: ignore[call-arg]  # (stubs of a later Django)
    fields = [s[0] for s in select[0:compiler.col_count]]
    converters = compiler.get_converters(fields)
    if compiler.has_composite_fields(fields):
        raise AssertionError("a prepared query reads no composite key")
    annotations = list((annotation_col_map or {}).items())

    def read(rows: list) -> list:
        out = []
        for row in (compiler.apply_converters(rows, converters) if converters else rows):
            obj = model_cls.from_db(db, init_list, row[start:end])
            for populator in populators:
                populator.populate(row, obj)
            for attr, pos in annotations:
                setattr(obj, attr, row[pos])
            out.append(obj)
        return out

    return read
