"""Issue 18 item 8: under the strict Content-Security-Policy, htmx and the shell's scripts still
work in Chromium and the browser reports no violation."""
import pytest
from playwright.sync_api import expect

from tests.factories import CourseFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(strict_page):
    """A page that honours the Content-Security-Policy (the shared ``page`` bypasses it)."""
    return strict_page


def test_htmx_works_under_the_policy_and_nothing_is_blocked(page, login, course, inst_a):
    CourseFactory(institution=inst_a, code="BIO200", name="Genetics")
    violations = []
    page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)
    login("instructor")
    page.goto("/courses/")
    page.get_by_label("Code, name or instructor").fill("HIST101")
    with page.expect_response(lambda r: "/courses/" in r.url and r.request.headers.get("hx-request") == "true"):
        page.get_by_role("button", name="Search").click()
    expect(page.locator("#course-results").get_by_role("link", name="HIST101-01")).to_be_visible()
    page.get_by_label("Language").select_option("fr")   # shell.js, not an inline handler
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    page.goto("/catalog/cite-it/")
    assert violations == []


def test_the_navigation_refreshed_by_htmx_brings_no_blocked_style(page, login, instructor):
    """Found walking the demo (session 19): reading a notification, opening a list's discussion...
    make htmx fetch the navigation again (notify/nav.html, a whole page); the page's branding
    <style> carried that response's nonce, and Chromium reported it blocked (style-src-elem) when
    htmx parsed the answer — a CSP violation on every refresh of the counts (DSC-2)."""
    from syllabus.notify.models import Notification

    Notification.objects.create(user=instructor, letter="test", subject="Middlemarch is due")
    violations = []
    page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)
    login("instructor")
    page.goto("/notifications/")
    bell = page.locator(".main-nav a[href='/notifications/'] .badge")
    expect(bell).to_have_text("1")
    with page.expect_response(lambda r: "/notifications/nav/" in r.url):
        page.get_by_role("button", name="Mark as read").click()
    expect(bell).to_have_count(0)
    page.goto("/catalog/cite-it/")      # any console message of the refresh has been delivered by now
    assert violations == []
