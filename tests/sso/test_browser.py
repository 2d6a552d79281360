"""LMS-3, acceptance 4 of issue 11: in Chromium, the sign-in page of an institution with both
kinds of provider shows both buttons (plain links, no script needed) beside the local form, and
a full round trip through the OpenID provider process lands on the home page."""
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SAMLTEST_METADATA = Path(__file__).parent / "data" / "samltest-idp-metadata.xml"


def test_both_buttons_and_an_oidc_round_trip_lands_on_home(page, live_server, op, inst_a, groups):
    from syllabus.org.models import User
    from syllabus.sso import services

    services.add_oidc_provider(inst_a, name="University account", slug="uni", issuer=op.url, client_id="syllabus",
                               client_secret="s3cret", username_claim="preferred_username", group_claim="groups",
                               group_map="faculty=faculty")
    services.add_saml_provider(inst_a, name="Campus login (SAML)", metadata_xml=SAMLTEST_METADATA.read_text())
    op.control(client={"redirect_uris": [f"{live_server.url}/sso/inst-a/uni/callback/"]})

    page.goto("/login/?institution=inst-a")
    oidc_button = page.get_by_role("link", name="University account")
    expect(oidc_button).to_be_visible()
    expect(page.get_by_role("link", name="Campus login (SAML)")).to_be_visible()
    expect(page.get_by_label("Username")).to_be_visible()  # local sign-in stays

    oidc_button.click()
    page.wait_for_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="Welcome, Ada")).to_be_visible()
    assert User.objects.get(username="ada").user_group.code == "faculty"


def test_the_picker_leads_to_the_institutions_buttons_without_script(chromium, live_server, inst_a, groups):
    from syllabus.sso.models import IdentityProvider, Kind

    IdentityProvider.objects.create(institution=inst_a, slug="okta", name="Staff (Okta)", kind=Kind.OIDC,
                                    issuer="https://okta.example", client_id="c")
    context = chromium.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    page.goto("/login/")
    page.get_by_test_id("sso-signin").get_by_role("link", name="Institution A").click()
    expect(page.get_by_role("link", name="Staff (Okta)")).to_have_attribute("href", "/sso/inst-a/okta/login/")
    context.close()
