"""SEC-KEY: a delivery link's token (DIG-9) is no longer stored, only its SHA-256 — the one way API
tokens are hashed (``org.models.hash_token``).

Forward: every stored token is replaced by its hash, so links already sent keep working (the token
in the letter hashes to the stored value).

Reverse cannot recover a token from its hash: every request gets a new random token that was never
sent to anybody, so every link sent before is refused (404) after a reverse; staff still open the
files, and a requester who needs the file again is sent it by staff (docs/security.md).

On SQLite the field changes remake the table, which drops its change-stamp triggers (lists.changes:
``fulfillment_digitizationrequest`` is watched): they are installed again after the change, either way.
"""
import secrets

from django.db import migrations, models


def hash_tokens(apps, schema_editor):
    from syllabus.org.models import hash_token

    Request = apps.get_model("fulfillment", "DigitizationRequest")
    for pk, token in Request.objects.exclude(access_token__isnull=True).values_list("pk", "access_token").iterator():
        Request.objects.filter(pk=pk).update(access_token_hash=hash_token(token))


def install_change_stamps(apps, schema_editor):
    from syllabus.lists import changes

    changes.install(schema_editor.connection)


def new_unsent_tokens(apps, schema_editor):
    Request = apps.get_model("fulfillment", "DigitizationRequest")
    for pk in Request.objects.values_list("pk", flat=True).iterator():
        Request.objects.filter(pk=pk).update(access_token=secrets.token_urlsafe(24))


class Migration(migrations.Migration):

    dependencies = [
        ('fulfillment', '0006_copyright_status_one_vocabulary'),
        ('lists', '0007_loan_settings_stamp_per_row'),
    ]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, install_change_stamps),   # backwards: after the table's remake
        migrations.AddField(
            model_name='digitizationrequest',
            name='access_token_hash',
            field=models.CharField(blank=True, editable=False, max_length=64, null=True, unique=True),
        ),
        # nullable and not unique while it goes (and while a reverse fills it again, one row at a time)
        migrations.AlterField(
            model_name='digitizationrequest',
            name='access_token',
            field=models.CharField(max_length=64, null=True),
        ),
        migrations.RunPython(hash_tokens, new_unsent_tokens),
        migrations.RemoveField(
            model_name='digitizationrequest',
            name='access_token',
        ),
        migrations.RunPython(install_change_stamps, migrations.RunPython.noop),
    ]
