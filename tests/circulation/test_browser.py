"""Issue 12 acceptance 6, in Chromium at 360 px and at 1280 px: a student reaches a list through
the grouped navigation, marks an item done and places a hold with the keyboard alone; axe finds
no serious or critical violation on the pages on the way (list view, hold form, library card),
nor on the staff's hold queue and accessible-file pages."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from syllabus.org.roles import Role
from tests.web.test_accessibility import check
from tests.browsing import tab_to

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(inst_a, library_a, instructor, student, course, make_user):
    from syllabus.catalog import services as catalog
    from syllabus.catalog.models import Item
    from syllabus.lists import services as lists
    from syllabus.org import config

    record = catalog.save_record(None, inst_a, {"type": "book", "title": "Middlemarch", "author": [{"family": "Eliot", "given": "George"}],
                                                "publisher": "Blackwood", "issued": {"date-parts": [[1871]]}, "ISBN": "9780141439549"},
                                 source_id="circ-browser-1").record
    catalog.add_item(None, record, library_a, "B0001", location="Stacks", call_number="PR4662")
    catalog.add_item(None, record, library_a, "B0002", location="Reserve desk", call_number="PR4662", item_type="short_loan",
                     status=Item.Status.ON_LOAN)
    config.set_value("accessible_file_request_emails", ["access@inst-a.example.edu"], institution=inst_a)
    lst = lists.create_list(instructor, title="HIST101 readings", courses=[course])
    week1 = lists.add_section(instructor, lst, title="Week 1")
    lists.add_citation(instructor, lst, week1, "website", {"title": "The Victorian Web", "URL": "https://victorianweb.org/"})
    lists.add_citation(instructor, lst, week1, record=record)
    lists.publish_list(instructor, lst)
    make_user("desk", group="staff", roles=[Role.REQUESTS_OPERATOR])
    return {"list": lst, "record": record}


def _tab_to(page, locator):
    tab_to(page, locator, limit=120)


@pytest.mark.parametrize("width", [360, 1280])
def test_a_student_reaches_a_list_marks_done_and_places_a_hold_with_the_keyboard(page, login, world, library_a, width):
    page.set_viewport_size({"width": width, "height": 900})
    login("student")
    page.goto("/")
    nav_link = page.locator("#main-nav").get_by_role("link", name="Resource lists")
    if width == 360:
        expect(nav_link).to_be_hidden()          # the navigation sits behind "Menu" on a phone
        menu = page.get_by_role("button", name="Menu")
        _tab_to(page, menu)
        page.keyboard.press("Enter")
        expect(menu).to_have_attribute("aria-expanded", "true")
    _tab_to(page, nav_link)
    page.keyboard.press("Enter")
    page.wait_for_url("**/lists/")
    list_link = page.get_by_role("link", name="HIST101 readings")
    _tab_to(page, list_link)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/lists/{world['list'].pk}/")
    check(page, page.title())

    item = page.locator("[data-testid=item]").filter(has_text="Middlemarch")
    expect(item.locator("[data-testid=access-physical]")).to_contain_text("1 of 1 available")   # the stacks
    expect(item.locator("[data-testid=access-physical]")).to_contain_text("0 of 1 available")   # short loan, out
    done = item.get_by_role("button", name="Mark as done")
    _tab_to(page, done)
    page.keyboard.press("Enter")
    expect(item.locator("[data-testid=done-mark]")).to_be_visible()
    undo = item.get_by_role("button", name="Undo")
    expect(undo).to_be_focused()                 # the focus stays on the item's toggle after the swap

    hold = item.get_by_role("link", name="Place a hold")
    _tab_to(page, hold)
    page.keyboard.press("Enter")
    page.wait_for_url("**/hold/")
    check(page, page.title())
    pickup = page.get_by_label("Pickup library")
    expect(pickup).to_have_value(library_a.code)
    submit = page.get_by_role("button", name="Place the hold")
    _tab_to(page, submit)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/lists/{world['list'].pk}/**")
    expect(page.locator("[data-testid=my-hold]")).to_contain_text("number 1 in the queue")
    expect(page.locator("[data-testid=reading-progress]")).to_contain_text("1 of 2 items done")

    page.goto("/circulation/card/")
    expect(page.locator("[data-testid=card-holds]")).to_contain_text("Middlemarch")
    check(page, page.title())


@pytest.mark.parametrize("width", [360, 1280])
def test_staff_pages_and_the_back_office_menu(page, login, world, student, library_a, width):
    from syllabus.circulation import services
    from syllabus.lists.models import Citation

    citation = Citation.objects.get(record=world["record"])
    services.place_hold(student, citation, pickup_library=library_a)
    page.set_viewport_size({"width": width, "height": 900})
    login("desk")
    page.goto("/circulation/holds/")
    expect(page.locator("[data-testid=hold-group]")).to_contain_text("Middlemarch")
    check(page, page.title())
    if width == 360:
        page.get_by_role("button", name="Menu").click()
    back_office = page.locator("[data-testid=nav-back_office] > summary")
    expect(back_office).to_contain_text("1")      # one waiting hold to act on
    expect(page.locator("[data-testid=nav-back_office]")).not_to_have_attribute("open", "")   # the check left it closed
    back_office.focus()
    page.keyboard.press("Enter")
    expect(page.locator("[data-testid=nav-back_office]").get_by_role("link", name="Hold requests")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("[data-testid=nav-back_office]")).not_to_have_attribute("open", "")
    page.goto(f"/circulation/citations/{citation.pk}/accessible/")
    check(page, page.title())
