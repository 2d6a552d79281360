"""Search over all metadata fields (DSV-1): a ``notes`` column (abstract, MARC 520, and notes)
and the full-text index rebuilt over edition, language and notes too, on SQLite (FTS5 table and
triggers) and PostgreSQL (generated tsvector and its GIN index).  See ``syllabus.catalog.fts``."""
from django.db import migrations, models

def fill_notes(apps, schema_editor):
    from syllabus.citations.csl import notes_text

    Record = apps.get_model("catalog", "Record")
    batch = []
    for record in Record.objects.only("id", "csl").iterator(chunk_size=2000):
        text = notes_text(record.csl or {})
        if text:
            record.notes = text
            batch.append(record)
        if len(batch) >= 2000:
            Record.objects.bulk_update(batch, ["notes"])
            batch = []
    if batch:
        Record.objects.bulk_update(batch, ["notes"])


def drop_old_index(apps, schema_editor):
    """Before the column is added and filled: with the 0004 index in place, the fill would
    recompute the generated tsvector (PostgreSQL) of every row, only for the index to be
    rebuilt over the new columns right after."""
    from syllabus.catalog import fts

    fts.uninstall(schema_editor.connection)


def install_old_index(apps, schema_editor):
    """Backwards, once the column is gone: the 0004 index again."""
    from syllabus.catalog import fts

    fts.install(schema_editor.connection, columns=fts.COLUMNS_0004, pg_vector=fts.PG_VECTOR_0004)


def install_index(apps, schema_editor):
    """Once, over the filled column."""
    from syllabus.catalog import fts

    fts.install(schema_editor.connection, columns=fts.COLUMNS_0006, pg_vector=fts.PG_VECTOR_0006)


def drop_index(apps, schema_editor):
    """Before the column goes (backwards), so that no trigger or generated column uses it."""
    from syllabus.catalog import fts

    fts.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    atomic = False  # SQLite: the virtual table outside of the migration's transaction (as 0004)

    dependencies = [("catalog", "0005_representation_discoverable")]

    operations = [
        migrations.RunPython(drop_old_index, install_old_index, elidable=False),
        migrations.AddField(
            model_name="record", name="notes",
            field=models.TextField(blank=True, db_default="", default="", help_text="abstract (MARC 520) and notes, for search"),
        ),
        migrations.RunPython(fill_notes, migrations.RunPython.noop, elidable=False),
        migrations.RunPython(install_index, drop_index, elidable=False),
    ]
