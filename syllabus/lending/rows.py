"""Reads that a busy loan cycle repeats, as plain SQL built once per process (issue 19).

:class:`Joined` is ``Model.objects.select_related(*paths).filter(<where>)`` without the ORM's
per-call query compilation: the ``SELECT`` with its joins and the column converters are made
once (per database vendor), and each row becomes the same objects ``select_related`` would make
(``Model.from_db`` for the root and for each related object, cached on its foreign key).
"""
from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import Model

from syllabus.core import statements as statements_module


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
# A loan verb's statements are prepared once per connection by ``syllabus.core.statements``
# (names ``ldl_<n>_<generation>``; ``PREPARED_STATEMENTS=0``, formerly
# ``LENDING_PREPARED_STATEMENTS=0``, sends them as they are).


def execute(cur, statements: list[tuple[str, list]]) -> None:
    """Run ``statements`` as one query (one round trip) on ``cur``, positioned on the first
    statement's result (``cur.nextset()`` to the next): :func:`syllabus.core.statements.execute`."""
    statements_module.execute(cur, statements, prefix="ldl")
