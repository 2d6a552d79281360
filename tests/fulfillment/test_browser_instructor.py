"""Acceptance 6 — in Chromium: the instructor requests digitization of a list item; the operator
processes it; the instructor sees it delivered under the item's library services."""
import pytest
from playwright.sync_api import expect

from syllabus.catalog.models import Item, Record
from tests.browsing import follow_menu

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_instructor_requests_operator_processes_instructor_sees_it_delivered(
        page, login, chromium, live_server, instructor, course, inst_a, library_a, operator, tmp_path):
    from syllabus.lists import services

    record = Record.objects.create(institution=inst_a, source_id="thompson", title="The Making of the English Working Class")
    Item.objects.create(record=record, library=library_a, barcode="T0001", location="Stacks")
    lst = services.create_list(instructor, title="HIST101 readings", courses=[course])
    services.add_citation(instructor, lst, None, "book", {"title": record.title}, record=record)

    login("instructor")
    page.goto(f"/lists/{lst.pk}/edit/")
    services_box = page.get_by_test_id("digitization-services")
    services_box.get_by_role("link", name="Request digitization").click()
    expect(page.get_by_role("heading", name="Ask the library for a digital copy")).to_be_visible()
    page.get_by_label("Start date").fill("2026-03-09")
    page.get_by_label("End date").fill("2026-04-30")
    page.get_by_label("Chapters").fill("Chapter 1")
    page.get_by_label("Range 1 from page").fill("1")
    page.get_by_label("Range 1 to page").fill("30")
    page.get_by_label("Note 1").fill("For week 2")
    page.get_by_role("button", name="Send").click()
    page.wait_for_url(f"**/lists/{lst.pk}/edit/")
    expect(page.get_by_test_id("citation-request-status")).to_have_text("Pick from shelf")

    staff = chromium.new_context(base_url=live_server.url, locale="en-US")
    op = staff.new_page()
    op.goto("/login/")
    op.fill("#id_username", "operator")
    op.fill("#id_password", "pw")
    op.click("button[type=submit]")
    op.wait_for_url(lambda url: "/login/" not in url)
    follow_menu(op, "Back office", "Digitization requests")
    op.get_by_role("link", name="Pick from shelf").click()
    # the Open tab already lists the request: its row is clicked once the Pick tab has replaced the queue
    expect(op.get_by_role("link", name="Pick from shelf")).to_have_attribute("aria-current", "page")
    row = op.get_by_role("row").filter(has_text="The Making of the English Working Class")
    row.get_by_role("link").first.click()
    op.get_by_role("button", name="Picked from shelf").click()
    expect(op.get_by_test_id("request-status")).to_have_text("In digitization")
    scan = tmp_path / "thompson-1-30.pdf"
    scan.write_bytes(b"%PDF-1.4 scanned")
    op.get_by_label("Scanned file").set_input_files(str(scan))
    op.get_by_role("button", name="Attach file").click()
    expect(op.get_by_test_id("request-status")).to_have_text("File attached")
    op.get_by_role("button", name="Deliver").click()
    expect(op.get_by_test_id("request-status")).to_have_text("Delivered")
    staff.close()

    page.reload()
    expect(page.get_by_test_id("citation-request-status")).to_have_text("Delivered")
    expect(page.get_by_test_id("digitization-services").get_by_role("link", name="Digitized file")).to_be_visible()


def test_an_item_that_cannot_be_digitized_says_why_before_the_form_is_filled(page, login, instructor, course):
    """Found walking the demo (session 19): an item typed by hand (no catalog title) offered
    Request digitization, and the form — dates, chapters, ten page ranges, notes — said DIG-1
    only after Send. The refusal is said when the page opens, with no form to fill."""
    from syllabus.lists import services

    lst = services.create_list(instructor, title="HIST101 readings", courses=[course])
    services.add_citation(instructor, lst, None, "book", {"title": "A book the library does not have"})
    login("instructor")
    page.goto(f"/lists/{lst.pk}/edit/")
    page.get_by_test_id("digitization-services").get_by_role("link", name="Request digitization").click()
    expect(page.get_by_role("heading", name="Ask the library for a digital copy")).to_be_visible()
    expect(page.get_by_test_id("rule-error")).to_contain_text("DIG-1")
    expect(page.get_by_test_id("rule-error")).to_contain_text("not a physical title of the library's catalog")
    expect(page.get_by_role("button", name="Send")).to_have_count(0)
    page.get_by_role("link", name="Back to the list").click()
    page.wait_for_url(f"**/lists/{lst.pk}/edit/")
