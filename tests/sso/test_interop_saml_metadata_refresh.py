"""LMS-3: an identity provider's signing key changes (a Shibboleth IdP's or Entra ID's certificate
rollover) — Syllabus reads the IdP's metadata again from its URL on the tick, so sign-in keeps
working without anyone re-registering the provider.  Against samlify (npm,
scripts/interop/saml-idp.mjs), restarted on the same address with a new key, as an IdP operator
rolls one over."""
from __future__ import annotations

import datetime as dt

import pytest
import requests
from django.core.management import call_command
from playwright.sync_api import expect

from tests.independent import free_port, node_script, stop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in_as_grace(page, idp: str) -> None:
    page.goto("/login/?institution=inst-a")
    page.get_by_role("link", name="Campus login").click()
    page.wait_for_url(f"{idp}/sso?**")
    if page.get_by_role("button", name="Sign in").count():   # no session at the IdP yet
        page.get_by_label("Person").select_option("grace")
        page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Continue to the service").click()


def test_lms3_an_idp_key_rollover_is_read_from_its_metadata_url_on_the_tick(page, live_server, inst_a, groups, settings):
    from syllabus.core import clock
    from syllabus.core.tasks import run_tick
    from syllabus.sso.models import IdentityProvider

    settings.SITE_URL = live_server.url
    port = free_port()
    idp = f"http://127.0.0.1:{port}"
    args = (f"{live_server.url}/sso/inst-a/saml/metadata/", "signed", "scope=uni.example")
    proc = node_script("saml-idp.mjs", *args, ready_path="/metadata", port=port)
    try:
        call_command("sso", "add-saml", "--institution", "inst-a", "--name", "Campus login", "--metadata", f"{idp}/metadata")
        stop(proc)
        proc = node_script("saml-idp.mjs", *args, ready_path="/metadata", port=port)   # same IdP, a new signing key
        rolled = requests.get(f"{idp}/metadata", timeout=10).text
        provider = IdentityProvider.objects.get()
        assert provider.metadata_xml != rolled

        _sign_in_as_grace(page, idp)   # the metadata held still has the old key
        expect(page.get_by_test_id("sso-refusal")).to_contain_text("LMS-3: the SAML assertion's signature does not verify")

        run_tick(clock.now() + dt.timedelta(hours=1))   # not due yet (no cacheDuration: every four hours)
        provider.refresh_from_db()
        assert provider.metadata_xml != rolled
        run_tick(clock.now() + dt.timedelta(hours=4, minutes=1))
        provider.refresh_from_db()
        assert provider.metadata_xml == rolled

        _sign_in_as_grace(page, idp)
        page.wait_for_url(f"{live_server.url}/")
        expect(page.get_by_role("heading", name="Welcome, Grace")).to_be_visible()
    finally:
        stop(proc)
