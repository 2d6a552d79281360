"""The list editor with a screen reader (session 21): what the live region announces after an
item is added, moved or deleted names the item and where it now is (WCAG 4.1.3 status messages) —
"Item moved." alone left a blind instructor guessing which of the ↑ buttons they had pressed —
and the region stays the same node of the page, so that screen readers (which watch the region
they found at load) hear it: htmx used to replace the whole region out of band.  A refused item
form marks the field it names (aria-invalid) and points it at the rule's message (aria-describedby,
WCAG 3.3.1); so does a refused sign-in.  The item buttons say which item they act on."""
from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.browsing import tab_to

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def three(instructor, course):
    from syllabus.lists import services

    lst = services.create_list(instructor, title="Readings", courses=[course])
    week1 = services.add_section(instructor, lst, title="Week 1")
    items = [services.add_citation(instructor, lst, week1, "book", {"title": t}) for t in ("Middlemarch", "Hard Times", "Sybil")]
    return {"list": lst, "week1": week1, "items": items}


def _live(response) -> str:
    found = re.search(r'<div id="messages-live"[^>]*>(.*?)</div>', response.content.decode(), re.S)
    assert found, "no live region in the answer"
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


def test_moving_adding_and_deleting_an_item_announce_which_and_where(client, instructor, three):
    lst, week1 = three["list"], three["week1"]
    middlemarch, _hard_times, sybil = three["items"]
    client.force_login(instructor)
    moved = client.post(reverse("lists:move-citation", args=[lst.pk, middlemarch.pk]), {"direction": "down"}, **HX)
    assert _live(moved) == "Item moved. Middlemarch is item 2 of 3 in Week 1."
    added = client.post(reverse("lists:add-citation", args=[lst.pk]), {"section": week1.pk, "type": "book", "title": "Coningsby"}, **HX)
    assert _live(added) == "Item added. Coningsby is item 4 of 4 in Week 1."
    deleted = client.post(reverse("lists:delete-citation", args=[lst.pk, sybil.pk]), **HX)
    assert _live(deleted) == "Item deleted. Sybil"


def test_the_announcements_are_french_for_a_french_reader(client, instructor, three):
    lst, middlemarch = three["list"], three["items"][0]
    client.force_login(instructor)
    client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    moved = client.post(reverse("lists:move-citation", args=[lst.pk, middlemarch.pk]), {"direction": "down"}, **HX)
    assert _live(moved) == "Référence déplacée. « Middlemarch » est la référence 2 sur 3 de « Week 1 »."


def test_a_refused_item_form_marks_the_field_it_names(client, instructor, three):
    """LST-2: an ISBN that is not one — the ISBN field is invalid and described by the rule's message."""
    lst, item = three["list"], three["items"][0]
    client.force_login(instructor)
    page = reverse("lists:update-citation", args=[lst.pk, item.pk])
    refused = client.post(page, {"type": "book", "title": "Middlemarch", "isbn": "978-0-14-143954-0"})
    body = refused.content.decode()
    assert refused.status_code == 400 and 'id="list-error"' in body and "LST-2" in body
    isbn = re.search(r'<input[^>]*name="isbn"[^>]*>', body).group(0)
    assert 'aria-invalid="true"' in isbn and 'aria-describedby="list-error"' in isbn
    title = re.search(r'<input[^>]*name="title"[^>]*>', body).group(0)
    assert "aria-invalid" not in title                # only the field the rule names
    assert "aria-invalid" not in client.get(page).content.decode()


def test_a_refused_sign_in_marks_both_fields(client, student):
    body = client.post(reverse("web:login"), {"username": "student", "password": "wrong"}).content.decode()
    assert 'id="signin-error"' in body
    for name in ("username", "password"):
        field = re.search(rf'<input[^>]*name="{name}"[^>]*>', body).group(0)
        assert 'aria-invalid="true"' in field and 'aria-describedby="signin-error"' in field
    assert "aria-invalid" not in client.get(reverse("web:login")).content.decode()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_live_region_stays_in_place_and_speaks_after_a_move_by_keyboard(page, login, three):
    lst, middlemarch = three["list"], three["items"][0]
    login("instructor")
    page.goto(f"/lists/{lst.pk}/edit/")
    page.evaluate("window.__region = document.getElementById('messages-live')")
    down = page.get_by_role("button", name="Move Middlemarch down")
    page.locator("body").focus()
    tab_to(page, down)
    page.keyboard.press("Enter")
    live = page.locator("#messages-live")
    expect(live).to_have_text("Item moved. Middlemarch is item 2 of 3 in Week 1.")
    assert page.evaluate("window.__region === document.getElementById('messages-live')"), "the live region was replaced"
    expect(live).to_have_attribute("aria-live", "polite")
    expect(page.locator(f"#c{middlemarch.pk}-down")).to_be_focused()      # the focus stayed on the item's button
    delete = page.get_by_role("button", name="Delete — Middlemarch")
    page.once("dialog", lambda dialog: dialog.accept())
    delete.click()
    expect(live).to_have_text("Item deleted. Middlemarch")
    assert page.evaluate("window.__region === document.getElementById('messages-live')")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_refused_item_action_is_said_beside_the_item_and_in_the_live_region(page, login, three, instructor):
    """LST-4 in Chromium: the instructor's page still offers "Send to library" for Hard Times, which
    was sent meanwhile (another tab); the refusal is announced in the live region, as before, and is
    now also shown beside Hard Times — where the instructor is looking — not only at the top of the
    page; the next action that succeeds clears it."""
    from syllabus.lists import services
    from tests.web.test_accessibility import check

    lst, hard_times = three["list"], three["items"][1]
    login("instructor")
    page.goto(f"/lists/{lst.pk}/edit/")
    page.evaluate("window.__region = document.getElementById('messages-live')")
    services.send_citation(instructor, hard_times)              # from another tab
    page.locator(f"#c{hard_times.pk}-send").click()
    beside = page.locator(f"#item-{hard_times.pk}").get_by_test_id("item-refusal")
    expect(beside).to_be_visible()
    expect(beside).to_contain_text("LST-4")
    live = page.locator("#messages-live")
    expect(live).to_contain_text("LST-4")
    assert page.evaluate("window.__region === document.getElementById('messages-live')"), "the live region was replaced"
    expect(page.get_by_test_id("item-refusal")).to_have_count(1)      # beside that item only
    check(page, page.title())
    page.get_by_role("button", name="Move Middlemarch down").click()
    expect(live).to_have_text("Item moved. Middlemarch is item 2 of 3 in Week 1.")
    expect(page.get_by_test_id("item-refusal")).to_have_count(0)
