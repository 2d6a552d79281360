"""LDL-15: make the database guard real (see the module doc of lending/models.py).

- a request's slot must be a slot of the request's own representation (composite foreign key);
- a representation has no slot numbered above its concurrent_users (``LoanSlot.capacity``
  mirrors ``LoanSettings.concurrent_users`` through a composite foreign key ON UPDATE CASCADE,
  and ``number <= capacity``).
"""
from django.db import migrations, models

import syllabus.lending.constraints


def fill_capacity(apps, schema_editor):
    LoanSettings = apps.get_model("lending", "LoanSettings")
    LoanSlot = apps.get_model("lending", "LoanSlot")
    for st in LoanSettings.objects.all():
        slots = LoanSlot.objects.filter(representation_id=st.representation_id)
        # slots above the limit that nobody holds are surplus (the service never leaves any)
        slots.filter(number__gt=st.concurrent_users, request__isnull=True).delete()
        slots.update(capacity=st.concurrent_users)
    if schema_editor.connection.vendor == "postgresql":
        # The deletes leave deferred foreign-key checks pending, and PostgreSQL refuses the
        # ALTER TABLEs below in the same transaction while any are pending: run them now.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):

    dependencies = [
        ("lending", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="loanslot",
            name="capacity",
            field=models.PositiveIntegerField(
                default=0, help_text="the representation's concurrent_users, kept equal by the database (ON UPDATE CASCADE)"),
            preserve_default=False,
        ),
        migrations.RunPython(fill_capacity, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="loansettings",
            constraint=models.UniqueConstraint(fields=("representation", "concurrent_users"), name="ldl_settings_capacity_key"),
        ),
        migrations.AddConstraint(
            model_name="loanslot",
            constraint=models.CheckConstraint(condition=models.Q(("number__lte", models.F("capacity"))),
                                              name="ldl_slot_within_capacity"),
        ),
        migrations.AddConstraint(
            model_name="loanslot",
            constraint=syllabus.lending.constraints.CompositeForeignKey(
                fields=("representation", "capacity"), to="lending.LoanSettings", to_fields=("representation", "concurrent_users"),
                on_update="CASCADE", name="ldl_slot_capacity_is_concurrent_users"),
        ),
        migrations.AddConstraint(
            model_name="loanslot",
            constraint=models.UniqueConstraint(fields=("id", "representation"), name="ldl_slot_representation_key"),
        ),
        migrations.AddConstraint(
            model_name="loanrequest",
            constraint=syllabus.lending.constraints.CompositeForeignKey(
                fields=("slot", "representation"), to="lending.LoanSlot", to_fields=("id", "representation"),
                name="ldl_slot_of_own_representation"),
        ),
    ]
