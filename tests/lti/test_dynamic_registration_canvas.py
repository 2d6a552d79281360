"""LTI Dynamic Registration with Canvas (LMS-1): the local platform in its Canvas-shaped mode
(tests/lti/registration_platform.py, written from instructure/canvas-lms's documentation and code)
— Instructure's shared issuer accepted only with Instructure's key set and endpoints, Canvas's
members sent, its 422 errors shown, no deployment id in its answer and the first launch's deployment
adopted then locked; every other issuer on another origin still refused."""
from __future__ import annotations

import json

import pytest

from syllabus.core.models import AuditEntry
from syllabus.lti import registration
from syllabus.lti.models import Deployment, Platform, RegistrationLink
from tests.lti.conftest import LEARNER, Launcher, context
from tests.lti import test_dynamic_registration as dr
from tests.lti.test_dynamic_registration import DEFAULTS, TOOL_CONFIGURATION, _refused, confirm, new_link, opened, received

reg_process, reg_lms = dr.reg_process, dr.reg_lms   # the registration platform's fixtures, shared

CANVAS = {"canvas": True, "canvas_issuer": "https://canvas.instructure.com", "error_body": None, "jwks_uri": None}
PRIVACY = "https://canvas.instructure.com/lti/privacy_level"


@pytest.fixture
def canvas(reg_lms, settings):
    """The platform as hosted Canvas; its local host stands for Instructure's hosts (LTI_CANVAS_CLOUD_HOSTS)."""
    settings.LTI_CANVAS_CLOUD_HOSTS = ("instructure.com", "canvaslms.com", "127.0.0.1")
    answer = reg_lms.control("registration", {**DEFAULTS, **CANVAS})
    reg_lms.configuration = answer["configuration"]
    yield reg_lms
    reg_lms.control("registration", DEFAULTS)


def test_canvas_registers_with_its_shared_issuer_and_its_first_launch_sets_the_deployment(client, canvas, inst_a, course):
    token = new_link(inst_a)
    assert canvas.configuration == canvas.base + "/api/lti/security/openid-configuration"
    shown = client.get(opened(canvas, token), HTTP_REFERER="https://riverside.instructure.com/accounts/1/developer_keys")
    assert shown.status_code == 200, shown.content[:800]
    text = shown.content.decode()
    assert "https://canvas.instructure.com" in text and "canvas vCloud" in text
    assert 'data-testid="registration-canvas-cloud"' in text and 'data-testid="registration-canvas-privacy"' in text
    assert "course_navigation" in text and "assignment_selection, link_selection, editor_button" in text
    # Canvas's page frames it from the school's domain, not from the configuration's host
    ancestors = shown["Content-Security-Policy"].split("frame-ancestors")[1].split(";")[0]
    assert canvas.base in ancestors and "https://*.instructure.com" in ancestors
    assert "https://riverside.instructure.com" in ancestors
    # the configuration was read with the registration token as Bearer (Canvas asks for it)
    assert received(canvas)[0] == {"configuration_authorization": f"Bearer {canvas.token}"}

    done = confirm(client, canvas, token)
    assert done.status_code == 200, done.content[:800]
    assert b'data-testid="registration-first-deployment"' in done.content and b"By Client ID" in done.content
    body = json.loads(received(canvas)[-1]["body"])
    assert body["scope"] == "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
    tool = body[TOOL_CONFIGURATION]
    assert tool[PRIVACY] == "public" and tool["https://canvas.instructure.com/lti/tool_id"] == "syllabus"
    assert tool["messages"][0]["placements"] == ["course_navigation"]
    # ROLL-12: the earlier LMS courses of a course copied for a new term
    assert tool["custom_parameters"] == {"context_id_history": "$Context.id.history",
                                         "resource_link_id_history": "$ResourceLink.id.history"}
    assert tool["messages"][1]["placements"] == ["assignment_selection", "link_selection", "editor_button"]

    platform = Platform.objects.get()
    assert (platform.issuer, platform.client_id, platform.keyset_url) == (
        "https://canvas.instructure.com", "syllabus-tool-1", canvas.base + "/jwks")
    assert platform.adopt_first_deployment and not platform.deployments.exists()
    assert RegistrationLink.objects.get().status == "used"
    assert "Instructure's shared Canvas issuer" in AuditEntry.objects.filter(action__contains="dynamic").get().note

    # the first launch (iss https://canvas.instructure.com, signed with the platform's keys) sets the deployment
    canvas.control("tool", {"jwks": client.get("/lti/jwks/").json()})
    launch = Launcher(client, canvas)
    landed = launch({"sub": "canvas-student", "email": "c.student@uni.edu", "roles": [LEARNER],
                     "context": context(label=course.code)})
    assert landed.status_code in (200, 302), landed.content[:600]
    assert b"LMS-1" not in landed.content
    platform.refresh_from_db()
    assert not platform.adopt_first_deployment
    assert list(platform.deployments.values_list("deployment_id", flat=True)) == ["deployment-A"]
    # then locked: another deployment id is refused until an administrator adds it
    client.logout()
    other = launch({"sub": "canvas-student", "roles": [LEARNER], "context": context(label=course.code),
                    "tamper": {"deployment_id": "deployment-Z"}})
    assert b"deployment" in other.content and other.status_code >= 400
    assert Deployment.objects.filter(platform=platform).count() == 1


def test_a_first_launch_with_a_bad_signature_adopts_nothing(client, canvas, inst_a, course):
    assert confirm(client, canvas, new_link(inst_a)).status_code == 200
    canvas.control("tool", {"jwks": client.get("/lti/jwks/").json()})
    refused = Launcher(client, canvas)({"sub": "forger", "roles": [LEARNER], "context": context(label=course.code),
                                        "tamper": {"bad_signature": True}})
    assert refused.status_code >= 400
    platform = Platform.objects.get()
    assert platform.adopt_first_deployment and not platform.deployments.exists()


def test_canvas_s_422_errors_are_shown_to_the_administrator(client, canvas, inst_a):
    token = new_link(inst_a)
    canvas.control("registration", {"error_body": {"errors": {"grant_types": ["Must include client_credentials, implicit"],
                                                              "scopes": ["Invalid scopes: x"]}}})
    _refused(confirm(client, canvas, token), b"HTTP 422", b"grant_types: Must include client_credentials, implicit",
             b"scopes: Invalid scopes: x", status=502)
    canvas.control("registration", {"error_body": {"errors": [{"field": "redirect_uris", "message": "Must only contain valid URIs"},
                                                              "lti_tool_configuration is invalid"]}})
    _refused(confirm(client, canvas, token), b"redirect_uris: Must only contain valid URIs", b"lti_tool_configuration is invalid")
    canvas.control("registration", {"error_body": None})
    _refused(confirm(client, canvas, token, registration_token="expired"), b"HTTP 401", status=502)
    assert RegistrationLink.objects.get().status == "open"


def test_the_canvas_platform_s_own_validation_matches_canvas(canvas):
    from tests.lti.registration_platform import canvas_errors

    errors = canvas_errors({"grant_types": ["implicit"], "response_types": ["code"], "token_endpoint_auth_method": "x",
                            "application_type": "native", "scope": "nope"})
    assert errors["grant_types"][-1] == "Must include client_credentials, implicit"
    assert errors["response_types"] == ["Must include id_token"] and errors["scopes"] == ["Invalid scopes: nope"]
    assert errors["token_endpoint_auth_method"] == ["Must be 'private_key_jwt'"] and errors["application_type"] == ["Must be 'web'"]


def test_instructures_issuer_with_another_key_set_is_refused(client, canvas, inst_a):
    """A configuration on another origin naming https://canvas.instructure.com with a key set that is
    not Instructure's could sign launches as every hosted Canvas school: refused, nothing sent."""
    canvas.control("registration", {"jwks_uri": "https://keys.attacker.example/jwks"})
    token = new_link(inst_a)
    _refused(client.get(opened(canvas, token)), b"names Instructure&#x27;s Canvas issuer",
             b"jwks_uri https://keys.attacker.example/jwks is not on Instructure")
    _refused(confirm(client, canvas, token), b"is not on Instructure")
    assert not [r for r in received(canvas) if "body" in r]


def test_instructures_issuer_from_an_unrelated_host_is_refused(client, reg_lms, inst_a, settings):
    """Without the test's stand-in: the local host is not Instructure's, so its keys are not either
    (a self-hosted Canvas keeping the default lti_iss is told to set its own)."""
    settings.LTI_CANVAS_CLOUD_HOSTS = ("instructure.com", "canvaslms.com")
    reg_lms.control("registration", {**DEFAULTS, **CANVAS})
    try:
        token = new_link(inst_a)
        r = confirm(client, reg_lms, token)
        _refused(r, b"is not on Instructure", b"lti_iss")
    finally:
        reg_lms.control("registration", DEFAULTS)


def test_other_platforms_are_still_refused_on_another_origin(client, reg_lms, inst_a):
    token = new_link(inst_a)
    reg_lms.control("registration", {"issuer": "https://moodle.other-university.edu"})
    _refused(confirm(client, reg_lms, token), b"is not on the origin of its configuration URL")
    # Instructure's issuer from a platform that is not Canvas: refused too
    reg_lms.control("registration", {"issuer": "https://canvas.instructure.com"})
    _refused(confirm(client, reg_lms, token), b"its product is not canvas")
    assert not received(reg_lms)


def test_the_refusal_text_reads_every_shape():
    assert registration.refusal_text({"error": "invalid_client_metadata", "error_description": "bad"}) == \
        "invalid_client_metadata; bad"
    assert registration.refusal_text({"errors": {"grant_types": ["a", "b"]}}) == "grant_types: a; grant_types: b"
    assert registration.refusal_text({"errorMessage": "JWT did not include expected contents"}) == \
        "JWT did not include expected contents"
    assert registration.refusal_text(["x"]) == "" and registration.refusal_text({"errors": 3}) == ""
