"""Issue 19, session 16: the tables a hand-over writes keep no index that another index already
leads with (each is written by every INSERT and by every UPDATE that changes an indexed column —
a hand-over's), and every way the application reads them still finds an index leading with the
columns it filters on.  Checked on the database's own catalogue, not on EXPLAIN plans (which
change with the table's size); migrations lending 0003, notify 0006 and core 0003 go back."""
from __future__ import annotations

import pytest
from django.db import connection

from tests.migrating import latest as _latest, migrate as _migrate

#: table -> the leading columns of each read the application makes (a filter's equality columns,
#: a foreign key's ON DELETE look-up)
READS = {
    "lending_loanrequest": [
        ("representation_id", "status"),  # the waitlist and the copies out (services, selectors)
        ("representation_id",),  # a title deleted (CASCADE), the open-request guard
        ("patron_id", "status"),  # a patron's loans page, the API's list
        ("patron_id",),  # a person deleted (CASCADE)
        ("status", "grace_due_at"), ("status", "session_due_at"),  # the timers (LDL-9, LDL-10)
        ("slot_id",), ("creator_id",), ("user_group_id",),
    ],
    "notify_outboxmessage": [
        ("status", "next_attempt_at"),  # the delivery worker's due rows
        ("status",),  # the abandoned leases, the counts of the monitor
        ("institution_id", "status"),  # the monitor's tabs (notify.selectors)
        ("institution_id",),  # an institution deleted (SET NULL)
        ("recipient_id",), ("idempotency_key",), ("letter",),
    ],
    "core_auditentry": [
        ("content_type_id", "object_id"),  # an object's history
        ("content_type_id",),  # a content type deleted (CASCADE)
        ("actor_id",), ("at",),
    ],
}


def _indexes(table: str) -> dict[str, tuple[str, ...]]:
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, table)
    # indexes and unique constraints (each has its index)
    return {name: tuple(c["columns"]) for name, c in found.items() if (c["index"] or c["unique"]) and c["columns"]}


@pytest.mark.django_db
@pytest.mark.parametrize("table", sorted(READS))
def test_every_read_finds_an_index_leading_with_its_columns(table):
    indexes = _indexes(table).values()
    for read in READS[table]:
        assert any(cols[:len(read)] == read for cols in indexes), f"{table}: no index leads with {read}"


@pytest.mark.django_db
@pytest.mark.parametrize("table", sorted(READS))
def test_no_plain_index_is_a_prefix_of_another(table):
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, table)
    # a plain index: not unique, not partial (introspection lists a partial unique index as unique)
    plain = {n: tuple(c["columns"]) for n, c in found.items() if c["index"] and not c["unique"] and c["columns"]}
    every = _indexes(table)
    redundant = [(n, cols, other) for n, cols in plain.items() for o, other in every.items()
                 if o != n and len(other) > len(cols) and other[:len(cols)] == cols]
    assert redundant == []


@pytest.mark.django_db(transaction=True)
def test_the_migrations_go_back_and_forth():
    before = {t: _indexes(t) for t in READS}
    try:
        _migrate([("lending", "0002_ldl15_database_guard"), ("notify", "0005_outbox_crashes"), ("core", "0002_initial")])
        back = {t: _indexes(t) for t in READS}
        # the dropped indexes are back: each table has more, and still every read is served
        assert all(len(back[t]) > len(before[t]) for t in READS)
    finally:
        _migrate(_latest())
    assert {t: _indexes(t) for t in READS} == before
