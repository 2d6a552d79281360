"""Acceptance 4 of issue 5 in Chromium, both sides at once: the instructor writes on an item
thread → the librarian's count goes to 1 → the librarian reads it → 0 → the librarian's reply
raises the instructor's count, which clears when the instructor reads it.  No page reloads
for any of these actions (htmx)."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from syllabus.discussion.models import Message
from tests.conftest import BROWSER_TIMEOUT_MS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]



def _login(page, username):
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)


def _badge(page, href):
    """The count on the main navigation's link to ``href`` (a locator: expect waits for it)."""
    return page.locator(f".main-nav a[href='{href}'] .badge")


def test_acceptance_4_instructor_and_librarian_in_chromium(chromium, live_server, page, reading_list, instructor, librarian):
    lst, book = reading_list["list"], reading_list["book"]
    _login(page, "instructor")
    page.goto(f"/lists/{lst.pk}/")
    item = page.locator(f"[data-testid=item-discussion][data-citation='{book.pk}']")
    item.locator("summary").click()
    item.get_by_label("Message to the library").fill("Could the library buy a second copy?")
    item.get_by_role("button", name="Send").click()
    item.locator("[data-testid=discussion-message]", has_text="second copy").wait_for()
    assert Message.objects.filter(author=instructor).count() == 1

    context = chromium.new_context(base_url=live_server.url, locale="en-US")
    context.set_default_timeout(BROWSER_TIMEOUT_MS)
    lib = context.new_page()
    try:
        _login(lib, "librarian")
        expect(_badge(lib, "/discussion/alerts/")).to_have_text("1")      # the librarian's count goes to 1
        lib.goto(f"/lists/{lst.pk}/library/")
        lib.evaluate("window.__no_reload = true")
        lib_item = lib.locator(f"[data-testid=item-discussion][data-citation='{book.pk}']")
        expect(lib_item.locator("[data-testid=dsc-unread]")).to_have_text("1")
        lib_item.locator("summary").click()
        lib_item.locator("[data-testid=discussion-message]", has_text="second copy").wait_for()
        expect(_badge(lib, "/discussion/alerts/")).to_have_count(0)
        expect(lib_item.locator("[data-testid=dsc-unread]")).to_have_count(0)   # read: the count goes to 0
        lib_item.get_by_label("Answer for the library").fill("Ordered two more copies.")
        lib_item.get_by_role("button", name="Send").click()
        lib_item.locator("[data-testid=discussion-message]", has_text="Ordered two more").wait_for()
        assert lib.evaluate("window.__no_reload") is True
    finally:
        context.close()

    page.goto("/")
    expect(_badge(page, "/discussion/")).to_have_text("1")                # the reply raises the instructor's count
    page.goto(f"/lists/{lst.pk}/")
    item = page.locator(f"[data-testid=item-discussion][data-citation='{book.pk}']")
    expect(item.locator("[data-testid=dsc-unread]")).to_have_text("1")
    item.locator("summary").click()
    item.locator("[data-testid=discussion-message].from-library", has_text="Ordered two more").wait_for()
    expect(_badge(page, "/discussion/")).to_have_count(0)


def test_the_unread_counts_stay_on_the_editor_after_an_action(page, reading_list, instructor, librarian):
    """Found walking the demo (session 19): the editor's answers to an action (publish, add an
    item...) are rendered with ``oob`` set for their live message, and the discussion counts
    included in the page read it too: each came out hx-swap-oob, htmx took it out of the new page
    (swapped into the old one), so after one action every "Library discussion" count was gone
    until a reload, and the next action logged htmx:oobErrorNoTarget (DSC-1)."""
    from syllabus.discussion import services

    lst, book = reading_list["list"], reading_list["book"]
    services.post_message(librarian, lst, "We will scan chapter 1.", citation=book)
    _login(page, "instructor")
    page.goto(f"/lists/{lst.pk}/edit/")
    item = page.locator(f"[data-testid=item-discussion][data-citation='{book.pk}']")
    expect(item.locator("[data-testid=dsc-unread]")).to_have_text("1")
    page.get_by_role("button", name="Unpublish").click()
    expect(page.get_by_role("button", name="Publish", exact=True)).to_be_visible()
    expect(item.locator("[data-testid=dsc-unread]")).to_have_text("1")
    assert page.locator(".dsc-counts").count() == 3          # the two items' and the list's
