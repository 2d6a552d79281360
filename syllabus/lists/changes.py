"""Change stamps kept by the database (issue 19, session 13): the kept student view's key is read
from two small tables that triggers bump in the same transaction as any change of what the
shared part of a list's page shows — instead of reading every provider's signature of those
tables in the list's query (lists.item_access).

* ``lists_recordchange(record_id, n)``: ``n`` grows by one with every change of a catalog
  record's copies (``catalog_item``), its copies on the hold shelf (``circulation_hold``), its
  e-resources, its digital representations and their loan settings; record **0** stands for
  every record and grows with a change of a library, an institution's consortium or a loan
  policy (rare writes, each of which may change the rows of any record).
* ``lists_listchange(list_id, n)``: grows with a change of the list's items (``lists_citation``:
  also the set of its records), their personal copies, their digitization requests, the list's
  courses (``lists_resourcelist_courses``) and those courses (``courses_course``).

A list's stamp is ``(its listchange n, the SUM of its records' n, record 0's n)``: with the
set of its records fixed by the first (every change of a citation bumps it), each part only
grows, so a change anywhere gives a stamp never read before — a page kept under an older
stamp is never found again.  The list's own row (title, status, revision, assignee with their
name) is read in the same query and is in the key as it is.

What a stamp cannot replace stays read in the list's query as before: the reader's own parts
(``mine_*``, their access flags), the lending titles' requests in use and waiting and whether a
lending timer is due *now* (lending.item_access: a hand-over on the hot title writes no stamp
row — its ``UPDATE … SET concurrent_users = concurrent_users`` lock fires no trigger, a ``WHEN``
compares the columns), and what the process knows (configuration, today).

Both databases use the same triggers (SQLite has them too): one way, one set of tests.  A new
table read by the shared part of the student view must be declared — by the item-access provider
that reads it (``register(..., watches=...)``), or in :data:`OWN` for the list's own — and a migration must
run :func:`install` again (tests/circulation/test_change_stamps.py compares the tables the
view reads and the triggers installed with this list).
"""
from __future__ import annotations

from dataclasses import dataclass

RECORDS = "lists_recordchange"
LISTS = "lists_listchange"
EVERY_RECORD = 0
PREFIX = "syllabus_change_"


@dataclass(frozen=True)
class Watch:
    """A table whose change bumps ``target`` (:data:`RECORDS` or :data:`LISTS`) for the keys
    ``keys`` — a ``SELECT … AS k`` over ``{row}`` (``OLD``/``NEW``) — when ``where`` holds for
    the row (old or new), and, for an UPDATE, one of ``columns`` changed (``()``: every UPDATE)."""
    table: str
    target: str
    keys: str
    columns: tuple[str, ...] = ()
    where: str = ""


RECORD = "SELECT {row}.record_id AS k"   # a row of one catalog record (its ``record_id``)
EVERY = f"SELECT {EVERY_RECORD} AS k"     # a row that may change the rows of any record


def citation_list(column: str) -> str:
    """The keys of a row that points at a citation through ``column``: that citation's list."""
    return f"SELECT resource_list_id AS k FROM lists_citation WHERE id = {{row}}.{column}"


# what the list's query reads of its own (the providers of item_access declare theirs: register(watches=...))
OWN = (
    Watch("lists_citation", LISTS, "SELECT {row}.resource_list_id AS k"),
    Watch("lists_resourcelist_courses", LISTS, "SELECT {row}.resourcelist_id AS k"),
    Watch("courses_course", LISTS, "SELECT resourcelist_id AS k FROM lists_resourcelist_courses WHERE course_id = {row}.id",
          ("code", "section", "name", "term")),
)


def watched() -> list[Watch]:
    """Every watched table: the list's own and those the item-access providers declare (each
    app names the tables its part of the student view reads — a one-way graph: lists imports none)."""
    from .item_access import providers

    found: dict[str, Watch] = {}
    for w in OWN + tuple(w for p in providers() for w in p.watches):
        if found.setdefault(w.table, w) != w:
            raise ValueError(f"{w.table} is watched twice, differently")
    return list(found.values())


def _key_column(target: str) -> str:
    return "record_id" if target == RECORDS else "list_id"


def _bump(w: Watch, rows: tuple[str, ...]) -> str:
    """The statement that bumps the keys of ``rows`` (``OLD``/``NEW``) of a change of ``w``."""
    parts = []
    for row in rows:
        sql = w.keys.format(row=row)
        if w.where:   # (an UPDATE: only the side of the row the condition holds for)
            sql = f"SELECT k FROM ({sql}) s_{row.lower()} WHERE {w.where.format(row=row)}"
        parts.append(sql)
    col = _key_column(w.target)
    return (f"INSERT INTO {w.target} ({col}, n) SELECT k, 1 FROM ({' UNION '.join(parts)}) s "
            f"WHERE k IS NOT NULL ORDER BY k ON CONFLICT ({col}) DO UPDATE SET n = {w.target}.n + 1")


def _changed(vendor: str, columns: tuple[str, ...]) -> str:
    """An UPDATE's condition: one of ``columns`` changed; none named: every UPDATE (a column added
    to the table later is then covered without installing again)."""
    if not columns:
        return ""
    op = "IS DISTINCT FROM" if vendor == "postgresql" else "IS NOT"
    return "(" + " OR ".join(f"OLD.{c} {op} NEW.{c}" for c in columns) + ")"


def statements(connection) -> list[str]:
    """The SQL that (re)creates every trigger, for ``connection``'s database."""
    vendor = connection.vendor
    out = []
    for w in watched():
        name = PREFIX + w.table
        either = f"(({w.where.format(row='OLD')}) OR ({w.where.format(row='NEW')}))" if w.where else ""
        when = {"INSERT": w.where.format(row="NEW"), "DELETE": w.where.format(row="OLD"),
                "UPDATE": " AND ".join(c for c in (_changed(vendor, w.columns), either) if c)}
        if vendor == "postgresql":
            out.append(f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                       f"IF TG_OP = 'INSERT' THEN {_bump(w, ('NEW',))}; "
                       f"ELSIF TG_OP = 'DELETE' THEN {_bump(w, ('OLD',))}; "
                       f"ELSE {_bump(w, ('OLD', 'NEW'))}; END IF; RETURN NULL; END $$")
        for event in ("INSERT", "UPDATE", "DELETE"):
            trigger = f"{name}_{event.lower()}"
            cond = f" WHEN ({when[event]})" if when[event] else ""
            if vendor == "postgresql":
                out.append(f"CREATE TRIGGER {trigger} AFTER {event} ON {w.table} FOR EACH ROW{cond} EXECUTE FUNCTION {name}()")
            else:
                rows = {"INSERT": ("NEW",), "DELETE": ("OLD",), "UPDATE": ("OLD", "NEW")}[event]
                out.append(f"CREATE TRIGGER {trigger} AFTER {event} ON {w.table} FOR EACH ROW{cond} BEGIN {_bump(w, rows)}; END")
    return out


def uninstall(connection) -> None:
    with connection.cursor() as cur:
        for table, trigger in installed(connection):
            if connection.vendor == "postgresql":
                cur.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
            else:
                cur.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        if connection.vendor == "postgresql":
            cur.execute("SELECT p.proname FROM pg_proc p WHERE p.proname LIKE %s", [PREFIX + "%"])
            for (fn,) in cur.fetchall():
                cur.execute(f"DROP FUNCTION IF EXISTS {fn}()")


def install(connection) -> None:
    """(Re)create every trigger of :func:`watched` (migrations run it)."""
    uninstall(connection)
    with connection.cursor() as cur:
        for sql in statements(connection):
            cur.execute(sql)


def installed(connection) -> list[tuple[str, str]]:
    """``[(table, trigger)]`` of the change triggers in the database."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                        "WHERE NOT t.tgisinternal AND t.tgname LIKE %s ORDER BY 1, 2", [PREFIX + "%"])
        else:
            cur.execute("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger' AND name LIKE %s ORDER BY 1, 2",
                        [PREFIX + "%"])
        return [tuple(r) for r in cur.fetchall()]


# --- read in the list's query ----------------------------------------------------------------


def stamp_columns() -> dict:
    """The list's change stamp as three columns of the list's query (see the module doc)."""
    from django.db import models
    from django.db.models import OuterRef, Subquery, Sum, Value
    from django.db.models.functions import Coalesce

    from .item_access import list_records
    from .models import ListChange, RecordChange

    big = models.BigIntegerField()
    records = (RecordChange.objects.filter(record_id__in=list_records()).order_by()
               .annotate(_one=Value(1, output_field=models.IntegerField())).values("_one").annotate(s=Sum("n")).values("s"))
    return {
        "stamp_changes_list": Coalesce(Subquery(ListChange.objects.filter(list_id=OuterRef("pk")).values("n")[:1]),
                                       Value(0), output_field=big),
        "stamp_changes_records": Coalesce(Subquery(records, output_field=big), Value(0), output_field=big),
        "stamp_changes_all": Coalesce(Subquery(RecordChange.objects.filter(record_id=EVERY_RECORD).values("n")[:1]),
                                      Value(0), output_field=big),
    }


def stamp_of(row) -> tuple[int, int, int]:
    return (row.stamp_changes_list, row.stamp_changes_records, row.stamp_changes_all)
