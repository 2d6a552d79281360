"""CON-2 / DSV-6 in Chromium: from Find it for a title the library does not have, a student asks
for an inter-library loan, sees it under *My inter-library loan requests* and cancels it."""
from __future__ import annotations

import urllib.parse

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_con2_a_student_requests_a_title_through_inter_library_loan_and_cancels_it(page, login, student, library_a):
    from syllabus.consortium.models import IllRequest

    kev = urllib.parse.urlencode({"url_ver": "Z39.88-2004", "rft_val_fmt": "info:ofi/fmt:kev:mtx:book",
                                  "rft.btitle": "A Book Nobody Has", "rft.isbn": "9780226458120"})
    login("student")
    page.goto(f"/openurl?{kev}")
    page.get_by_test_id("next-ill").click()
    expect(page.get_by_role("heading", name="Request through inter-library loan")).to_be_visible()
    expect(page.get_by_label("Title (of the book, article or chapter)")).to_have_value("A Book Nobody Has")
    page.get_by_label("Note to the library (optional)").fill("For my essay")
    page.get_by_test_id("ill-submit").click()
    row = page.get_by_test_id("my-ill-request")
    expect(row).to_contain_text("A Book Nobody Has")
    expect(row.get_by_test_id("ill-status")).to_have_text("Your library is looking for a library to supply it")
    row.get_by_test_id("ill-cancel").click()
    expect(page.get_by_test_id("my-ill-request").get_by_test_id("ill-status")).to_have_text("Cancelled")
    assert IllRequest.objects.get().status == "Cancelled"
