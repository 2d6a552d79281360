"""LMS-3 against a SAML IdP nobody on this project wrote and not built on pysaml2 (our own SP
library): samlify (npm, scripts/interop/saml-idp.mjs), which schema-validates what we send,
checks our AuthnRequest and LogoutRequest signatures, signs what our metadata asks for and
releases eduPerson attributes by OID, as Shibboleth does.  Registered the way README tells an
administrator (``syllabus sso add-saml --metadata URL``), then the browser round trip: the IdP's
sign-in page, its form post back to our assertion consumer (a cross-site POST, as from any real
IdP), the person and group, and single logout through the IdP."""
from __future__ import annotations

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.independent import free_port, node_script, stop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(params=["signed", "encrypt"])
def samlify_idp(request, live_server):
    """samlify signing its assertions, then also encrypting them to our metadata's key."""
    port = free_port()
    proc = node_script("saml-idp.mjs", f"{live_server.url}/sso/inst-a/saml/metadata/", request.param, "scope=uni.example",
                       ready_path="/metadata", port=port)
    yield f"http://127.0.0.1:{port}"
    stop(proc)


def _sign_in_at_the_idp(page, person: str, mode: str = "signed") -> None:
    page.get_by_label("Person").select_option(person)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("form[data-assertion]")).to_have_attribute("data-assertion",
                                                                  "encrypted" if mode == "encrypt" else "plain")
    page.get_by_role("button", name="Continue to the service").click()


def test_lms3_sign_in_and_single_logout_through_samlify(request, strict_page, live_server, samlify_idp, inst_a, groups,
                                                        capsys, settings):
    from syllabus.org.models import User

    page = strict_page  # a real browser's policy: the sign-out leads to the provider (LMS-3)
    settings.SITE_URL = live_server.url
    call_command("sso", "add-saml", "--institution", "inst-a", "--name", "Campus login", "--metadata",
                 f"{samlify_idp}/metadata", "--group-attribute", "eduPersonAffiliation",
                 "--group-map", "faculty=faculty,staff=staff,student=undergraduate")
    assert f"{live_server.url}/sso/inst-a/saml/metadata/" in capsys.readouterr().out

    page.goto("/login/?institution=inst-a")
    page.get_by_role("link", name="Campus login").click()
    page.wait_for_url(f"{samlify_idp}/sso?**")
    _sign_in_at_the_idp(page, "grace", request.node.callspec.params["samlify_idp"])
    page.wait_for_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="Welcome, Grace")).to_be_visible()
    grace = User.objects.get(username="grace@uni.example")
    assert (grace.first_name, grace.last_name, grace.email, grace.user_group.code) == ("Grace", "Hopper",
                                                                                       "grace@uni.example", "faculty")

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{live_server.url}/login/**")
    # the IdP's session is over too: a new sign-in shows its sign-in page again
    page.goto("/login/?institution=inst-a")
    page.get_by_role("link", name="Campus login").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()


@pytest.mark.parametrize("samlify_idp", ["signed"], indirect=True)
def test_lms3_single_logout_started_at_samlify_ends_the_syllabus_session(page, live_server, samlify_idp, inst_a, groups,
                                                                         settings):
    """The IdP's own signed LogoutRequest (HTTP-Redirect) ends the person's Syllabus session and
    is answered with a signed LogoutResponse that samlify verifies."""
    settings.SITE_URL = live_server.url
    call_command("sso", "add-saml", "--institution", "inst-a", "--name", "Campus login", "--metadata",
                 f"{samlify_idp}/metadata")
    page.goto("/login/?institution=inst-a")
    page.get_by_role("link", name="Campus login").click()
    _sign_in_at_the_idp(page, "sam")
    expect(page.get_by_role("heading", name="Welcome, Sam")).to_be_visible()

    page.goto(f"{samlify_idp}/logout-everywhere")
    expect(page.get_by_role("heading", name="Signed out everywhere")).to_be_visible()
    expect(page.locator("[data-status]")).to_have_attribute("data-status", "urn:oasis:names:tc:SAML:2.0:status:Success")
    page.goto("/")
    page.wait_for_url(f"{live_server.url}/login/**")
