"""Issue 19: ``PREPARED_STATEMENTS=0`` switches off the statements prepared once per PostgreSQL
connection (the loan verbs', the student view's list query) for a pooler in transaction mode;
the older name ``LENDING_PREPARED_STATEMENTS`` of sessions 7–8 still works when the new one is
not set."""
from __future__ import annotations

import pytest

from syllabus.core import statements


@pytest.mark.parametrize(("env", "prepared"), [
    ({}, True),
    ({"PREPARED_STATEMENTS": "0"}, False),
    ({"LENDING_PREPARED_STATEMENTS": "0"}, False),
    ({"PREPARED_STATEMENTS": "1", "LENDING_PREPARED_STATEMENTS": "0"}, True),
    ({"PREPARED_STATEMENTS": "0", "LENDING_PREPARED_STATEMENTS": "1"}, False),
])
def test_the_setting_and_its_older_name(monkeypatch, env, prepared):
    for name in ("PREPARED_STATEMENTS", "LENDING_PREPARED_STATEMENTS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert statements._enabled() is prepared
