"""LMS-3: OpenID Connect Front-Channel Logout 1.0 in Chromium.  The person signs in through
tests/sso/op_server.py (an OP written from the standards, which renders the client's
``frontchannel_logout_uri`` in an iframe on its logout page, §2/§4), then signs out at the provider:
the frame loads our URI — allowed by ``frame-ancestors`` for the provider's origin — and the
Syllabus session ends.  The same page served from another origin is neither obeyed nor rendered;
and Syllabus's own sign-out still goes through the provider's end-session endpoint (RP-initiated
logout), whose page frames our URI too."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(page, live_server) -> None:
    page.goto("/login/?institution=inst-a")
    page.get_by_role("link", name="University account").click()
    page.wait_for_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="Welcome, Ada")).to_be_visible()


@pytest.fixture
def frontchannel(live_server, op, inst_a, groups) -> str:
    """The provider registered in Syllabus, and Syllabus's front-channel logout URI at the provider."""
    from syllabus.sso import services

    services.add_oidc_provider(inst_a, name="University account", slug="uni", issuer=op.url, client_id="syllabus",
                               client_secret="s3cret", username_claim="preferred_username")
    uri = f"{live_server.url}/sso/inst-a/uni/frontchannel-logout/"
    op.control(client={"redirect_uris": [f"{live_server.url}/sso/inst-a/uni/callback/"], "frontchannel_logout_uri": uri})
    return uri


def test_lms3_signing_out_at_the_provider_ends_the_syllabus_session_through_its_frame(page, live_server, op, frontchannel):
    from syllabus.sso.models import SignIn

    _sign_in(page, live_server)
    assert SignIn.objects.get().sid

    # another site (localhost, not the provider's 127.0.0.1) frames our URI with the right iss and sid:
    # our answer refuses it (its Referer) and forbids that origin to frame it
    from urllib.parse import urlencode

    port = op.url.rsplit(":", 1)[1]
    target = f"{frontchannel}?{urlencode({'iss': op.url, 'sid': SignIn.objects.get().sid})}"
    with page.expect_response(lambda r: r.url.startswith(frontchannel)) as answer:
        page.goto(f"http://localhost:{port}/_frame?{urlencode({'src': target})}")
    assert answer.value.status == 400
    assert answer.value.headers["content-security-policy"].endswith(f"frame-ancestors {op.url}")
    expect(page.frame_locator("#rp").get_by_text("LMS-3")).to_have_count(0)   # not rendered in that frame
    assert SignIn.objects.count() == 1
    page.goto("/")
    expect(page.get_by_role("heading", name="Welcome, Ada")).to_be_visible()

    # the person signs out at the provider itself
    with page.expect_response(lambda r: r.url.startswith(frontchannel)) as answer:
        page.goto(f"{op.url}/logout")
    assert answer.value.status == 200 and "no-store" in answer.value.headers["cache-control"]
    expect(page.frame_locator("#rp").get_by_text("Signed out of Syllabus.")).to_be_visible()
    assert not SignIn.objects.exists()
    page.goto("/")
    page.wait_for_url(f"{live_server.url}/login/**")


def test_lms3_our_sign_out_goes_through_the_providers_end_session_page_which_frames_us(page, live_server, op, frontchannel):
    from syllabus.sso.models import SignIn

    _sign_in(page, live_server)
    with page.expect_response(lambda r: r.url.startswith(frontchannel)) as answer:
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url(f"{op.url}/logout?**")   # RP-initiated logout, although front-channel is offered
    assert answer.value.status == 200   # the session had already ended here: nothing more to end
    expect(page.frame_locator("#rp").get_by_text("Signed out of Syllabus.")).to_be_visible()
    assert not SignIn.objects.exists()
    page.get_by_role("link", name="Continue").click()
    page.wait_for_url(f"{live_server.url}/login/**")
