"""The copies withdrawn for digital lending (``catalog_representation_related_items``, LDL-2)
watched by the change stamps (lists.changes): the student view says of such a copy "lent
digitally" (circulation.item_access), so adding or removing one must show at once in a kept view.
Backwards: the triggers stay (a spare trigger only bumps a stamp)."""
from django.db import migrations


def forwards(apps, schema_editor):
    from syllabus.lists import changes

    changes.install(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ('lists', '0012_task_detail_code'),
    ]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False),
    ]
