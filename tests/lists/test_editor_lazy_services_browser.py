"""In Chromium (session 23; LST-2): an item's copies and access in the editor open on demand —
loaded with htmx when "Copies and access" opens — and, with JavaScript off, the disclosure's link
leads to the item's own page, which shows them (tests/lists/test_editor_lazy_services.py)."""
import pytest
from playwright.sync_api import expect

from syllabus.lists.models import Citation
from tests.circulation.test_list_page_queries import rich_list

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_copies_and_access_load_when_opened_and_without_javascript_on_the_items_page(
        signed_in_page, instructor, course, student, library_a):
    lst = rich_list(instructor, course, student, library_a, 2, title="Two")
    first = Citation.objects.filter(resource_list=lst).order_by("section__position", "position").first()

    page = signed_in_page(instructor)
    page.goto(f"/lists/{lst.pk}/edit/")
    item = page.locator(f"#item-{first.pk}")
    expect(item.get_by_test_id("access-physical")).to_have_count(0)
    expect(item.get_by_test_id("digitization-services")).to_be_visible()   # still at a glance
    item.locator("summary", has_text="Copies and access").click()
    expect(item.get_by_test_id("access-physical")).to_contain_text("of 2 available")
    expect(item.get_by_test_id("find-it")).to_be_visible()

    plain = signed_in_page(instructor, javascript=False)
    plain.goto(f"/lists/{lst.pk}/edit/")
    item = plain.locator(f"#item-{first.pk}")
    item.locator("summary", has_text="Copies and access").click()
    item.get_by_role("link", name="Open the item page for its copies and access").click()
    plain.wait_for_url(f"**/lists/{lst.pk}/edit/items/{first.pk}/#services")
    expect(plain.get_by_test_id("item-services").get_by_test_id("access-physical")).to_contain_text("of 2 available")
