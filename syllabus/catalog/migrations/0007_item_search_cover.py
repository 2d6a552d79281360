"""Faster catalog facets on PostgreSQL (DSV-1/DSV-2): a covering index on catalog_item
(record_id, with library_id and status), so that the facet query reads the items of the matches
with an index-only scan — the availability flag and the library facet without touching the
items table.  PostgreSQL only (SQLite's search SQL is unchanged; it has no INCLUDE columns)."""
from django.db import migrations

INDEX = "catalog_item_search_cover"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON catalog_item (record_id) INCLUDE (library_id, status)")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("catalog", "0006_search_all_fields")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
