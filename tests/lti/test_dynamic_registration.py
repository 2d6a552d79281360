"""LTI Dynamic Registration (LMS-1): an institution administrator's one-time link, the LMS
opening it (tests/lti/registration_platform.py, its own process, written from the
specification), the tool reading and checking the platform's configuration, registering, and
the registered platform launching; every refusal, and nothing half-written."""
from __future__ import annotations

import datetime as dt
import io
import json
import re
from urllib.parse import urlencode, urlsplit

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from syllabus.core import clock
from syllabus.lti import registration
from syllabus.lti.models import Deployment, Platform, RegistrationLink
from tests.lti.conftest import LEARNER, Launcher, context, start_platform

TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
DEFAULTS = {"client_id": "syllabus-tool-1", "deployment_id": "deployment-A", "issuer": None, "drop": [], "moodle_shape": False,
            "messages_supported": None, "scopes_supported": None, "error": None, "received": [], "canvas": False,
            "canvas_issuer": "https://canvas.instructure.com", "error_body": None, "jwks_uri": None}


def start_registration_platform(host: str = "127.0.0.1"):
    return start_platform(host, module="tests.lti.registration_platform")


@pytest.fixture(scope="module")
def reg_process():
    proc, lms = start_registration_platform()
    yield lms
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def reg_lms(reg_process):
    """The platform, reset to its defaults; ``.token`` is the registration token it issues."""
    answer = reg_process.control("registration", DEFAULTS)
    reg_process.token, reg_process.configuration = answer["token"], answer["configuration"]
    return reg_process


def new_link(institution, hours=24) -> str:
    _, token = registration.create_link(None, institution, hours)
    return token


def opened(lms, token: str, **override) -> str:
    params = {"openid_configuration": lms.configuration, "registration_token": lms.token, **override}
    return f"/lti/register/{token}/?" + urlencode({k: v for k, v in params.items() if v is not None})


def confirm(client, lms, token: str, **override):
    params = {"openid_configuration": lms.configuration, "registration_token": lms.token, **override}
    return client.post(f"/lti/register/{token}/", {k: v for k, v in params.items() if v is not None})


def received(lms) -> list[dict]:
    return lms.get("/control/registrations").json()


# --- the links -------------------------------------------------------------------------------------

def test_the_command_prints_a_one_time_link_stored_hashed_and_bounded(inst_a):
    out, err = io.StringIO(), io.StringIO()
    call_command("lti", "registration-url", "--institution", "inst-a", "--expires-hours", "48",
                 "--base-url", "https://syllabus.uni.edu", stdout=out, stderr=err)
    url = out.getvalue().strip()
    m = re.fullmatch(r"https://syllabus\.uni\.edu/lti/register/([A-Za-z0-9_-]{40,})/", url)
    assert m, url
    link = RegistrationLink.objects.get()
    assert link.token_hash != m.group(1) and m.group(1) not in link.token_hash   # only its hash is kept
    assert link.status == "open" and abs(link.expires_at - clock.now() - dt.timedelta(hours=48)) < dt.timedelta(minutes=1)
    assert "LMS-1" in err.getvalue()
    for hours in ("0", "169"):
        with pytest.raises(CommandError, match="LMS-1: a registration link lives 1 to 168 hours"):
            call_command("lti", "registration-url", "--institution", "inst-a", "--expires-hours", hours, stdout=io.StringIO())
    with pytest.raises(CommandError, match="no institution"):
        call_command("lti", "registration-url", "--institution", "nowhere", stdout=io.StringIO())
    assert RegistrationLink.objects.count() == 1


def test_the_administrator_creates_lists_and_revokes_links_on_the_page(client, admin_user, inst_a):
    client.force_login(admin_user)
    page = client.get("/lti/registrations/")
    assert page.status_code == 200 and b"No registration link yet" in page.content
    made = client.post("/lti/registrations/", {"expires_hours": "12"})
    assert made.status_code == 200
    url = re.search(rb'data-testid="registration-url">([^<]+)<', made.content).group(1).decode()
    assert url.startswith("http://testserver/lti/register/")
    link = RegistrationLink.objects.get()
    assert link.institution == inst_a and link.created_by == admin_user
    assert abs(link.expires_at - clock.now() - dt.timedelta(hours=12)) < dt.timedelta(minutes=1)
    assert url.encode() not in client.get("/lti/registrations/").content   # shown once
    assert client.post("/lti/registrations/", {"expires_hours": "169"}).status_code == 400   # at most 7 days
    assert client.post("/lti/registrations/", {"expires_hours": "0"}).status_code == 400
    assert RegistrationLink.objects.count() == 1
    assert client.post(f"/lti/registrations/{link.pk}/revoke/").status_code == 302
    link.refresh_from_db()
    assert link.status == "revoked"
    assert b"revoked" in client.get("/lti/registrations/").content
    again = client.post(f"/lti/registrations/{link.pk}/revoke/")
    assert again.status_code == 409 and b"LMS-1" in again.content


def test_only_the_institutions_administrators_reach_the_links(client, make_user, inst_a, inst_b, librarian, instructor):
    from syllabus.org.roles import Role

    link, _ = registration.create_link(None, inst_a)
    other_admin = make_user("admin-b", institution=inst_b, group="staff", roles=[Role.GENERAL_SYSTEM_ADMINISTRATOR],
                            is_staff=True)
    for person in (librarian, instructor):
        client.force_login(person)
        assert client.get("/lti/registrations/").status_code == 403
        assert client.post("/lti/registrations/", {"expires_hours": "1"}).status_code == 403
        assert client.post(f"/lti/registrations/{link.pk}/revoke/").status_code == 403
    client.force_login(other_admin)
    assert b"No registration link yet" in client.get("/lti/registrations/").content   # theirs only
    assert client.post(f"/lti/registrations/{link.pk}/revoke/").status_code == 404   # another institution's link
    link.refresh_from_db()
    assert link.status == "open" and RegistrationLink.objects.count() == 1


# --- the registration, end to end ------------------------------------------------------------------

def test_dynamic_registration_registers_the_platform_and_it_launches(client, reg_lms, inst_a, course):
    token = new_link(inst_a)
    shown = client.get(opened(reg_lms, token))   # no session: the link authorises it
    assert shown.status_code == 200, shown.content[:600]
    text = shown.content.decode()
    assert reg_lms.base in text and "ims-test-lms 4.5" in text and "Institution A" in text
    assert "ContentArea, link_selection" in text
    assert f"frame-ancestors 'self' {reg_lms.base}" in shown["Content-Security-Policy"]   # the LMS frames it
    assert Platform.objects.count() == 0 and not received(reg_lms)   # nothing sent, nothing written yet

    done = confirm(client, reg_lms, token)
    assert done.status_code == 200, done.content[:800]
    assert b"org.imsglobal.lti.close" in done.content
    nonce = re.search(r"'nonce-([^']+)'", done["Content-Security-Policy"]).group(1)
    assert f'<script nonce="{nonce}">'.encode() in done.content   # CSP-compliant

    [request] = received(reg_lms)
    assert request["authorization"] == f"Bearer {reg_lms.token}" and request["content_type"] == "application/json"
    body = json.loads(request["body"])
    assert body["application_type"] == "web" and body["response_types"] == ["id_token"]
    assert body["grant_types"] == ["implicit", "client_credentials"]
    assert body["initiate_login_uri"] == "http://testserver/lti/login/"
    assert body["redirect_uris"] == ["http://testserver/lti/launch/"]
    assert body["jwks_uri"] == "http://testserver/lti/jwks/" and body["token_endpoint_auth_method"] == "private_key_jwt"
    assert body["scope"] == NRPS_SCOPE and body["client_name"] == "Syllabus" and body["logo_uri"].startswith("http://testserver/")
    tool = body[TOOL_CONFIGURATION]
    assert tool["domain"] == "testserver" and tool["target_link_uri"] == "http://testserver/lti/launch/"
    assert {"iss", "sub", "email"} <= set(tool["claims"])
    assert [m["type"] for m in tool["messages"]] == ["LtiResourceLinkRequest", "LtiDeepLinkingRequest"]
    # DR §3.5.2 / OIDC DCR §2.1: the human-readable members in every language of the site
    assert body["client_name#fr"] == "Syllabus"
    assert (tool["description"], tool["description#fr"]) == ("Course reading lists", "Listes de lecture des cours")
    assert [(m["label"], m["label#fr"]) for m in tool["messages"]] == [("Syllabus", "Syllabus"),
                                                                      ("Add from Syllabus", "Ajouter depuis Syllabus")]
    assert tool["messages"][1]["supported_types"] == ["ltiResourceLink"]
    assert tool["messages"][1]["placements"] == ["ContentArea", "link_selection"]

    platform = Platform.objects.get()
    assert (platform.institution, platform.issuer, platform.client_id) == (inst_a, reg_lms.base, "syllabus-tool-1")
    assert (platform.auth_login_url, platform.auth_token_url, platform.keyset_url) == (
        reg_lms.base + "/auth", reg_lms.base + "/token", reg_lms.base + "/jwks")
    assert list(platform.deployments.values_list("deployment_id", flat=True)) == ["deployment-A"]
    assert RegistrationLink.objects.get().status == "used" and RegistrationLink.objects.get().platform == platform

    # the registered platform launches (the local LMS of tests/lti/platform.py, same process)
    reg_lms.control("tool", {"jwks": client.get("/lti/jwks/").json()})
    launch = Launcher(client, reg_lms)
    landed = launch({"sub": "dr-student", "email": "dr.student@uni.edu", "roles": [LEARNER],
                     "context": context(label=course.code)})
    assert landed.status_code in (200, 302), landed.content[:600]
    assert b"LMS-1" not in landed.content

    # the link is spent: opening it again is refused, nothing more is sent
    used = client.get(opened(reg_lms, token))
    assert used.status_code == 410 and b"LMS-1" in used.content and b"already used" in used.content
    assert confirm(client, reg_lms, token).status_code == 410 and len(received(reg_lms)) == 1


def test_a_platform_without_deep_linking_or_roster_is_asked_for_neither(client, reg_lms, inst_a):
    reg_lms.control("registration", {"messages_supported": [{"type": "LtiResourceLinkRequest"}],
                                     "scopes_supported": ["openid"]})
    assert confirm(client, reg_lms, new_link(inst_a)).status_code == 200
    body = json.loads(received(reg_lms)[0]["body"])
    assert "scope" not in body
    assert [m["type"] for m in body[TOOL_CONFIGURATION]["messages"]] == ["LtiResourceLinkRequest"]


def test_the_same_platform_again_for_the_same_institution_adds_the_deployment(client, reg_lms, inst_a):
    assert confirm(client, reg_lms, new_link(inst_a)).status_code == 200
    reg_lms.control("registration", {"deployment_id": "deployment-B"})
    shown = client.get(opened(reg_lms, new_link(inst_a)))
    assert b'data-testid="registration-existing"' in shown.content
    token = new_link(inst_a)
    assert confirm(client, reg_lms, token).status_code == 200
    assert Platform.objects.count() == 1
    assert sorted(Deployment.objects.values_list("deployment_id", flat=True)) == ["deployment-A", "deployment-B"]


def test_the_same_issuer_and_client_of_another_institution_is_refused(client, reg_lms, inst_a, inst_b):
    assert confirm(client, reg_lms, new_link(inst_a)).status_code == 200
    token = new_link(inst_b)
    r = confirm(client, reg_lms, token)
    assert r.status_code == 409 and b"LMS-1" in r.content and b"another institution" in r.content
    assert Platform.objects.count() == 1 and Platform.objects.get().institution == inst_a
    assert RegistrationLink.objects.get(institution=inst_b).status == "open"   # consumed only on success


# --- refusals: never a 500, nothing half-written -----------------------------------------------------

def _refused(response, *needles: bytes, status=None):
    assert response.status_code != 500
    if status is not None:
        assert response.status_code == status, response.content[:600]
    assert b"LMS-1" in response.content, response.content[:600]
    for needle in needles:
        assert needle in response.content, response.content[:800]
    assert Platform.objects.count() == 0 and Deployment.objects.count() == 0


def test_a_link_expired_revoked_or_unknown_is_refused(client, reg_lms, inst_a, clock):
    link, token = registration.create_link(None, inst_a, 1)
    clock.set_now(clock.now() + dt.timedelta(hours=2))
    _refused(client.get(opened(reg_lms, token)), b"has expired", status=410)
    _refused(confirm(client, reg_lms, token), b"has expired", status=410)
    link2, token2 = registration.create_link(None, inst_a, 1)
    registration.revoke(None, link2)
    _refused(confirm(client, reg_lms, token2), b"was revoked", status=410)
    _refused(client.get(opened(reg_lms, "x" * 43)), b"not one Syllabus issued", status=404)
    assert not received(reg_lms)


def test_an_unreachable_or_invalid_configuration_is_refused(client, reg_lms, inst_a):
    token = new_link(inst_a)
    _refused(client.get(opened(reg_lms, token, openid_configuration=None)), b"openid_configuration")
    _refused(client.get(opened(reg_lms, token, openid_configuration="http://127.0.0.1:9/nothing")), b"could not be read",
             status=502)
    _refused(client.get(opened(reg_lms, token, openid_configuration=reg_lms.base + "/jwks")), b"lacks issuer")
    _refused(client.get(opened(reg_lms, token, openid_configuration="ftp://lms.example/conf")), b"not an https URL")
    _refused(client.get(opened(reg_lms, token, openid_configuration="http://lms.example.org/.well-known/openid-configuration")),
             b"must use https")
    reg_lms.control("registration", {"drop": ["registration_endpoint", "https://purl.imsglobal.org/spec/lti-platform-configuration"]})
    _refused(client.get(opened(reg_lms, token)), b"lacks registration_endpoint, https://purl.imsglobal.org/spec/lti-platform-configuration")
    reg_lms.control("registration", {"drop": [], "messages_supported": [{"type": "LtiDeepLinkingRequest"}]})
    _refused(confirm(client, reg_lms, token), b"does not support LtiResourceLinkRequest")
    assert RegistrationLink.objects.get().status == "open" and not received(reg_lms)


def test_an_issuer_on_another_origin_is_refused(client, reg_lms, inst_a):
    reg_lms.control("registration", {"issuer": "https://lms.another-university.edu"})
    token = new_link(inst_a)
    _refused(client.get(opened(reg_lms, token)), b"is not on the origin of its configuration URL")
    _refused(confirm(client, reg_lms, token), b"is not on the origin of its configuration URL")
    assert not received(reg_lms) and RegistrationLink.objects.get().status == "open"


def test_the_platforms_error_is_shown_and_nothing_is_written(client, reg_lms, inst_a):
    token = new_link(inst_a)
    reg_lms.control("registration", {"error": {"status": 400, "error": "invalid_client_metadata",
                                               "error_description": "tool domain not allowed here"}})
    _refused(confirm(client, reg_lms, token), b"invalid_client_metadata", b"tool domain not allowed here", status=502)
    reg_lms.control("registration", {"error": None})
    _refused(confirm(client, reg_lms, token, registration_token="forged"), b"HTTP 401", b"invalid_token", status=502)
    assert RegistrationLink.objects.get().status == "open"
    assert confirm(client, reg_lms, token).status_code == 200   # the link still works once it succeeds


def test_an_answer_without_client_id_is_refused(client, reg_lms, inst_a):
    reg_lms.control("registration", {"client_id": None})
    _refused(confirm(client, reg_lms, new_link(inst_a)), b"no client_id", status=502)
    assert RegistrationLink.objects.get().status == "open"


def test_an_overlong_parameter_is_refused_not_fetched(client, reg_lms, inst_a):
    r = client.get(opened(reg_lms, new_link(inst_a), registration_token="x" * 9000))
    assert r.status_code in (400, 414) and b"500" not in r.content[:20]
    assert not received(reg_lms)


def test_the_request_follows_the_platform_spec_member_by_member(reg_lms):
    """The local platform's own checks (it refuses what the specification forbids)."""
    from tests.lti.registration_platform import configuration, problems_of

    config = configuration()
    assert problems_of({}, config)[:3] == ["application_type must be web", "response_types must contain id_token",
                                           "grant_types must contain implicit and client_credentials"]
    base = registration.PlatformConfig(url="", issuer="", authorization_endpoint="", token_endpoint="", jwks_uri="",
                                       registration_endpoint="", product="", version="", scopes=[NRPS_SCOPE],
                                       claims=["email"], messages={"LtiResourceLinkRequest": []})
    assert problems_of(registration.client_registration(base, "https://syllabus.uni.edu/"), config) == []
    assert urlsplit(registration.link_url("https://s.uni.edu/", "abc")).path == "/lti/register/abc/"


def test_an_answer_without_deployment_id_registers_the_platform_and_says_to_add_it(client, reg_lms, inst_a):
    reg_lms.control("registration", {"deployment_id": None})
    done = confirm(client, reg_lms, new_link(inst_a))
    assert done.status_code == 200 and b"gave no deployment id" in done.content
    platform = Platform.objects.get()
    assert platform.client_id == "syllabus-tool-1" and not platform.deployments.exists()
    assert platform.adopt_first_deployment   # the first verified launch's deployment is taken, then locked


def test_a_moodle_shaped_configuration_registers(client, reg_lms, inst_a):
    """Moodle 4.x lists its message types as bare names with its placements beside them, and
    answers a numeric deployment id as a string."""
    reg_lms.control("registration", {"moodle_shape": True, "deployment_id": "7"})
    token = new_link(inst_a)
    assert b"AddContentMenu" in client.get(opened(reg_lms, token)).content
    assert confirm(client, reg_lms, token).status_code == 200
    messages = json.loads(received(reg_lms)[0]["body"])[TOOL_CONFIGURATION]["messages"]
    assert messages[1] == {"type": "LtiDeepLinkingRequest", "target_link_uri": "http://testserver/lti/launch/",
                           "label": "Add from Syllabus", "label#fr": "Ajouter depuis Syllabus",
                           "supported_types": ["ltiResourceLink"], "placements": ["AddContentMenu"]}
    assert list(Platform.objects.get().deployments.values_list("deployment_id", flat=True)) == ["7"]


def test_the_admins_platform_page_points_to_the_registration_links(client, admin_user):
    client.force_login(admin_user)
    page = client.get("/admin/lti/platform/add/")
    assert page.status_code == 200 and b'href="/lti/registrations/"' in page.content
