"""DIG-6: every existing institution gets the default department DIGI_DEPT_INST and the default rule."""
from django.db import migrations


def forwards(apps, schema_editor):
    Institution = apps.get_model("org", "Institution")
    Department = apps.get_model("fulfillment", "DigitizationDepartment")
    Rule = apps.get_model("fulfillment", "DigitizationRule")
    for inst in Institution.objects.all():
        Department.objects.get_or_create(institution=inst, code="DIGI_DEPT_INST",
                                         defaults={"name": "Digitization Department For Institution"})
        Rule.objects.get_or_create(institution=inst, is_default=True,
                                   defaults={"name": "Default Digitization Rule", "target": "attachment",
                                             "approval_mode": "blocking"})


class Migration(migrations.Migration):
    dependencies = [("fulfillment", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
