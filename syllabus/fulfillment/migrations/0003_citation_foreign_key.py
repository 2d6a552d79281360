"""A course request's citation becomes a real foreign key to lists.Citation (it was a bare
integer while the lists and digitization apps were built in parallel).  Existing values are
kept: the column is renamed to ``citation`` in the state and altered in place, after any id
that no longer names a citation is cleared (such a request stays, as history)."""
import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Q

OPEN = ["pending_approval", "pick_from_shelf", "in_digitization", "file_attached", "pending_copyright"]


def clear_dangling_citations(apps, schema_editor):
    Request = apps.get_model("fulfillment", "DigitizationRequest")
    Citation = apps.get_model("lists", "Citation")
    (Request.objects.filter(citation__isnull=False)
     .exclude(citation__in=Citation.objects.values("pk"))
     .update(citation=None))


class Migration(migrations.Migration):

    dependencies = [
        ("fulfillment", "0002_default_departments"),
        ("lists", "0001_initial"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="digitizationrequest", name="one_open_request_per_citation"),
        migrations.RenameField(model_name="digitizationrequest", old_name="citation_id", new_name="citation"),
        migrations.AlterField(
            model_name="digitizationrequest",
            name="citation",
            field=models.PositiveBigIntegerField(blank=True, null=True, db_index=True, db_column="citation_id"),
        ),
        migrations.RunPython(clear_dangling_citations, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="digitizationrequest",
            name="citation",
            field=models.ForeignKey(blank=True, help_text="the resource-list citation (course requests)", null=True,
                                    on_delete=django.db.models.deletion.SET_NULL, related_name="digitization_requests",
                                    to="lists.citation"),
        ),
        migrations.AddConstraint(
            model_name="digitizationrequest",
            constraint=models.UniqueConstraint(
                condition=Q(("citation_id__isnull", False), ("status__in", OPEN)),
                fields=("citation", "kind"), name="one_open_request_per_citation"),
        ),
    ]
