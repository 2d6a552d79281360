"""Change stamps bumped once per statement on PostgreSQL (issue 19, session 14): the triggers of
lists.0005 fired once per row, so two transactions writing different copies of the same records
in opposite orders locked the records' stamp rows in opposite orders and could deadlock.  A
statement-level trigger with its transition tables bumps each key once, in key order
(lists.changes).  SQLite has no statement-level triggers: its row triggers are installed again
as they were.  Backwards: the row triggers of 0005."""
from django.db import migrations


def forwards(apps, schema_editor):
    from syllabus.lists import changes

    changes.install(schema_editor.connection, changes.level(schema_editor.connection))  # (0007: a few per row again)


def backwards(apps, schema_editor):
    from syllabus.lists import changes

    changes.install(schema_editor.connection, changes.ROW)


class Migration(migrations.Migration):

    dependencies = [
        ('lists', '0005_change_stamps'),
    ]

    operations = [
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
