"""LMS-3 against an OpenID provider nobody on this project wrote: panva's certified
``oidc-provider`` (npm, scripts/interop/oidc-provider.mjs).  Registered the way README tells an
administrator (``syllabus sso add-oidc``), then the whole redirect dance in Chromium: discovery,
PKCE (required by this provider), state and nonce, the provider's own login and consent pages,
claims from its userinfo endpoint (it puts profile, e-mail and groups there, not in the ID
token), and RP-initiated logout."""
from __future__ import annotations

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.independent import free_port, node_script, stop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def panva_op(live_server):
    port = free_port()
    proc = node_script("oidc-provider.mjs", f"{live_server.url}/sso/inst-a/campus/callback/", f"{live_server.url}/login/",
                       ready_path="/.well-known/openid-configuration", port=port)
    yield f"http://127.0.0.1:{port}"
    stop(proc)


def _sign_in_at_the_provider(page, login: str) -> None:
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill("any")
    page.get_by_role("button", name="Sign-in").click()
    page.get_by_role("button", name="Continue").click()   # consent to the scopes


def test_lms3_sign_in_and_out_through_panva_oidc_provider(strict_page, live_server, panva_op, inst_a, groups, capsys,
                                                          settings):
    from syllabus.org.models import User

    page = strict_page  # a real browser's policy: the sign-out leads to the provider (LMS-3)
    settings.SITE_URL = live_server.url  # README: set SITE_URL so that what the command prints is reachable

    call_command("sso", "add-oidc", "--institution", "inst-a", "--name", "Campus account", "--slug", "campus",
                 "--issuer", panva_op, "--client-id", "syllabus", "--client-secret", "s3cret",
                 "--scopes", "openid profile email groups", "--username-claim", "preferred_username",
                 "--group-claim", "groups", "--group-map", "faculty=faculty,student=undergraduate")
    assert f"{live_server.url}/sso/inst-a/campus/callback/" in capsys.readouterr().out

    page.goto("/login/?institution=inst-a")
    page.get_by_role("link", name="Campus account").click()
    page.wait_for_url(f"{panva_op}/**")
    _sign_in_at_the_provider(page, "ada")
    page.wait_for_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="Welcome, Ada")).to_be_visible()
    ada = User.objects.get(username="ada")
    assert (ada.first_name, ada.last_name, ada.email, ada.user_group.code) == ("Ada", "Lovelace", "ada@uni.example",
                                                                               "faculty")

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{panva_op}/session/end**")
    page.get_by_role("button", name="Yes, sign me out").click()
    page.wait_for_url(f"{live_server.url}/login/**")
    # the provider's session is over too: the next sign-in asks for the login again
    page.goto("/login/?institution=inst-a")
    page.get_by_role("link", name="Campus account").click()
    expect(page.locator("input[name=login]")).to_be_visible()


def _register(panva_op: str) -> None:
    call_command("sso", "add-oidc", "--institution", "inst-a", "--name", "Campus account", "--slug", "campus",
                 "--issuer", panva_op, "--client-id", "syllabus", "--client-secret", "s3cret",
                 "--scopes", "openid profile email groups", "--username-claim", "preferred_username",
                 "--group-claim", "groups", "--group-map", "faculty=faculty,student=undergraduate")


def test_lms3_a_student_gets_the_mapped_group(page, live_server, panva_op, inst_a, groups, settings):
    from syllabus.org.models import User

    settings.SITE_URL = live_server.url
    _register(panva_op)
    page.goto("/login/?institution=inst-a")
    page.get_by_role("link", name="Campus account").click()
    _sign_in_at_the_provider(page, "bob")
    expect(page.get_by_role("heading", name="Welcome, Bob")).to_be_visible()
    assert User.objects.get(username="bob").user_group.code == "undergraduate"


def test_lms3_cancelling_at_the_provider_is_a_refusal_page_naming_the_rule(page, live_server, panva_op, inst_a, groups,
                                                                           settings):
    """The provider's error answer (access_denied, with its iss — RFC 9207) is shown, not a 500."""
    from syllabus.org.models import User

    settings.SITE_URL = live_server.url
    _register(panva_op)
    page.goto("/login/?institution=inst-a")
    page.get_by_role("link", name="Campus account").click()
    page.get_by_role("link", name="[ Cancel ]").click()
    page.wait_for_url(f"{live_server.url}/sso/inst-a/campus/callback/**")
    expect(page.get_by_test_id("sso-refusal")).to_contain_text("LMS-3: Campus account did not sign you in")
    assert not User.objects.filter(username="ada").exists()
