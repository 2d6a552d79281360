"""Scans delivered as an attachment or a link are the requester's copy, not the catalog's
(DIG-9): catalog 0005 added ``Representation.discoverable`` defaulting to True, which on an
upgraded database would publish every existing document-delivery scan to the consortium.
Only the digital-inventory target publishes a scan."""
from django.db import migrations


def hide_delivery_scans(apps, schema_editor):
    DigitizationRequest = apps.get_model("fulfillment", "DigitizationRequest")
    Representation = apps.get_model("catalog", "Representation")
    scans = (DigitizationRequest.objects.exclude(target="inventory").exclude(representation__isnull=True)
             .values("representation_id"))
    Representation.objects.filter(pk__in=scans, discoverable=True).update(discoverable=False)


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0005_representation_discoverable"),
        ("fulfillment", "0004_department_active"),
    ]

    # backwards: nothing to undo (which scans were discoverable before is not known, and hiding
    # a delivery copy is what the older code intended)
    operations = [migrations.RunPython(hide_delivery_scans, migrations.RunPython.noop)]
