"""Acceptance 6, in Chromium: a student joins the waitlist, sees place 2, is notified, views,
finishes; the next student is notified (LDL-5, LDL-6, LDL-8, LDL-12, LDL-13)."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from syllabus.lending import services
from syllabus.lending.models import LoanRequest, Status, Step
from syllabus.notify.models import OutboxMessage


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_student_joins_waitlist_sees_place_2_is_notified_views_finishes_and_the_next_is_notified(
        page, login, make_rep, make_user, lending_staff):
    rep = make_rep(1, title="The Mill on the Floss")
    holder, first, student, after = (make_user(u) for u in ("holder", "first", "student", "after"))
    held = services.request_loan(holder, rep)
    services.access(holder, held)
    waiting_first = services.request_loan(first, rep)

    login("student")
    page.goto(f"/lending/titles/{rep.pk}/")
    panel = page.get_by_test_id("loan-panel")
    expect(panel).to_contain_text("All copies are on loan: join the waitlist.")
    expect(panel).to_contain_text("You would be number 2 in the waitlist")
    page.get_by_role("button", name="Join the waitlist").click()
    state = page.get_by_test_id("loan-state")
    expect(state).to_contain_text("You are number 2 in the waitlist.")   # htmx swapped the panel: no reload
    mine = LoanRequest.objects.get(patron=student)
    assert (mine.status, mine.step) == (Status.READY, Step.IN_WAITLIST)

    # the library card shows the place too
    page.locator("[data-testid=nav-library] > summary").click()           # the Library menu (issue 12)
    page.get_by_role("link", name="My library card").first.click()
    expect(page.get_by_test_id("card-current")).to_contain_text("place 2")

    services.request_loan(after, rep)                                      # joins behind the student
    services.cancel(lending_staff, waiting_first, reason="no_longer_needed")  # the student moves up to 1
    services.finish(holder, held)                                          # the copy frees: the student's turn

    mail = OutboxMessage.objects.get(recipient=student, letter="ldl_available", channel="email")
    link = re.search(r"(?:https?://[^/\s]+)?(/lending/titles/\d+/)", mail.body).group(1)
    page.goto(link)                                                          # the patron follows the letter's link
    expect(page.get_by_test_id("loan-state")).to_contain_text("It is your turn")
    page.get_by_test_id("view").click()
    page.wait_for_url(re.compile(rf"/lending/loans/{mine.pk}/view/$"))
    expect(page.get_by_test_id("viewer")).to_be_visible()
    expect(page.get_by_test_id("viewer-state")).to_contain_text("Your session ends at")
    assert LoanRequest.objects.get(pk=mine.pk).step == Step.IS_BEING_VIEWED

    page.get_by_test_id("finish").click()
    page.wait_for_url(re.compile(rf"/lending/titles/{rep.pk}/$"))
    expect(page.get_by_test_id("loan-state")).to_be_visible()
    assert LoanRequest.objects.get(pk=mine.pk).status == Status.COMPLETED
    nxt = LoanRequest.objects.get(patron=after)
    assert nxt.step == Step.IN_GRACE_PERIOD
    assert OutboxMessage.objects.filter(recipient=after, letter="ldl_available").exists()

    # the viewer link no longer works once the loan has ended
    response = page.goto(f"/lending/loans/{mine.pk}/view/")
    assert response.status == 410
    expect(page.get_by_test_id("viewer-state")).to_contain_text("This loan has ended")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_monitor_shows_no_place_for_the_loan_being_read_and_each_waiting_place_links_to_the_queue(
        page, login, make_rep, make_user, lending_staff):
    """Session 20, a librarian's tour of the back office: the reader holding the copy was shown
    at "place 0" of the queue; they wait for nothing — a dash, still leading to the queue."""
    rep = make_rep(1, title="The Mill on the Floss")
    holder, waiting = make_user("holder"), make_user("waiting")
    services.access(holder, services.request_loan(holder, rep))
    services.request_loan(waiting, rep)

    login("lender")
    page.goto("/lending/requests/")
    reading = page.locator("tr", has_text="(holder)").get_by_test_id("place")
    expect(reading).to_have_text("—")
    expect(reading.get_by_role("link", name="Not waiting: show the queue")).to_be_visible()
    queued = page.locator("tr", has_text="(waiting)").get_by_test_id("place")
    expect(queued).to_have_text("1")
    queued.get_by_role("link", name="Place 1: show the queue").click()
    expect(page).to_have_url(re.compile(rf"/lending/representations/{rep.pk}/queue/$"))
