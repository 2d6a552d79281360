"""Migration 0006 (search over all fields, DSV-1) migrates forward and backward on SQLite and
PostgreSQL, and builds the full-text index once: the old index goes before the ``notes`` column
is filled (so a million-row update does not recompute a tsvector nor feed FTS triggers), and
the new one is built after it."""
from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from syllabus.catalog import fts, selectors
from syllabus.catalog.models import Record
from tests.migrating import latest as _latest, migrate as _migrate

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("catalog", "0005_representation_discoverable")]
AFTER = [("catalog", "0006_search_all_fields")]



def _position(queries, *needles):
    return next((i for i, q in enumerate(queries) if any(n in q["sql"] for n in needles)), None)


def test_0006_migrates_backward_then_fills_notes_with_the_index_dropped_and_builds_it_once(inst_a, student, make_record):
    """Backward to 0005 (the ``notes`` column goes, the 0004 index is back) and forward again:
    a record that was there before the round trip is found again, and one written under 0005
    gets its notes filled by 0006.  (One round trip for both directions, session 24: each
    round trip re-applies a third of the project's migrations.)"""
    record = make_record(inst_a, title="Middlemarch", abstract="Provincial life in a midlands town")
    try:
        old = _migrate(BEFORE)
        assert fts.is_installed(connection), "0005 has the 0004 index"
        with connection.cursor() as cursor:
            columns = [c.name for c in connection.introspection.get_table_description(cursor, "catalog_record")]
        assert "notes" not in columns
        OldRecord = old.get_model("catalog", "Record")
        pk = OldRecord.objects.create(institution_id=inst_a.pk, source_id="mig-0006", title="Middlemarch",
                                      csl={"type": "book", "title": "Middlemarch",
                                           "abstract": "Provincial life in a midlands town"}).pk
        with CaptureQueriesContext(connection) as ctx:
            _migrate(AFTER)
    finally:
        _migrate(_latest())  # the rest of the suite runs on the current schema
    queries = ctx.captured_queries
    fill = _position(queries, 'UPDATE "catalog_record" SET "notes"')
    drop = _position(queries, "DROP COLUMN IF EXISTS search_vector", f"DROP TABLE IF EXISTS {fts.FTS_TABLE}")
    builds = [i for i, q in enumerate(queries)
              if "ADD COLUMN IF NOT EXISTS search_vector" in q["sql"] or "CREATE VIRTUAL TABLE" in q["sql"]]
    assert fill is not None and drop is not None and drop < fill, "the old index is gone before the fill"
    assert len(builds) == 1 and builds[0] > fill, "the new index is built once, after the fill"

    assert Record.objects.get(pk=pk).notes == "Provincial life in a midlands town"
    assert fts.is_installed(connection)
    assert sorted(r.pk for r in selectors.search_records(student, "midlands").records) == sorted([record.pk, pk])


def test_0008_rebuilds_the_index_per_language_and_back(inst_a, student, make_record):
    """Migration 0008 (issue 13): records that were there before are re-indexed in their own
    language (a French record found by an inflected French word); backwards it restores the
    English-only index of 0006, and forwards again works."""
    record = make_record(inst_a, title="Les chevaux de la Camargue", language="fre")
    try:
        _migrate([("catalog", "0007_item_search_cover")])
        assert fts.is_installed(connection), "back to the 0006 index"
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT to_regproc('syllabus_search_config') IS NULL")
                assert cursor.fetchone()[0], "0006 builds every vector in English"
        _migrate([("catalog", "0008_search_by_language")])
    finally:
        _migrate(_latest())
    assert fts.is_installed(connection)
    assert [r.pk for r in selectors.search_records(student, "cheval").records] == [record.pk]
