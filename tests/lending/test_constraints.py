"""The composite foreign key names the referenced table and columns of the *historical* state
when a migration rebuilds a table (SQLite's ALTER TABLE), never those of the current models:
otherwise an old migration replayed after a later rename would emit the new column names."""
from __future__ import annotations

import pytest
from django.db import connection, models
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)


def _state_with_renamed_column():
    """The current project state, except that LoanSettings.concurrent_users lives in column
    ``copies`` (as it would have, had a later migration renamed the column)."""
    state = MigrationExecutor(connection).loader.project_state()
    settings = state.models["lending", "loansettings"]
    settings.fields["concurrent_users"] = models.PositiveIntegerField(default=0, db_column="copies")
    return state


def _sqlite_connection():
    """SQLite rebuilds tables, so the rebuild is checked on a SQLite connection whatever the
    suite's database (the embedded default runs on SQLite)."""
    from django.db.backends.sqlite3.base import DatabaseWrapper

    return DatabaseWrapper({**connection.settings_dict, "ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:",
                            "OPTIONS": {}, "TEST": {}}, alias="sqlite-rebuild-check")


def test_a_table_rebuild_references_the_historical_columns():
    LoanSlot = _state_with_renamed_column().apps.get_model("lending", "LoanSlot")
    sqlite = _sqlite_connection()
    try:
        with sqlite.schema_editor(collect_sql=True, atomic=False) as editor:
            editor._remake_table(LoanSlot)  # what AddField/AlterField/AddConstraint do on SQLite
    finally:
        sqlite.close()
    create = next(sql for sql in editor.collected_sql if sql.startswith('CREATE TABLE "new__lending_loanslot"'))
    assert 'REFERENCES "lending_loansettings" ("representation_id", "copies")' in create


def test_create_sql_references_the_historical_columns():
    LoanSlot = _state_with_renamed_column().apps.get_model("lending", "LoanSlot")
    constraint = next(c for c in LoanSlot._meta.constraints if c.name == "ldl_slot_capacity_is_concurrent_users")
    sql = constraint.create_sql(LoanSlot, connection.schema_editor())
    assert f"REFERENCES {connection.ops.quote_name('lending_loansettings')}" in sql and "copies" in sql
