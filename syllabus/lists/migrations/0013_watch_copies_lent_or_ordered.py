"""Two more tables watched by the change stamps (lists.changes), for what the student view now
says of a copy that is not on the shelf (circulation.item_access): the copies withdrawn for
digital lending (``catalog_representation_related_items``, LDL-2: "lent digitally") and the
library's orders of copies in process (``acquisitions_acquisitiontask``, SRV-3: "on order
(expected D)") — a change of either must show at once in a kept view.
Backwards: the triggers stay (a spare trigger only bumps a stamp)."""
from django.db import migrations


def forwards(apps, schema_editor):
    from syllabus.lists import changes

    changes.install(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ('lists', '0012_task_detail_code'),
        ('acquisitions', '0003_bought_orders'),
        ('catalog', '0008_search_by_language'),
    ]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False),
    ]
