"""Issue 19: the SQLite backend (syllabus.core.sqlite) converts a query's placeholders once per
process — the same text Django's backend gives, for positional and named parameters — and runs
queries as Django's does."""
from __future__ import annotations

import sqlite3

from django.db.backends.sqlite3.base import SQLiteCursorWrapper as DjangoCursor

from syllabus.core.sqlite import base

QUERIES = ["SELECT %s", "SELECT 'a%%b' || %s, %s WHERE x LIKE '%%s'", "SELECT 1", "UPDATE t SET a = %s WHERE b = %s"]


def test_placeholders_are_converted_as_django_does_once_per_text():
    raw = sqlite3.connect(":memory:")
    ours, django = raw.cursor(factory=base.SQLiteCursorWrapper), raw.cursor(factory=DjangoCursor)
    base._qmark.cache_clear()
    for query in QUERIES:
        assert ours.convert_query(query) == django.convert_query(query)
    first = base._qmark.cache_info()
    for query in QUERIES:
        assert ours.convert_query(query) == django.convert_query(query)
    again = base._qmark.cache_info()
    assert (first.misses, first.hits) == (len(QUERIES), 0) and (again.misses, again.hits) == (len(QUERIES), len(QUERIES))
    named = "SELECT %(a)s, %(b)s, '%%'"
    assert ours.convert_query(named, param_names=["a", "b"]) == django.convert_query(named, param_names=["a", "b"])


def test_queries_run_through_it_as_through_djangos():
    raw = sqlite3.connect(":memory:")
    cur = raw.cursor(factory=base.SQLiteCursorWrapper)
    cur.execute("CREATE TABLE t (a TEXT, b INTEGER)")
    cur.executemany("INSERT INTO t VALUES (%s, %s)", [("x%", 1), ("y", 2)])
    for _ in range(2):
        cur.execute("SELECT a FROM t WHERE a LIKE %s OR b = %s ORDER BY b", ["x%%", 2])
        assert cur.fetchall() == [("x%",), ("y",)]
    cur.execute("SELECT b FROM t WHERE a = %(name)s", {"name": "y"})
    assert cur.fetchall() == [(2,)]
