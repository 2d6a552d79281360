"""LMS-3 against panva's certified ``oidc-provider`` (npm, scripts/interop/oidc-provider.mjs): its
signing key is made at each start, so a restart on the same address is a key rotation — the next
sign-in carries a key id Syllabus has not seen, and Syllabus reads the key set again; and a client
registered for HS256 ID tokens (``id_token_signed_response_alg``, the client secret as the key)
signs in only through a provider set to HS256 — the same tokens are refused by a provider left at
its default (asymmetric algorithms only)."""
from __future__ import annotations

import pytest
from django.core.cache import cache
from django.core.management import call_command
from playwright.sync_api import expect

from tests.independent import free_port, node_script, stop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
LONG_SECRET = "panva-interop-client-secret-0123456789abcdef"


def _sign_in(page, login: str, button: str = "Campus account") -> None:
    page.goto("/login/?institution=inst-a")
    page.get_by_role("link", name=button).click()
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill("any")
    page.get_by_role("button", name="Sign-in").click()
    page.get_by_role("button", name="Continue").click()


def _start(live_server, port: int, *slugs: str, env: dict | None = None):
    redirects = ",".join(f"{live_server.url}/sso/inst-a/{slug}/callback/" for slug in slugs)
    return node_script("oidc-provider.mjs", redirects, f"{live_server.url}/login/",
                       ready_path="/.well-known/openid-configuration", port=port, env=env)


def test_lms3_a_provider_that_rotated_its_key_is_followed(page, live_server, inst_a, groups, settings):
    from syllabus.org.models import User

    settings.SITE_URL = live_server.url
    port = free_port()
    op = f"http://127.0.0.1:{port}"
    proc = _start(live_server, port, "campus")
    try:
        call_command("sso", "add-oidc", "--institution", "inst-a", "--name", "Campus account", "--slug", "campus",
                     "--issuer", op, "--client-id", "syllabus", "--client-secret", "s3cret",
                     "--username-claim", "preferred_username")
        _sign_in(page, "ada")
        expect(page.get_by_role("heading", name="Welcome, Ada")).to_be_visible()
        first_kids = [k["kid"] for k in cache.get(f"sso:oidc:jwks:{op}/jwks")["keys"]]
        page.context.clear_cookies()
    finally:
        stop(proc)
    proc = _start(live_server, port, "campus")   # the same provider, a new signing key
    try:
        _sign_in(page, "bob")
        expect(page.get_by_role("heading", name="Welcome, Bob")).to_be_visible()
        kids = [k["kid"] for k in cache.get(f"sso:oidc:jwks:{op}/jwks")["keys"]]
        assert kids and not set(kids) & set(first_kids)   # read again: the new key only
        assert User.objects.filter(username__in=["ada", "bob"]).count() == 2
    finally:
        stop(proc)


def test_lms3_hs256_id_tokens_sign_in_only_through_a_provider_set_to_hs256(page, live_server, inst_a, groups, settings):
    from syllabus.org.models import User

    settings.SITE_URL = live_server.url
    port = free_port()
    op = f"http://127.0.0.1:{port}"
    proc = _start(live_server, port, "campus", "default", env={"OP_ID_TOKEN_ALG": "HS256", "OP_CLIENT_SECRET": LONG_SECRET})
    try:
        for slug, name, extra in (("campus", "Campus account", ["--signing-alg", "HS256"]), ("default", "Default", [])):
            call_command("sso", "add-oidc", "--institution", "inst-a", "--name", name, "--slug", slug, "--issuer", op,
                         "--client-id", "syllabus", "--client-secret", LONG_SECRET, "--username-claim", "preferred_username",
                         *extra)
        _sign_in(page, "ada", "Default")
        expect(page.get_by_test_id("sso-refusal")).to_contain_text(
            "LMS-3: the ID token is signed with HS256, a shared-secret algorithm (the client secret as key), and Default "
            "is not set to it")
        assert not User.objects.filter(username="ada").exists()
        page.goto("/login/?institution=inst-a")
        page.get_by_role("link", name="Campus account").click()   # signed in at the provider already
        consent = page.get_by_role("button", name="Continue")
        if consent.count():
            consent.click()
        expect(page.get_by_role("heading", name="Welcome, Ada")).to_be_visible()
    finally:
        stop(proc)
