"""Full-text search stems each record in its own language (issue 13, DSV-1): on PostgreSQL the
generated tsvector is built with the configuration of the record's language
(``syllabus_search_config(language)``: ``syllabus_french``, ``syllabus_german``, ...); on SQLite the
FTS5 table gains a ``stems`` column of Snowball stems computed in Python.  The index is rebuilt
once (on PostgreSQL that rewrites ``catalog_record``: minutes for a million records).
See ``syllabus.catalog.fts`` and ``syllabus.catalog.languages``."""
from django.db import migrations


def forwards(apps, schema_editor):
    from syllabus.catalog import fts

    fts.uninstall(schema_editor.connection, languages_too=False)
    fts.install(schema_editor.connection)


def backwards(apps, schema_editor):
    from syllabus.catalog import fts

    fts.uninstall(schema_editor.connection)
    fts.install(schema_editor.connection, columns=fts.COLUMNS_0006, pg_vector=fts.PG_VECTOR_0006)


class Migration(migrations.Migration):
    atomic = False  # SQLite: the virtual table outside of the migration's transaction (as 0004)

    dependencies = [("catalog", "0007_item_search_cover")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
