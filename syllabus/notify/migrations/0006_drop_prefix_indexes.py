"""Issue 19, session 16: indexes of the outbox that another index already serves, dropped —
each letter's INSERT wrote all twelve.  ``status`` and ``next_attempt_at`` lead
(status, next_attempt_at); ``institution`` leads the monitor's (institution, status, -created_at);
``letter``'s ``varchar_pattern_ops`` copy served only ``LIKE 'prefix%'``, which no query of the
application runs (the plain ``letter`` index stays).  tests/lending/test_indexes.py."""

import django.db.models.deletion
import syllabus.core.clock
from django.db import migrations, models


def _letter_like(apps, schema_editor):
    return schema_editor._create_index_name("notify_outboxmessage", ["letter"], suffix="_like")


def drop_letter_like(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(_letter_like(apps, schema_editor))}")


def create_letter_like(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {schema_editor.quote_name(_letter_like(apps, schema_editor))} "
                              "ON notify_outboxmessage (letter varchar_pattern_ops)")


class Migration(migrations.Migration):

    dependencies = [
        ('notify', '0005_outbox_crashes'),
        ('org', '0004_alter_roleassignment_role'),
    ]

    operations = [
        migrations.AlterField(
            model_name='outboxmessage',
            name='institution',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='org.institution'),
        ),
        migrations.AlterField(
            model_name='outboxmessage',
            name='next_attempt_at',
            field=models.DateTimeField(default=syllabus.core.clock.now),
        ),
        migrations.AlterField(
            model_name='outboxmessage',
            name='status',
            field=models.CharField(choices=[('pending', 'Pending'), ('sending', 'Sending'), ('sent', 'Sent'), ('failed', 'Failed'), ('suppressed', 'Suppressed (letter disabled)')], default='pending', max_length=20),
        ),
        migrations.RunPython(drop_letter_like, create_letter_like, elidable=False),
    ]
