"""LMS-1 with hostile values (the "never a 500" audit, session 10): the LTI pages read what an LMS
— or whoever poses as one — sends: a login request's parameters, a launch's id_token and state,
the claims of a *validly signed* id_token (the test platform signs them), the course picker's and
the deep-linking picker's POST.  Over-long texts and ids past a bigint are refused naming LMS-1
(or cut to their column when the platform signed them: an LMS's long course title is no attack),
and nothing is half-written — never a 500."""
from __future__ import annotations

import pytest

from syllabus.courses.models import Course
from syllabus.lti.models import ContextLink, Identity, LoginState
from syllabus.org.models import User
from tests.lti.conftest import INSTRUCTOR, LEARNER, context
from tests.lti.test_refusals import refused, snapshot

HUGE = "x" * 100_000
HUGE_INT = "9" * 20


@pytest.mark.parametrize("field", ["iss", "login_hint", "target_link_uri", "client_id", "lti_message_hint",
                                   "lti_deployment_id"])
def test_a_login_with_an_overlong_parameter_is_refused_and_records_nothing(client, launch, course, field):
    """Each parameter at most LOGIN_PARAM characters (a message hint may be a JWT of a few
    thousand), named by LMS-1 before any LoginState is recorded — an over-long hint used to make an
    authentication redirect past Django's ceiling: a bare 400 after the login was recorded."""
    from syllabus.lti.views import LOGIN_PARAM

    good = {"iss": launch.lms.base, "login_hint": "lms-hostile-1", "target_link_uri": "http://testserver/lti/launch/",
            "client_id": "syllabus-tool-1", "lti_message_hint": "m", "lti_deployment_id": "deployment-A"}
    states = LoginState.objects.count()
    for method in ("get", "post"):
        for length in (LOGIN_PARAM + 1, len(HUGE)):
            r = getattr(client, method)("/lti/login/", {**good, field: "x" * length})
            if method == "get":  # a page's query: the pages' ceiling (the login's own) answers before the view
                assert r.status_code == 400 and b"WEB-QUERY" in r.content, r.status_code
                assert f"{field}: at most {LOGIN_PARAM} characters".encode() in r.content
                continue
            refused(client, r, f"{field}: at most {LOGIN_PARAM} characters")
    assert LoginState.objects.count() == states
    long_hint = {**good, "lti_message_hint": "h" * 3_000}  # a JWT-sized hint still logs in
    assert client.get("/lti/login/", long_hint).status_code in (302, 400)


def test_a_launch_with_an_overlong_id_token_or_state_is_refused(client, launch, course):
    before = snapshot()
    refused(client, client.post("/lti/launch/", {"id_token": HUGE, "state": "x"}), "not a JWT")
    refused(client, client.post("/lti/launch/", {"id_token": "a.b.c", "state": HUGE}), "")
    action, fields = launch.authenticate(launch.start({"sub": "lms-hostile-2", "roles": [LEARNER], "context": context()}))
    refused(client, client.post("/lti/launch/", {**fields, "state": HUGE}), "")
    assert snapshot() == before


def test_a_signed_launch_with_overlong_claims_is_cut_to_the_columns_never_a_500(client, launch, course):
    """The platform signed it: the person and the course are made, their texts cut to their columns."""
    r = launch({"sub": "lms-long-1", "email": "long@uni.edu", "name": HUGE, "given_name": HUGE, "family_name": HUGE,
                "roles": [LEARNER], "title": HUGE, "resource_link_id": "rl-" + "x" * 5_000,
                "context": context(cid="ctx-" + "x" * 5_000, label="L" * 5_000, title="T" * 100_000),
                "custom": {"syllabus_target": "list:" + HUGE_INT}})
    assert r.status_code in (200, 302, 400), r.status_code
    if r.status_code == 400:
        refused(client, r, "")
        return
    person = Identity.objects.get(sub="lms-long-1").user
    assert len(person.first_name) <= User._meta.get_field("first_name").max_length
    assert len(person.last_name) <= User._meta.get_field("last_name").max_length


def test_a_signed_launch_with_an_overlong_sub_is_refused_naming_lms_1(client, launch, course):
    """OpenID Connect's ``sub`` is at most 255 characters, and so is the column that keeps it."""
    before = snapshot()
    refused(client, launch({"sub": "s" * 3_000, "email": "a@uni.edu", "roles": [LEARNER], "context": context()}),
            "sub: at most 255 characters")
    assert snapshot() == before


def test_a_signed_launch_with_an_overlong_email_is_never_a_500(client, launch, course):
    r = launch({"sub": "lms-long-2", "email": "a" * 5_000 + "@uni.edu", "roles": [LEARNER], "context": context()})
    assert r.status_code in (302, 400), r.status_code
    if r.status_code == 400:
        refused(client, r, "")


def test_the_course_picker_refuses_an_id_past_a_bigint(client, launch, course, instructor):
    r = launch({"sub": "lms-teacher-9", "sourcedid": "instructor", "roles": [INSTRUCTOR],
                "context": context(cid="ctx-unmatched", label="NOPE999", title="Unmatched"), "nrps": False})
    assert r.status_code == 302 and r["Location"] == "/lti/context/"
    links, courses = ContextLink.objects.count(), Course.objects.count()
    for value in (HUGE_INT, str(2**63), "-1", HUGE):
        r = client.post("/lti/context/", {"course": value})
        assert r.status_code == 400 and b"LMS-1" in r.content, (value[:30], r.status_code)
    r = client.post("/lti/context/", {"action": HUGE, "course": HUGE_INT})
    assert r.status_code == 400 and b"LMS-1" in r.content
    assert (ContextLink.objects.count(), Course.objects.count()) == (links, courses)


def test_the_deep_linking_picker_refuses_hostile_targets(client, launch, course, instructor):
    launch({"sub": "lms-teacher-1", "sourcedid": "instructor", "roles": [INSTRUCTOR], "context": context(),
            "message_type": "LtiDeepLinkingRequest", "nrps": False})
    for target in ("list:" + HUGE_INT, "list:" + "9" * 18, "section:" + str(2**63), "item:0", "list:" + HUGE, HUGE):
        r = client.post("/lti/deep-link/", {"target": target})
        assert r.status_code == 400 and b"LMS-1" in r.content, (target[:30], r.status_code)
    assert client.get("/lti/courses/" + HUGE_INT + "/").status_code == 404
