"""LMS-1: the cases of the 1EdTech LTI Advantage *tool* certification (LTI 1.3 Core: "Known Bad
Payloads", "Valid Teacher Launches", "Valid Student Launches") and the checks of the IMS Security
Framework 1.0 §5.1.3, each driven through the test LMS (tests/lti/platform.py, a separate
process) and the tool's real login and launch endpoints.

A valid launch signs its person in with the right course role and lands on a page (never a
500); an invalid one answers a 4xx page naming LMS-1 and the check, signs nobody in and writes
nothing — no person, identity, enrolment, course link, deployment or audit entry, and the
login stays unused.  The matrix is documented in docs/lti.md ("Certification cases")."""
from __future__ import annotations

import pytest

from syllabus.core.models import AuditEntry
from syllabus.courses.models import Course, Enrollment
from syllabus.lists import services as lists
from syllabus.lti.models import ContextLink, Deployment, Identity, LoginState
from syllabus.lti.services import CLAIM, DL_CLAIM
from syllabus.org.models import User
from tests.lti.conftest import ADMIN, INSTRUCTOR, LEARNER, TA, context

LIS = "http://purl.imsglobal.org/vocab/lis/v2/"
CONTENT_DEVELOPER = LIS + "membership#ContentDeveloper"
MENTOR = LIS + "membership#Mentor"
CONTEXT_ADMIN = LIS + "membership#Administrator"
UNKNOWN_ROLE = "http://example.edu/roles#Janitor"
RL = CLAIM + "resource_link"
DLS = DL_CLAIM + "deep_linking_settings"


def snapshot():
    return (User.objects.count(), Identity.objects.count(), Enrollment.objects.count(), ContextLink.objects.count(),
            Deployment.objects.count(), AuditEntry.objects.count(), Course.objects.count(),
            LoginState.objects.filter(used_at__isnull=False).count())


@pytest.fixture
def published(course, instructor):
    lst = lists.create_list(instructor, title="History readings", courses=[course])
    week = lists.add_section(instructor, lst, title="Week 1")
    lists.add_citation(instructor, lst, week, "book", {"title": "The Age of Revolution"})
    lists.publish_list(instructor, lst)
    return lst


# (id, tamper or spec change, words the refusal page says) — the certification's "Known Bad
# Payloads" and the Security Framework's checks; every one a 400 naming LMS-1
BAD = [
    ("no-kid", {"no_kid": True}, "names no key (kid)"),
    ("kid-not-in-key-set", {"kid": "platform-key-rotated-away"}, "no key with kid"),
    ("alg-HS256", {"alg": "HS256"}, "signed with HS256"),
    ("alg-none", {"alg": "none"}, "signed with none"),
    ("malformed-two-parts", {"raw": "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0"}, "not a JWT"),
    ("malformed-not-json", {"raw": "bm90.anNvbg.c2ln"}, "not a JWT"),
    ("bad-signature", {"bad_signature": True}, "bad signature"),
    ("expired", {"expired": True}, "the id_token has expired"),
    ("timestamps-incorrect", {"set": {"iat": 1_500_000_000, "exp": 1_500_000_300}}, "the id_token has expired"),
    ("iat-in-the-future", {"iat": 3_600}, "issued in the future (iat)"),
    ("iat-not-a-number", {"set": {"iat": "yesterday"}}, "iat"),
    ("no-nonce", {"drop": ["nonce"]}, "lacks the required claim(s) nonce"),
    ("foreign-nonce", {"nonce": "a-nonce-of-another-login"}, "nonce is not the one issued for this login"),
    ("wrong-aud", {"aud": "someone-else"}, "wrong audience"),
    ("several-aud-no-azp", {"set": {"aud": ["syllabus-tool-1", "another-tool"]}, "drop": ["azp"]}, "authorized party (azp)"),
    ("several-aud-wrong-azp", {"set": {"aud": ["syllabus-tool-1", "another-tool"], "azp": "another-tool"}},
     "authorized party (azp)"),
    ("one-aud-wrong-azp", {"set": {"azp": "another-tool"}}, "authorized party (azp)"),
    ("no-version", {"drop": [CLAIM + "version"]}, "lacks the required claim(s) https://purl.imsglobal.org/spec/lti/claim/version"),
    ("wrong-version", {"set": {CLAIM + "version": "1.1"}}, "LTI version &#x27;1.1&#x27;, expected 1.3.0"),
    ("no-message-type", {"drop": [CLAIM + "message_type"]}, "lacks the required claim(s) https://purl.imsglobal.org/spec/lti/claim/message_type"),
    ("unknown-message-type", {"set": {CLAIM + "message_type": "LtiMadeUpRequest"}}, "message type &#x27;LtiMadeUpRequest&#x27;"),
    ("no-deployment-id", {"drop": [CLAIM + "deployment_id"]}, "lacks the required claim(s) https://purl.imsglobal.org/spec/lti/claim/deployment_id"),
    ("unknown-deployment", {"deployment_id": "deployment-Z"}, "unknown deployment &#x27;deployment-Z&#x27;"),
    ("no-resource-link", {"drop": [RL]}, "resource_link (id)"),
    ("no-resource-link-id", {"set_in": {RL + "/id": None}}, "resource_link (id)"),
    ("resource-link-not-an-object", {"set": {RL: "rl-1"}}, "resource_link must be an object"),
    ("no-sub-anonymous", {"drop": ["sub"]}, "anonymous launch"),
    ("empty-sub", {"set": {"sub": ""}}, "anonymous launch"),
    ("no-roles-claim", {"drop": [CLAIM + "roles"]}, "lacks the required claim(s) https://purl.imsglobal.org/spec/lti/claim/roles"),
    ("roles-not-a-list", {"set": {CLAIM + "roles": LEARNER}}, "roles must be a list"),
    ("target-link-uri-mismatch", {"target_link_uri": "http://testserver/lists/"}, "target_link_uri differs"),
    ("no-target-link-uri", {"drop": [CLAIM + "target_link_uri"]}, "target_link_uri"),
    ("wrong-iss", {"set": {"iss": "https://lms.elsewhere.example"}}, "is not the platform that started the login"),
    ("context-not-an-object", {"set": {CLAIM + "context": "ctx-hist"}}, "context must be an object"),
]


@pytest.mark.parametrize("tamper,words", [case[1:] for case in BAD], ids=[case[0] for case in BAD])
def test_a_known_bad_payload_is_refused_naming_the_check_and_writes_nothing(client, launch, course, published, tamper, words):
    before = snapshot()
    r = launch({"sub": "lms-cert-1", "email": "cert@uni.edu", "roles": [INSTRUCTOR], "context": context(), "tamper": tamper})
    text = r.content.decode()
    assert r.status_code == 400, (r.status_code, text[:600])
    assert 'data-testid="lti-refused"' in text and "LMS-1" in text and words in text, text[-3000:]
    assert "_auth_user_id" not in client.session
    assert snapshot() == before


def test_a_deep_linking_request_without_its_settings_is_refused_and_writes_nothing(client, launch, course, instructor):
    before = snapshot()
    r = launch({"sub": "lms-cert-dl", "sourcedid": "instructor", "roles": [INSTRUCTOR], "context": context(),
                "message_type": "LtiDeepLinkingRequest", "tamper": {"drop": [DLS]}})
    assert r.status_code == 400 and b"LMS-1" in r.content and b"deep_linking_settings (deep_link_return_url)" in r.content
    assert "_auth_user_id" not in client.session and snapshot() == before


@pytest.mark.parametrize("accept_types, words", [
    (["link", "file", "html"], "this place of the LMS accepts link, file, html, not LTI links (ltiResourceLink)"),
    ([], "this place of the LMS accepts nothing, not LTI links"),
    ("ltiResourceLink", "accept_types must be a list"),
])
def test_dl_a_placement_that_does_not_accept_lti_links_is_refused_before_the_picker(client, launch, course, instructor,
                                                                                    accept_types, words):
    """Deep Linking 2.0 §4.4.1: the tool returns only the content item types the platform accepts
    there; Syllabus returns ``ltiResourceLink`` items, so a placement accepting other types is
    refused at the launch, saying what it accepts, and nothing is written."""
    before = snapshot()
    r = launch({"sub": "lms-cert-dl", "sourcedid": "instructor", "roles": [INSTRUCTOR], "context": context(),
                "message_type": "LtiDeepLinkingRequest", "tamper": {"set_in": {f"{DLS}/accept_types": accept_types}}})
    text = r.content.decode()
    assert r.status_code == 400 and "LMS-1" in text and words in text, text[-2000:]
    assert "_auth_user_id" not in client.session and snapshot() == before


def test_dl_a_placement_accepting_lti_links_among_others_opens_the_picker(client, launch, course, instructor, reading_list):
    r = launch({"sub": "lms-cert-dl", "sourcedid": "instructor", "roles": [INSTRUCTOR], "context": context(), "nrps": False,
                "message_type": "LtiDeepLinkingRequest",
                "tamper": {"set_in": {f"{DLS}/accept_types": ["link", "ltiResourceLink", "file"]}}})
    assert r.status_code == 302 and r["Location"] == "/lti/deep-link/"


def _session_user(client):
    return User.objects.get(pk=client.session["_auth_user_id"])


# (id, roles, course role it gives: "instructor", "student" or None)
VALID = [
    ("instructor", [INSTRUCTOR], "instructor"),
    ("instructor-short-role", ["Instructor"], "instructor"),
    ("instructor-multiple-roles", [INSTRUCTOR, LIS + "institution/person#Faculty", LIS + "system/person#User"], "instructor"),
    ("instructor-and-unknown-role", [INSTRUCTOR, UNKNOWN_ROLE], "instructor"),
    ("teaching-assistant", [LIS + "membership#Instructor", TA], "instructor"),
    ("teaching-assistant-sub-role-only", [TA], "instructor"),
    ("learner", [LEARNER], "student"),
    ("learner-short-role", ["Learner"], "student"),
    ("learner-multiple-roles", [LEARNER, LIS + "institution/person#Student"], "student"),
    ("learner-and-unknown-role", [LEARNER, UNKNOWN_ROLE], "student"),
    ("learner-lti-1.1-urn", ["urn:lti:role:ims/lis/Learner"], "student"),
    # LTI Core §A.2.3.1: Instructor is a sub-role of Learner too — the student view, no list editing
    ("learner-sub-role-instructor", [LIS + "membership/Learner#Instructor"], "student"),
    ("learner-sub-role-instructor-lti-1.1-urn", ["urn:lti:role:ims/lis/Learner/Instructor"], "student"),
    ("teaching-assistant-of-some-sections", [LIS + "membership/Instructor#TeachingAssistantSection"], "instructor"),
    ("canvas-observer", [MENTOR, LIS + "institution/person#Student", LIS + "system/person#User"], None),
    ("no-role", [], None),
    ("unknown-role-only", [UNKNOWN_ROLE], None),
    ("institution-administrator", [ADMIN], None),
    ("context-administrator", [CONTEXT_ADMIN], None),
    ("content-developer", [CONTENT_DEVELOPER], None),
    ("mentor", [MENTOR], None),
]


@pytest.mark.parametrize("roles,role", [case[1:] for case in VALID], ids=[case[0] for case in VALID])
def test_a_valid_launch_signs_in_with_the_right_role_and_lands_on_a_page(client, launch, course, published, roles, role):
    r = launch({"sub": "lms-cert-ok", "email": "cert.ok@uni.edu", "given_name": "Cert", "family_name": "Case",
                "roles": roles, "context": context(), "nrps": False})
    assert r.status_code == 302, r.content[:600]
    user = _session_user(client)
    assert Identity.objects.get(sub="lms-cert-ok").user == user
    assert course.instructors.filter(pk=user.pk).exists() == (role == "instructor")
    assert Enrollment.objects.filter(course=course, user=user).exists() == (role == "student")
    assert not user.is_staff and not user.role_assignments.exists()
    if role == "student":  # a new person, not an owner of the course's one published list: its reader's view (LST-8)
        assert r["Location"] == f"/lists/{published.pk}/"
    elif role == "instructor":  # an instructor who may only read it: the course page says so, and whom to ask (LST-8)
        assert r["Location"] == f"/lti/courses/{course.pk}/"
    page = client.get(r["Location"])
    assert page.status_code == 200, (r["Location"], page.status_code)
    assert ContextLink.objects.filter(context_id="ctx-hist", course=course).exists()


@pytest.mark.parametrize("pii", [
    {"email": "only.email@uni.edu"},
    {"given_name": "Nina", "family_name": "Names", "name": "Nina Names"},
    {},
], ids=["email-only", "names-only", "no-pii"])
@pytest.mark.parametrize("roles,role", [([INSTRUCTOR], "instructor"), ([LEARNER], "student")], ids=["instructor", "learner"])
def test_launches_with_little_or_no_personal_data_are_valid(client, launch, course, published, pii, roles, role):
    """The certification's "Email Only", "Names Only" and "No PII" launches."""
    r = launch({"sub": "lms-cert-pii", "roles": roles, "context": context(), "nrps": False, **pii})
    assert r.status_code == 302, r.content[:600]
    user = _session_user(client)
    assert (user.email, user.first_name) == (pii.get("email", ""), pii.get("given_name", ""))
    assert course.instructors.filter(pk=user.pk).exists() == (role == "instructor")
    assert client.get(r["Location"]).status_code == 200


@pytest.mark.parametrize("roles", [[INSTRUCTOR], [LEARNER]], ids=["instructor", "learner"])
def test_a_launch_without_a_course_context_signs_in_and_says_so(client, launch, course, published, roles):
    """The certification's "… with Email No Context": a resource link outside any course
    (LTI Core 5.4.1: the context claim is optional) — the person is signed in, nobody is
    enrolled anywhere, and the page says the link belongs to no course (LMS-1)."""
    r = launch({"sub": "lms-cert-noctx", "email": "no.context@uni.edu", "roles": roles, "context": None})
    assert r.status_code == 200, r.content[:600]
    assert b'data-testid="lti-no-context"' in r.content and b"LMS-1" in r.content
    user = _session_user(client)
    assert not Enrollment.objects.filter(user=user).exists() and not user.courses_taught.exists()
    assert not ContextLink.objects.exists()


def test_a_deep_linking_request_without_a_course_context_is_refused(client, launch, course, instructor):
    before = snapshot()
    r = launch({"sub": "lms-cert-dl2", "sourcedid": "instructor", "roles": [INSTRUCTOR], "context": None,
                "message_type": "LtiDeepLinkingRequest"})
    assert r.status_code == 400 and b"LMS-1" in r.content and b"context (id)" in r.content
    assert snapshot() == before


def test_several_audiences_with_this_tool_as_authorized_party_is_valid(client, launch, course, published):
    """Security Framework §5.1.3 step 3–5: ``aud`` may list several audiences when ``azp`` names
    this tool — wherever the tool's client id stands in the list (pylti1p3 alone takes the first)."""
    r = launch({"sub": "lms-cert-azp", "roles": [LEARNER], "context": context(), "nrps": False,
                "tamper": {"set": {"aud": ["another-tool", "syllabus-tool-1"], "azp": "syllabus-tool-1"}}})
    assert r.status_code == 302 and r["Location"] == f"/lists/{published.pk}/", r.content[:600]


def test_a_reused_launch_is_refused_and_writes_nothing(client, launch, course, published):
    first = launch({"sub": "lms-cert-replay", "roles": [LEARNER], "context": context(), "nrps": False})
    assert first.status_code == 302
    action, fields = launch.last
    before = snapshot()
    r = client.post("/lti/launch/", fields)
    assert r.status_code == 400 and b"LMS-1" in r.content and b"replayed launch" in r.content
    assert snapshot() == before


def test_an_lms_clock_a_few_seconds_ahead_is_no_forgery(client, launch, course, published):
    """``iat`` 20 seconds in the future (an LMS whose clock runs ahead): within the 60-second skew
    the tool allows — pylti1p3 alone allowed none and refused it as "not yet valid"."""
    r = launch({"sub": "lms-cert-skew", "roles": [LEARNER], "context": context(), "nrps": False, "tamper": {"iat": 20}})
    assert r.status_code == 302 and r["Location"] == f"/lists/{published.pk}/", r.content[-2000:]
