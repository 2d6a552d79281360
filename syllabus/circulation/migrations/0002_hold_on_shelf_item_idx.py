# DSV-6 (issue 19, session 18): the hold-shelf probe of the catalog's availability reads a partial
# index of the few copies on a hold shelf (EXPLAIN: BENCHMARKS.md, "Session 18 — list pages").

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('circulation', '0001_initial'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='hold',
            index=models.Index(condition=models.Q(('status', 'on_hold_shelf')), fields=['item'], name='hold_on_shelf_item_idx'),
        ),
    ]
