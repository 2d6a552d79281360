"""The catalog demo data: a few thousand real-looking records with items in the demo libraries."""
import io

from syllabus.catalog import demo, selectors
from syllabus.catalog.models import Item, Record


def test_the_demo_catalog_loads_a_few_thousand_records_with_items_in_the_demo_libraries(db, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    from syllabus.org import demo as org_demo

    org_demo.load(io.StringIO())
    out = io.StringIO()
    demo.load(out)
    assert Record.objects.filter(source_id__startswith="demo:").count() >= 3000
    libraries = set(Item.objects.values_list("library__code", flat=True).distinct())
    assert {"riverside-main", "riverside-science", "hillcrest-main"} <= libraries
    assert Item.objects.count() >= 2000 and "records" in out.getvalue()
    assert set(Record.objects.values_list("institution__code", flat=True).distinct()) == {"riverside", "hillcrest"}
    # searchable at once (the index follows bulk inserts), a real classic by its real ISBN
    from syllabus.org.models import User

    reader = User.objects.filter(institution__code="riverside", is_active=True).first()
    page = selectors.search_records(reader, "9780141439518", scope="consortium")
    assert [r.title for r in page.records] == ["Pride and prejudice"] and page.records[0].availability
    before = (Record.objects.count(), Item.objects.count())
    demo.load(io.StringIO())  # idempotent
    assert (Record.objects.count(), Item.objects.count()) == before
