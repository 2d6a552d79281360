"""Django's SQLite backend with each query's ``%s`` placeholders converted to ``?`` once per
process rather than on every execution (issue 19).

Django's SQLite cursor rewrites every query's "format" placeholders with a regular expression
before each execution; the student view's list query (with the stamps of every item-access
provider, core.prepared) is long enough for that to cost ~0.25 ms of a view.  The conversion
is a pure function of the text, so it is kept for the texts seen most recently (a bounded
least-recently-used table; a query compiled once per process is the very same string each
time, whose hash Python keeps).  Everything else is Django's backend unchanged."""
from __future__ import annotations

from functools import lru_cache

from django.db.backends.sqlite3 import base

#: distinct query texts whose conversion is kept (one process); beyond, the least recent go
CONVERTED_TEXTS = 2048


@lru_cache(maxsize=CONVERTED_TEXTS)
def _qmark(query: str) -> str:
    return base.FORMAT_QMARK_REGEX.sub("?", query).replace("%%", "%")


class SQLiteCursorWrapper(base.SQLiteCursorWrapper):
    def convert_query(self, query, *, param_names=None):
        if param_names is None:
            return _qmark(query)
        return super().convert_query(query, param_names=param_names)


class DatabaseWrapper(base.DatabaseWrapper):
    def create_cursor(self, name=None):
        return self.connection.cursor(factory=SQLiteCursorWrapper)
