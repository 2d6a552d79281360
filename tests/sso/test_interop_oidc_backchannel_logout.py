"""LMS-3: OpenID Connect Back-Channel Logout 1.0 — a person who signs out at the campus provider
(or whose session there an administrator ends) is signed out of Syllabus too, by the signed logout
token the provider posts server to server.  Against panva's certified oidc-provider (npm,
scripts/interop/oidc-provider.mjs, with its back-channel logout feature on), which sends ``sub``
and ``sid``."""
from __future__ import annotations

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.independent import free_port, node_script, stop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_lms3_signing_out_at_the_provider_ends_the_syllabus_session(page, live_server, inst_a, groups, settings, capsys):
    from syllabus.sso.models import SignIn

    settings.SITE_URL = live_server.url
    port = free_port()
    backchannel = f"{live_server.url}/sso/inst-a/campus/backchannel-logout/"
    # node resolves "localhost" to ::1 first; the live server listens on 127.0.0.1
    proc = node_script("oidc-provider.mjs", f"{live_server.url}/sso/inst-a/campus/callback/", f"{live_server.url}/login/",
                       backchannel.replace("://localhost:", "://127.0.0.1:"), ready_path="/.well-known/openid-configuration",
                       port=port)
    try:
        op = f"http://127.0.0.1:{port}"
        call_command("sso", "add-oidc", "--institution", "inst-a", "--name", "Campus account", "--slug", "campus",
                     "--issuer", op, "--client-id", "syllabus", "--client-secret", "s3cret",
                     "--username-claim", "preferred_username")
        assert backchannel in capsys.readouterr().out   # the command prints the URL to register
        page.goto("/login/?institution=inst-a")
        page.get_by_role("link", name="Campus account").click()
        page.locator("input[name=login]").fill("ada")
        page.locator("input[name=password]").fill("any")
        page.get_by_role("button", name="Sign-in").click()
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_role("heading", name="Welcome, Ada")).to_be_visible()
        assert SignIn.objects.count() == 1

        page.goto(f"{op}/session/end")   # the person signs out at the provider itself, not through Syllabus
        page.get_by_role("button", name="Yes, sign me out").click()
        page.wait_for_load_state()
        assert SignIn.objects.count() == 0
        page.goto("/")
        page.wait_for_url(f"{live_server.url}/login/**")
    finally:
        stop(proc)
