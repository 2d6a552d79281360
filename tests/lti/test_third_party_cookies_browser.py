"""LMS-1: Syllabus in the LMS frame of a browser that blocks third-party cookies.

The LMS (tests/lti/platform.py, its own process) and the tool are cross-site (127.0.0.1 and
localhost are different sites); Chromium runs with ``--test-third-party-cookie-phaseout`` (its
third-party cookie blocking; this Chromium's fresh contexts block them anyway).  On main before
this change the first test failed: the state cookie set at the login inside the frame never came
back, and the launch was refused ("state mismatch").

- Chrome-like (tool on http://localhost, a secure context: Secure cookies are kept): the
  cookies are ``Partitioned`` (CHIPS) and the student view renders inside the frame;
- Safari-like (tool on http://127.0.0.1: no Secure, so no Partitioned — every tool cookie in
  the frame is dropped): the login keeps its state in the LMS's storage frame (LTI Client Side
  postMessages), the launch reads it back, and since the session cookie is dropped too, the page
  offers "Open in a new window", which opens the list at the top level — once;
- a storage frame whose answers come from another origin is ignored: the launch is refused.
"""
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.conftest import BROWSER_TIMEOUT_MS, CHROMIUM, _warm_up
from tests.lti.conftest import framed_launch, start_platform

SLOW = 40_000   # a refused storage answer waits out the put and get timeouts (5 s each) first


@pytest.fixture(scope="module")
def chromium_3pc(chromium):
    """A second Chromium of the session's Playwright (one Playwright per process), launched
    with third-party cookies blocked."""
    browser = chromium.browser_type.launch(executable_path=CHROMIUM, headless=True, args=[
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
        "--test-third-party-cookie-phaseout"])
    yield browser
    browser.close()


@pytest.fixture
def browser_page(chromium_3pc, live_server, served):
    _warm_up(live_server)
    ctx = chromium_3pc.new_context(locale="en-US")   # the pages' own CSP applies (no bypass)
    ctx.set_default_timeout(BROWSER_TIMEOUT_MS)
    yield ctx.new_page()
    ctx.close()
    served.wait_idle()


@pytest.fixture
def platforms():
    started = []

    def start(host):
        proc, lms = start_platform(host)
        started.append(proc)
        return lms

    yield start
    for proc in started:
        proc.terminate()
        proc.wait(timeout=10)


def _open(page, live_server, lms, tool_host: str, inst_a, course, instructor, **spec_extra):
    """The LMS's course page (with its storage frame) in the browser; the tool at ``tool_host``."""
    tool = live_server.url.replace(urlsplit(live_server.url).hostname, tool_host)
    spec = {"sub": "cookieless-student", "email": "cookieless@uni.edu", "given_name": "Cleo", **spec_extra}
    lst, launch_id = framed_launch(lms, tool, inst_a, course, instructor, spec)
    page.goto(f"{lms.base}/course_storage/{launch_id}")
    return tool, lst, page.frame_locator("#tool")


@pytest.mark.browser
def test_partitioned_cookies_keep_the_launch_and_the_session_inside_the_cross_site_frame(
        browser_page, live_server, platforms, inst_a, course, instructor):
    tool, lst, frame = _open(browser_page, live_server, platforms("127.0.0.1"), "localhost", inst_a, course, instructor)
    expect(frame.locator('[data-testid="student-view"]')).to_contain_text("The Age of Revolution")
    expect(frame.locator(".whoami")).to_contain_text("Cleo")
    session = [c for c in browser_page.context.cookies() if c["name"] == "sessionid"]
    assert session and session[0]["sameSite"] == "None" and session[0]["secure"]
    assert [f for f in browser_page.frames if f.url == f"{tool}/lists/{lst.pk}/"]


@pytest.mark.browser
def test_without_any_cookie_the_state_comes_back_from_the_lms_storage_frame_and_a_new_window_opens_the_list_once(
        browser_page, live_server, platforms, inst_a, course, instructor):
    from syllabus.lti.models import LaunchTicket, LoginState

    tool, lst, frame = _open(browser_page, live_server, platforms("localhost"), "127.0.0.1", inst_a, course, instructor)
    offer = frame.locator('[data-testid="lti-new-window"]')
    expect(offer).to_be_visible()
    expect(offer).to_contain_text("LMS-1")
    login = LoginState.objects.get()
    assert login.storage_target == "post_message_forwarding" and login.used_at is not None
    with browser_page.expect_popup() as opened:
        offer.get_by_role("button", name="Open in a new window").click()
    window = opened.value
    expect(window.locator('[data-testid="student-view"]')).to_contain_text("The Age of Revolution")
    assert window.url == f"{tool}/lists/{lst.pk}/"
    expect(window.locator(".whoami")).to_contain_text("Cleo")
    assert LaunchTicket.objects.get().used_at is not None
    # the same button again: the ticket was used
    with browser_page.expect_popup() as again:
        offer.get_by_role("button", name="Open in a new window").click()
    expect(again.value.locator('[data-testid="lti-refused"]')).to_contain_text("already used")


@pytest.mark.browser
def test_a_storage_answer_from_another_origin_is_ignored_and_the_launch_refused(
        browser_page, live_server, platforms, inst_a, course, instructor):
    from syllabus.lti.models import LaunchTicket

    hostile = platforms("127.0.0.1")     # another origin: it answers every storage message "right"
    _tool, _lst, frame = _open(browser_page, live_server, platforms("localhost"), "127.0.0.1", inst_a, course, instructor,
                               relay=hostile.base + "/storage_frame?forge=1")
    refusal = frame.locator('[data-testid="lti-refused"]')
    expect(refusal).to_contain_text("LMS-1", timeout=SLOW)
    expect(refusal).to_contain_text("storage frame did not confirm")
    assert not LaunchTicket.objects.exists()
