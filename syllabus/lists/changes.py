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
row — its ``UPDATE … SET concurrent_users = concurrent_users`` lock changes no watched column:
the row trigger's ``WHEN`` skips it),
and what the process knows (configuration, today).

On PostgreSQL the triggers fire once per **statement** (issue 19, session 14; migration
lists.0006): an AFTER trigger with the statement's transition tables bumps each key the statement
touched once, in key order — two statements writing copies of the same records lock the stamp
rows in the same order (one waits, neither deadlocks, as row triggers did when their copies came
in opposite orders), and a bulk write pays one upsert per key instead of one per row.  SQLite has
no statement-level triggers: there they fire once per row, as lists.0005 installed them on both
(SQLite has one writer at a time).  The same watches, the same keys, the same tests.  A watch
marked ``per_row`` keeps its row triggers on PostgreSQL too (issue 19, session 15; lists.0007):
``lending_loansettings``, whose row a loan verb updates without changing it to take the title's
lock, twice per hand-over — a row trigger's ``WHEN`` skips that in C, where the statement trigger
ran its query over the transition tables inside the lock (its writes are one title at a time, so
the deadlock above cannot arise from them).  A new
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
    #: fire once per row on PostgreSQL too (issue 19, session 15): a table written one row per
    #: statement on a hot path whose no-op UPDATEs the row trigger's ``WHEN`` skips without
    #: running anything — the loan title's lock, ``SET concurrent_users = concurrent_users``
    per_row: bool = False


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


def _keys(w: Watch, rows: tuple[str, ...]) -> str:
    """The keys (a column ``k``) of the rows ``rows`` (``OLD``/``NEW``, or aliases) of a change of ``w``."""
    parts = []
    for row in rows:
        sql = w.keys.format(row=row)
        if w.where:   # (an UPDATE: only the side of the row the condition holds for)
            sql = f"SELECT k FROM ({sql}) s_{row.lower()} WHERE {w.where.format(row=row)}"
        parts.append(sql)
    return " UNION ".join(parts)


def _bump(w: Watch, rows: tuple[str, ...]) -> str:
    """The statement that bumps the keys of ``rows`` (``OLD``/``NEW``) of a change of ``w``."""
    return _upsert(w, _keys(w, rows))


def _upsert(w: Watch, keys: str) -> str:
    """Bump every key of the query ``keys`` (a column ``k``) once, in key order: two statements
    bumping the same keys lock their stamp rows in the same order, so they wait, never deadlock."""
    col = _key_column(w.target)
    return (f"INSERT INTO {w.target} ({col}, n) SELECT DISTINCT k, 1 FROM ({keys}) s "
            f"WHERE k IS NOT NULL ORDER BY k ON CONFLICT ({col}) DO UPDATE SET n = {w.target}.n + 1")


def _changed(vendor: str, columns: tuple[str, ...], old: str = "OLD", new: str = "NEW") -> str:
    """An UPDATE's condition: one of ``columns`` changed; none named: every UPDATE (a column added
    to the table later is then covered without installing again)."""
    if not columns:
        return ""
    op = "IS DISTINCT FROM" if vendor == "postgresql" else "IS NOT"
    return "(" + " OR ".join(f"{old}.{c} {op} {new}.{c}" for c in columns) + ")"


# a statement-level trigger's transition tables (PostgreSQL: REFERENCING OLD TABLE / NEW TABLE)
OLD_ROWS, NEW_ROWS = "syllabus_old_rows", "syllabus_new_rows"


def _statement_bump(w: Watch, event: str, pk: str) -> str:
    """PostgreSQL: the statement that bumps, once per statement and in key order, the keys of the
    rows a statement inserted, deleted or changed (an UPDATE: its rows' old and new sides, paired
    by their primary key ``pk``, where one of the watched columns changed — a no-op UPDATE, as the
    hot loan path's lock, bumps nothing)."""
    if event in ("INSERT", "DELETE"):
        table = NEW_ROWS if event == "INSERT" else OLD_ROWS
        return _upsert(w, f"SELECT s.k FROM {table} r CROSS JOIN LATERAL ({_keys(w, ('r',))}) s")
    if not w.columns:   # every UPDATE: both sides of every row
        return _upsert(w, f"SELECT s.k FROM {OLD_ROWS} o CROSS JOIN LATERAL ({_keys(w, ('o',))}) s UNION "
                          f"SELECT s.k FROM {NEW_ROWS} n CROSS JOIN LATERAL ({_keys(w, ('n',))}) s")
    return _upsert(w, f"SELECT s.k FROM {OLD_ROWS} o JOIN {NEW_ROWS} n ON n.{pk} = o.{pk} "
                      f"CROSS JOIN LATERAL ({_keys(w, ('o', 'n'))}) s WHERE {_changed('postgresql', w.columns, 'o', 'n')}")


#: how the triggers fire: PostgreSQL once per statement (transition tables), SQLite once per row
#: (it has no statement-level triggers)
STATEMENT, ROW = "statement", "row"


def level(connection) -> str:
    return STATEMENT if connection.vendor == "postgresql" else ROW


def _level_of(w: Watch, vendor: str) -> str:
    return STATEMENT if vendor == "postgresql" and not w.per_row else ROW


def expected(connection) -> dict[tuple[str, str], str]:
    """``{(table, trigger): how it fires}`` as :func:`install` makes them by default: once per
    statement on PostgreSQL (lists.0006) but for the watches marked ``per_row`` (lists.0007),
    once per row on SQLite."""
    return {(w.table, f"{PREFIX}{w.table}_{e}"): _level_of(w, connection.vendor)
            for w in watched() for e in ("insert", "update", "delete")}


def _primary_key(table: str) -> str:
    from django.apps import apps

    for model in apps.get_models(include_auto_created=True):
        if model._meta.db_table == table and model._meta.pk is not None and model._meta.pk.column:
            return model._meta.pk.column
    raise LookupError(f"no model has the table {table}")


def statements(connection, how: str | None = None) -> list[str]:
    """The SQL that (re)creates every trigger, for ``connection``'s database, firing once per
    statement or per row: ``how`` for every table, else (default) as :func:`expected` says."""
    vendor = connection.vendor
    if how == STATEMENT and vendor != "postgresql":
        raise ValueError(f"{vendor} has no statement-level triggers")
    out = []
    # a migration before the one that added a watch (lists.0005–0010 install with today's watches)
    # may run before that table's app has made it: its triggers come with the watch's own
    # migration (lists.0013: acquisitions' orders), which runs once the table is there
    present = set(connection.introspection.table_names())
    for w in watched():
        if w.table not in present:
            continue
        name = PREFIX + w.table
        if (how or _level_of(w, vendor)) == STATEMENT:
            pk = _primary_key(w.table)
            out.append(f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                       f"IF TG_OP = 'INSERT' THEN {_statement_bump(w, 'INSERT', pk)}; "
                       f"ELSIF TG_OP = 'DELETE' THEN {_statement_bump(w, 'DELETE', pk)}; "
                       f"ELSE {_statement_bump(w, 'UPDATE', pk)}; END IF; RETURN NULL; END $$")
            for event, refs in (("INSERT", f"NEW TABLE AS {NEW_ROWS}"), ("UPDATE", f"OLD TABLE AS {OLD_ROWS} NEW TABLE AS {NEW_ROWS}"),
                                ("DELETE", f"OLD TABLE AS {OLD_ROWS}")):
                out.append(f"CREATE TRIGGER {name}_{event.lower()} AFTER {event} ON {w.table} REFERENCING {refs} "
                           f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()")
            continue
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


def install(connection, how: str | None = None) -> None:
    """(Re)create every trigger of :func:`watched` (migrations run it), firing as ``how`` says
    for every table (migration lists.0005 installed them per row on both databases, lists.0006
    per statement on PostgreSQL), by default as :func:`expected` says (lists.0007)."""
    uninstall(connection)
    with connection.cursor() as cur:
        for sql in statements(connection, how):
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


def levels(connection) -> dict[tuple[str, str], str]:
    """``{(table, trigger): how it fires}`` of the change triggers in the database: :data:`STATEMENT`
    (PostgreSQL, once per statement with its transition tables) or :data:`ROW`."""
    if connection.vendor != "postgresql":
        return {t: ROW for t in installed(connection)}
    with connection.cursor() as cur:
        cur.execute("SELECT c.relname, t.tgname, (t.tgtype & 1) = 1, t.tgoldtable, t.tgnewtable FROM pg_trigger t "
                    "JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal AND t.tgname LIKE %s", [PREFIX + "%"])
        out = {}
        for table, trigger, per_row, old, new in cur.fetchall():
            want = {"insert": (None, NEW_ROWS), "update": (OLD_ROWS, NEW_ROWS), "delete": (OLD_ROWS, None)}[trigger.rsplit("_", 1)[1]]
            out[(table, trigger)] = ROW if per_row else STATEMENT if (old, new) == want else "statement without its rows"
        return out


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
