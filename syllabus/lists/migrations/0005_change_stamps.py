"""Change stamps kept by triggers (issue 19, session 13): the two stamp tables and the triggers
that bump them on every table the shared part of the student view reads (lists.changes)."""
from django.db import migrations, models


def forwards(apps, schema_editor):
    from syllabus.lists import changes

    changes.install(schema_editor.connection, changes.ROW)  # (0006: per statement on PostgreSQL)


def backwards(apps, schema_editor):
    from syllabus.lists import changes

    changes.uninstall(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ('lists', '0004_copyright_status_one_vocabulary'),
        ('catalog', '0008_search_by_language'),
        ('circulation', '0001_initial'),
        ('courses', '0002_initial'),
        ('fulfillment', '0006_copyright_status_one_vocabulary'),
        ('lending', '0002_ldl15_database_guard'),
        ('org', '0004_alter_roleassignment_role'),
    ]

    operations = [
        migrations.CreateModel(
            name='ListChange',
            fields=[
                ('list_id', models.BigIntegerField(primary_key=True, serialize=False)),
                ('n', models.BigIntegerField(default=0)),
            ],
        ),
        migrations.CreateModel(
            name='RecordChange',
            fields=[
                ('record_id', models.BigIntegerField(primary_key=True, serialize=False)),
                ('n', models.BigIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
