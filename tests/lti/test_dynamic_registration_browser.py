"""LMS-1, LTI Dynamic Registration in Chromium: the LMS's administration page (the registration
platform of tests/lti/registration_platform.py, its own process) opens Syllabus's one-time
registration link in an iframe; the administrator confirms inside the frame, the platform is
registered, and the frame posts ``{subject: "org.imsglobal.lti.close"}`` to its parent — under
the pages' real Content-Security-Policy (not bypassed: the close script carries the nonce and the
frame is allowed only to the LMS's origin)."""
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from syllabus.lti import registration
from syllabus.lti.models import Platform
from tests.conftest import BROWSER_TIMEOUT_MS, _warm_up
from tests.lti.test_dynamic_registration import DEFAULTS, start_registration_platform


@pytest.fixture
def framing_reg_lms():
    proc, lms = start_registration_platform("localhost")   # same site as the live server, like the launch test
    lms.control("registration", DEFAULTS)
    yield lms
    proc.terminate()
    proc.wait(timeout=10)


@pytest.mark.browser
def test_registration_in_the_lms_iframe_posts_the_close_message_to_the_parent(chromium, live_server, framing_reg_lms, inst_a):
    lms = framing_reg_lms
    _, token = registration.create_link(None, inst_a)
    _warm_up(live_server)
    context = chromium.new_context(locale="en-US")   # the real CSP
    context.set_default_timeout(BROWSER_TIMEOUT_MS)
    page = context.new_page()
    try:
        tool_url = f"{live_server.url}/lti/register/{token}/"
        page.goto(f"{lms.base}/admin/register?url={quote(tool_url, safe='')}")
        frame = page.frame_locator("#tool")
        expect(frame.locator('[data-testid="registration-product"]')).to_have_text("ims-test-lms 4.5")
        expect(frame.locator('[data-testid="registration-issuer"]')).to_have_text(lms.base)
        frame.get_by_role("button", name="Register").click()
        expect(frame.locator('[data-testid="registration-done"]')).to_contain_text("client id syllabus-tool-1")
        expect(page.locator("#closed")).to_have_text(f"closed by {live_server.url}")
    finally:
        context.close()
    platform = Platform.objects.get()
    assert (platform.institution, platform.issuer) == (inst_a, lms.base)
    assert list(platform.deployments.values_list("deployment_id", flat=True)) == ["deployment-A"]
