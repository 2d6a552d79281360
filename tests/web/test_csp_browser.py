"""Issue 18 item 8: under the strict Content-Security-Policy, htmx and the shell's scripts still
work in Chromium and the browser reports no violation."""
import pytest
from playwright.sync_api import expect

from tests.factories import CourseFactory
from tests.conftest import BROWSER_TIMEOUT_MS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(chromium, live_server, served):
    """A page that honours the Content-Security-Policy (the shared fixture bypasses it)."""
    from tests.conftest import _warm_up

    _warm_up(live_server)
    context = chromium.new_context(base_url=live_server.url, locale="en-US", bypass_csp=False)
    context.set_default_timeout(BROWSER_TIMEOUT_MS)
    yield context.new_page()
    context.close()
    served.wait_idle()


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
