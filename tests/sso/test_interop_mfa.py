"""LMS-3: a provider marked as requiring multi-factor sign-in (REFEDS MFA, ``--require-mfa``)
asks the identity provider for it and refuses a sign-in the provider says was made otherwise —
against providers nobody on this project wrote: samlify (SAML; scripts/interop/saml-idp.mjs
reports the AuthnContextClassRef of how the person signed in) and panva's oidc-provider
(OpenID Connect; it ignores ``acr_values`` it was not configured for and says no ``acr``, as
many campus providers do)."""
from __future__ import annotations

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.independent import free_port, node_script, stop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
REFEDS_MFA = "https://refeds.org/profile/mfa"


@pytest.fixture
def samlify_idp(live_server):
    port = free_port()
    proc = node_script("saml-idp.mjs", f"{live_server.url}/sso/inst-a/saml/metadata/", "signed", "scope=uni.example",
                       ready_path="/metadata", port=port)
    yield f"http://127.0.0.1:{port}"
    stop(proc)


def test_lms3_saml_provider_requiring_mfa_refuses_a_password_sign_in_and_accepts_refeds_mfa(
        page, live_server, samlify_idp, inst_a, groups, settings):
    settings.SITE_URL = live_server.url
    call_command("sso", "add-saml", "--institution", "inst-a", "--name", "Campus login", "--metadata",
                 f"{samlify_idp}/metadata", "--require-mfa")

    def sign_in(second_factor: bool) -> None:
        page.goto("/login/?institution=inst-a")
        page.get_by_role("link", name="Campus login").click()
        page.wait_for_url(f"{samlify_idp}/sso?**")
        # Syllabus's signed AuthnRequest asked for REFEDS MFA (RequestedAuthnContext)
        expect(page.locator("form[data-requested-authn-context]")).to_have_attribute("data-requested-authn-context",
                                                                                  REFEDS_MFA)
        page.get_by_label("Person").select_option("grace")
        if second_factor:
            page.get_by_label("Second factor").check()
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("button", name="Continue to the service").click()

    sign_in(second_factor=False)
    expect(page.get_by_test_id("sso-refusal")).to_contain_text(
        "LMS-3: Campus login requires multi-factor sign-in (REFEDS MFA) by 'https://refeds.org/profile/mfa', and the "
        "identity provider says you signed in by 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport'")
    from syllabus.org.models import User

    assert not User.objects.filter(username="grace@uni.example").exists()

    page.context.clear_cookies()   # a new sign-in at the IdP, this time with the second factor
    sign_in(second_factor=True)
    page.wait_for_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="Welcome, Grace")).to_be_visible()


def test_lms3_oidc_provider_requiring_mfa_refuses_an_id_token_that_does_not_say_so(page, live_server, inst_a, groups,
                                                                                    settings):
    settings.SITE_URL = live_server.url
    port = free_port()
    proc = node_script("oidc-provider.mjs", f"{live_server.url}/sso/inst-a/campus/callback/", f"{live_server.url}/login/",
                       ready_path="/.well-known/openid-configuration", port=port)
    try:
        op = f"http://127.0.0.1:{port}"
        call_command("sso", "add-oidc", "--institution", "inst-a", "--name", "Campus account", "--slug", "campus",
                     "--issuer", op, "--client-id", "syllabus", "--client-secret", "s3cret",
                     "--username-claim", "preferred_username", "--require-mfa")
        page.goto("/login/?institution=inst-a")
        page.get_by_role("link", name="Campus account").click()
        page.wait_for_url(f"{op}/**")
        page.locator("input[name=login]").fill("ada")
        page.locator("input[name=password]").fill("any")
        page.get_by_role("button", name="Sign-in").click()
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_test_id("sso-refusal")).to_contain_text(
            "LMS-3: Campus account requires multi-factor sign-in (REFEDS MFA) by 'https://refeds.org/profile/mfa', and "
            "the identity provider does not say how you signed in")
        from syllabus.org.models import User

        assert not User.objects.filter(username="ada").exists()
    finally:
        stop(proc)
