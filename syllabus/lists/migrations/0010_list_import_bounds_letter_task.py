"""LST-9/LST-6 (session 19): a background import may be cancelled, its one librarian task is
carried across the timer's slices (``batch``), and the letter that it finished or failed is
queued once (``notified_at``); the per-person bound counts a person's imports by status.

Reverse: a cancelled import becomes a failed one (the code before knows no "cancelled"), saying so.
On SQLite removing a field remakes the table, which drops its change-stamp triggers if it is
watched (lists.changes): they are installed again after the change, either way.
"""

from django.conf import settings
from django.db import migrations, models


def install_change_stamps(apps, schema_editor):
    from syllabus.lists import changes

    changes.install(schema_editor.connection)


def cancelled_to_failed(apps, schema_editor):
    ListImport = apps.get_model("lists", "ListImport")
    ListImport.objects.filter(status="cancelled").update(status="failed", rule="LST-9", detail="the import was cancelled")


class Migration(migrations.Migration):

    dependencies = [
        ('lists', '0009_list_import'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, install_change_stamps),   # backwards: after the table's remake
        migrations.RunPython(migrations.RunPython.noop, cancelled_to_failed),
        migrations.AddField(
            model_name='listimport',
            name='batch',
            field=models.JSONField(blank=True, help_text="the import's librarian task, carried across slices", null=True),
        ),
        migrations.AddField(
            model_name='listimport',
            name='notified_at',
            field=models.DateTimeField(blank=True, help_text='when the letter that it finished or failed was queued (once)', null=True),
        ),
        migrations.AlterField(
            model_name='listimport',
            name='status',
            field=models.CharField(choices=[('queued', 'Waiting'), ('running', 'Importing'), ('done', 'Imported'), ('failed', 'Failed'), ('cancelled', 'Cancelled')], default='queued', max_length=20),
        ),
        migrations.AddIndex(
            model_name='listimport',
            index=models.Index(fields=['actor', 'status'], name='list_import_actor_status'),
        ),
        migrations.RunPython(install_change_stamps, migrations.RunPython.noop),
    ]
