"""LMS-3 in Chromium against samlify (npm, scripts/interop/saml-idp.mjs), configured with the
metadata a federation IdP publishes (``scope=`` → ``<shibmd:Scope>``, ``name=`` → ``<mdui:UIInfo>``):

- the sign-in page of an institution with many IdPs is a searchable list — filtered by the server
  without script, as one types with it — that axe finds no serious violation on; choosing the
  samlify IdP by its mdui DisplayName signs Grace in, and the list shows it first next time;
- the same IdP asserting a principal name outside its declared scope signs nobody in."""
from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command
from playwright.sync_api import expect

from tests.independent import free_port, node_script, stop

from .test_discovery import NAMES, entity_id, federation
from .test_interop_samlify_idp import _sign_in_at_the_idp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture
def samlify_idp(live_server):
    port = free_port()
    proc = node_script("saml-idp.mjs", f"{live_server.url}/sso/inst-a/saml/metadata/", "signed", "scope=uni.example",
                       "name=Grace Hopper Institute", ready_path="/metadata", port=port)
    yield f"http://127.0.0.1:{port}"
    stop(proc)


@pytest.fixture
def federation_idps(inst_a, groups, tmp_path, keys, samlify_idp, settings, live_server):
    """samlify registered as an administrator would, and six IdPs of a signed aggregate beside it."""
    from syllabus.sso import saml, services

    settings.SITE_URL = live_server.url
    call_command("sso", "add-saml", "--institution", "inst-a", "--name", "Campus login", "--slug", "campus",
                 "--metadata", f"{samlify_idp}/metadata")
    path = federation(tmp_path, keys, NAMES[1:])
    for key, en, _fr, _logo in NAMES[1:]:
        xml, _url = saml.read_metadata(str(path), entity_id=entity_id(key))
        services.add_saml_provider(inst_a, name=f"{en} login", slug=key, metadata_xml=xml)


def _no_serious_violation(page) -> None:
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]})
    blocking = [v for v in results.response["violations"] if v["impact"] in {"serious", "critical"}]
    assert not blocking, [(v["id"], v["help"], [n["html"] for n in v["nodes"]][:3]) for v in blocking]


def test_lms3_the_discovery_list_works_without_script(chromium, live_server, federation_idps):
    context = chromium.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    page.goto("/login/?institution=inst-a")
    listing = page.get_by_test_id("sso-discovery")
    expect(listing.get_by_role("listitem")).to_have_count(7)
    listing.get_by_label("Search for your organisation").fill("hopper")
    listing.get_by_role("button", name="Search").click()
    expect(listing.get_by_role("listitem")).to_have_count(1)
    expect(page.get_by_test_id("sso-idp-count")).to_have_text("1 organisation found.")
    expect(listing.get_by_role("link", name="Grace Hopper Institute")).to_have_attribute("href", "/sso/inst-a/campus/login/")
    context.close()


def test_lms3_type_ahead_then_sign_in_through_samlify_and_it_is_remembered(page, live_server, samlify_idp, federation_idps):
    from syllabus.org.models import User

    page.goto("/login/?institution=inst-a")
    listing = page.get_by_test_id("sso-discovery")
    _no_serious_violation(page)
    search = listing.get_by_role("searchbox", name="Search for your organisation")
    search.press_sequentially("grace hop")
    expect(listing.get_by_role("listitem").filter(visible=True)).to_have_count(1)   # filtered as one types, no reload
    expect(page.get_by_test_id("sso-idp-count")).to_have_text("Organisations found: 1")
    _no_serious_violation(page)
    listing.get_by_role("link", name="Grace Hopper Institute").click()
    page.wait_for_url(f"{samlify_idp}/sso?**")
    _sign_in_at_the_idp(page, "grace")
    page.wait_for_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="Welcome, Grace")).to_be_visible()
    assert User.objects.filter(username="grace@uni.example").exists()

    page.get_by_role("button", name="Sign out").click()
    page.goto("/login/?institution=inst-a")
    expect(page.get_by_test_id("sso-last").get_by_role("link", name="Grace Hopper Institute")).to_be_visible()


def test_lms3_samlify_asserting_a_principal_outside_its_scope_signs_nobody_in(page, live_server, samlify_idp, inst_a,
                                                                             groups, settings):
    from syllabus.core.models import AuditEntry
    from syllabus.org.models import User

    settings.SITE_URL = live_server.url
    out = __import__("io").StringIO()
    call_command("sso", "add-saml", "--institution", "inst-a", "--name", "Campus login", "--metadata",
                 f"{samlify_idp}/metadata", stdout=out)
    assert "scopes it may assert: uni.example" in out.getvalue()
    page.goto("/login/?institution=inst-a")
    page.get_by_role("link", name="Campus login").click()
    _sign_in_at_the_idp(page, "mallory")
    refusal = page.get_by_test_id("sso-refusal")
    expect(refusal).to_contain_text("eduPersonPrincipalName has the scope 'other-university.example', which the identity "
                                    "provider's metadata does not declare (it declares 'uni.example')")
    assert not User.objects.filter(username__contains="@").exists() and AuditEntry.objects.filter(
        action="sign-in refused").count() == 1
