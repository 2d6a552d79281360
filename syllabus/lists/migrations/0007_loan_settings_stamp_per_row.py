"""The loan settings' change stamp bumped by row triggers again on PostgreSQL (issue 19, session
15): a loan verb takes the title's lock with ``UPDATE lending_loansettings SET concurrent_users =
concurrent_users``, twice per hand-over on a hot title; the statement-level trigger of lists.0006
ran its query over the transition tables inside that lock for a change that bumps nothing, where a
row trigger's ``WHEN`` skips it without running anything (lists.changes, ``Watch.per_row``).
Every other table keeps 0006's statement triggers.  Backwards: 0006's triggers (all per statement
on PostgreSQL; SQLite keeps its row triggers either way)."""
from django.db import migrations


def forwards(apps, schema_editor):
    from syllabus.lists import changes

    changes.install(schema_editor.connection)


def backwards(apps, schema_editor):
    from syllabus.lists import changes

    changes.install(schema_editor.connection, changes.level(schema_editor.connection))


class Migration(migrations.Migration):

    dependencies = [
        ('lists', '0006_change_stamps_per_statement'),
    ]

    operations = [
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
