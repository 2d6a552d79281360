"""Issue 14 acceptance 6, in Chromium: a librarian orders a copy from a list item on the list's
library page and, once the task is done, sees the copy on reserve — on the item, in the
Acquisitions task list (reached through the Back office menu) and in the students' list view."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect


pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(inst_a, library_a, instructor, librarian, student, course):
    from syllabus.catalog import services as catalog
    from syllabus.lists import services as lists

    record = catalog.save_record(None, inst_a, {"type": "book", "title": "The Making of the English Working Class",
                                                "author": [{"family": "Thompson", "given": "E. P."}], "publisher": "Victor Gollancz",
                                                "issued": {"date-parts": [[1963]]}, "ISBN": "9780140136036"},
                                 source_id="acq-browser-1").record
    lst = lists.create_list(instructor, title="HIST101 readings", courses=[course])
    week1 = lists.add_section(instructor, lst, title="Week 1")
    citation = lists.add_citation(instructor, lst, week1, record=record)
    lists.publish_list(instructor, lst)
    lists.send_list(instructor, lst)
    return {"list": lst, "citation": citation, "library": library_a}


def test_a_librarian_orders_a_copy_and_sees_it_on_reserve_when_done(page, login, world):
    lst, citation = world["list"], world["citation"]
    login("librarian")
    page.goto(f"/lists/{lst.pk}/library/")
    item = page.locator(f"#litem-{citation.pk}")
    item.get_by_text("Acquire", exact=True).click()
    form = item.get_by_test_id("acquisition-form")
    form.get_by_label("Task").select_option("order")
    form.get_by_label("Vendor").fill("GOBI Library Solutions")
    form.get_by_label("Cost", exact=True).fill("24.99")
    form.get_by_label("Currency (ISO 4217)").fill("GBP")
    form.get_by_label("Expected date").fill("2026-03-20")
    form.get_by_role("button", name="Start task").click()

    item = page.locator(f"#litem-{citation.pk}")
    task = item.get_by_test_id("acquisition-task")
    expect(task).to_contain_text("Order a copy")
    expect(task.get_by_test_id("acquisition-status")).to_have_text("Requested")
    expect(task).to_contain_text("24.99 GBP")
    expect(task.get_by_test_id("on-reserve")).to_have_count(0)

    group = page.locator("[data-testid=nav-back_office]")     # the link carries a badge: 1 open task of hers
    group.locator("> summary").click()
    link = group.get_by_role("link", name=re.compile(r"^Acquisitions"))
    expect(link).to_contain_text("1")
    link.click()
    expect(page.get_by_test_id("acquisition-row")).to_contain_text("The Making of the English Working Class")
    page.get_by_test_id("acquisition-row").get_by_role("link", name="Order a copy").click()
    page.get_by_role("button", name="Done").click()
    expect(page.get_by_test_id("acquisition-status")).to_have_text("Done")
    expect(page.get_by_test_id("on-reserve")).to_contain_text("Course reserve")

    page.goto(f"/lists/{lst.pk}/library/")
    item = page.locator(f"#litem-{citation.pk}")
    expect(item.get_by_test_id("on-reserve")).to_contain_text("Course reserve")
    expect(item.get_by_test_id("item-status")).to_have_text("Complete")

    # the students see the copy on reserve in the list
    page.context.clear_cookies()
    login("student")
    page.goto(f"/lists/{lst.pk}/")
    physical = page.get_by_test_id("access-physical")
    expect(physical).to_contain_text("Course reserve")
    expect(physical).to_contain_text("Reserve / short loan")
    expect(physical.get_by_test_id("availability")).to_have_text("1 of 1 available")
