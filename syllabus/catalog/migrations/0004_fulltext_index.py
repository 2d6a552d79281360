"""The catalog's full-text index (DSV-1): an FTS5 table kept in sync by triggers on SQLite, a
generated tsvector column with a GIN index on PostgreSQL.  See ``syllabus.catalog.fts``."""
from django.db import migrations


def forwards(apps, schema_editor):
    from syllabus.catalog import fts

    # the columns of 0004 (0006 rebuilds the index over more of them)
    fts.install(schema_editor.connection, columns=fts.COLUMNS_0004, pg_vector=fts.PG_VECTOR_0004)


def backwards(apps, schema_editor):
    from syllabus.catalog import fts

    fts.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    # SQLite cannot create a virtual table inside the migration's transaction on every
    # version; keep it on its own.
    atomic = False

    dependencies = [("catalog", "0003_records_holdings_collection")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
