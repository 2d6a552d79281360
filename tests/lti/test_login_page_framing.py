"""LMS-1: the pages a platform shows before its launch is read — the OIDC login's storage page and
the refusals — may be framed where the school actually shows its LMS, not only at the platform's
login host: a Canvas on the school's own domain (canvas.school.edu, which no wildcard of
Instructure's covers) and Blackboard Learn (signs in at developer.blackboard.com, shows the tool at
learn.school.edu).  Two sources: the origins the platform's *verified* launches named (remembered
on the platform, newest kept, bounded) and the administrator's "LMS web addresses"."""
from __future__ import annotations

import pytest

from syllabus.core.models import AuditEntry
from syllabus.lti.models import Platform
from syllabus.lti.services import CLAIM
from tests.lti.conftest import LEARNER, context

CANVAS_VANITY = "https://canvas.school.edu"
LEARN = "https://learn.school.edu"


def ancestors(response) -> list[str]:
    return response["Content-Security-Policy"].split("frame-ancestors")[1].split(";")[0].split()


def storage_login(client, lms, sub="lms-frame-1"):
    """A login initiation with lti_storage_target (Canvas sends it): the tool answers with its
    storage page, a document the LMS frames before any launch is read."""
    spec = {"sub": sub, "roles": [LEARNER], "context": context(), "target_link_uri": "http://testserver/lti/launch/"}
    started = lms.control("launch", spec)
    page = client.post("/lti/login/", {"iss": started["issuer"], "login_hint": sub, "client_id": started["client_id"],
                                       "target_link_uri": spec["target_link_uri"], "lti_message_hint": started["id"],
                                       "lti_storage_target": "post_message_forwarding"})
    assert page.status_code == 200, page.content[:500]
    return page


def login_refusal(client, lms):
    """A login that names the platform but lacks its login_hint: a refusal page of that platform."""
    r = client.post("/lti/login/", {"iss": lms.base, "client_id": "syllabus-tool-1", "target_link_uri": "http://testserver/lti/launch/"})
    assert r.status_code == 400 and b"LMS-1" in r.content and b"login_hint" in r.content
    return r


def named(return_url: str, platform_url: str | None = None) -> dict:
    spec = {"presentation": {"document_target": "iframe", "return_url": return_url}}
    if platform_url:
        spec["tamper"] = {"set_in": {CLAIM + "tool_platform/url": platform_url}}
    return spec


def test_the_lms_hosts_a_verified_launch_named_may_frame_the_platforms_next_login_pages(client, launch, lms, course):
    before = ancestors(storage_login(client, lms, "lms-frame-0"))
    assert CANVAS_VANITY not in before and LEARN not in before
    r = launch({"sub": "lms-frame-1", "roles": [LEARNER], "context": context(), "nrps": False,
                **named(CANVAS_VANITY + "/courses/7/external_content/success/external_tool_redirect", LEARN + "/")})
    assert r.status_code == 302, r.content[:500]
    platform = Platform.objects.get(issuer=lms.base)
    assert platform.seen_origins == [CANVAS_VANITY, LEARN]
    assert AuditEntry.objects.filter(action="LMS web address named by a launch").exists()
    client.logout()   # a new visit: nothing of the session's own origins is left
    for page in (storage_login(client, lms, "lms-frame-2"), login_refusal(client, lms)):
        assert ancestors(page) == ["'self'", lms.base, CANVAS_VANITY, LEARN]
    # a second launch naming the same hosts changes nothing (no write, no audit entry)
    entries = AuditEntry.objects.count()
    launch({"sub": "lms-frame-1", "roles": [LEARNER], "context": context(), "nrps": False, **named(CANVAS_VANITY + "/x")})
    assert AuditEntry.objects.count() == entries


def test_remembered_hosts_are_bounded_newest_kept(client, launch, lms, course, settings):
    settings.LTI_FRAME_ORIGINS_KEPT = 2
    for n, host in enumerate(("one", "two", "three")):
        r = launch({"sub": f"lms-frame-b{n}", "roles": [LEARNER], "context": context(), "nrps": False,
                    **named(f"https://{host}.school.edu/courses/1")})
        assert r.status_code == 302
    assert Platform.objects.get(issuer=lms.base).seen_origins == ["https://three.school.edu", "https://two.school.edu"]
    client.logout()
    assert ancestors(login_refusal(client, lms)) == ["'self'", lms.base, "https://three.school.edu", "https://two.school.edu"]


def test_a_refused_launch_teaches_the_tool_no_host(client, launch, lms, course):
    """Only a launch signed by the platform's key and accepted names hosts: a forged one naming
    evil.example is refused and leaves the policy as it was."""
    r = launch({"sub": "lms-frame-evil", "roles": [LEARNER], "context": context(), "nrps": False,
                **named("https://evil.example/", "https://evil.example/"), "tamper": {"bad_signature": True}})
    assert r.status_code == 400 and b"bad signature" in r.content
    assert Platform.objects.get(issuer=lms.base).seen_origins == []
    assert "https://evil.example" not in ancestors(login_refusal(client, lms))


def _change_form(platform: Platform, lms_origins: str) -> dict:
    dep = platform.deployments.get()
    return {"institution": platform.institution_id, "name": platform.name, "issuer": platform.issuer,
            "client_id": platform.client_id, "auth_login_url": platform.auth_login_url,
            "auth_token_url": platform.auth_token_url, "keyset_url": platform.keyset_url, "auth_audience": "",
            "course_match": platform.course_match, "username_claim": platform.username_claim, "active": "on", "lms_origins": lms_origins,
            "created_at_0": "2026-03-02", "created_at_1": "09:00:00",
            "deployments-TOTAL_FORMS": "1", "deployments-INITIAL_FORMS": "1", "deployments-MIN_NUM_FORMS": "0",
            "deployments-MAX_NUM_FORMS": "1000", "deployments-0-id": dep.pk, "deployments-0-platform": platform.pk,
            "deployments-0-deployment_id": dep.deployment_id}


def test_an_administrator_names_the_lms_web_addresses_before_any_launch(client, lms, platform, admin_user):
    """A Canvas on the school's own domain frames the login's storage page before the first launch
    ever names it: the administrator types its address (a page address counts for its origin, a
    wildcard for the school's hosts)."""
    from django.test import Client

    staff = Client()
    staff.force_login(admin_user)
    url = f"/admin/lti/platform/{platform.pk}/change/"
    page = staff.get(url)
    assert page.status_code == 200 and b"LMS web addresses" in page.content
    r = staff.post(url, _change_form(platform, f" {CANVAS_VANITY}/courses/12 \n\nhttps://*.School.edu\n"))
    assert r.status_code == 302, r.content[-3000:]
    platform.refresh_from_db()
    assert platform.lms_origins == f"{CANVAS_VANITY}\nhttps://*.school.edu"
    assert ancestors(storage_login(client, lms)) == ["'self'", lms.base, CANVAS_VANITY, "https://*.school.edu"]
    assert ancestors(login_refusal(client, lms))[2:] == [CANVAS_VANITY, "https://*.school.edu"]


@pytest.mark.parametrize("bad", ["javascript:alert(1)", "https://x.edu; script-src *", "https://evil@x.edu",
                                 "canvas.school.edu", "https://*", "https://x.edu:99999"])
def test_an_lms_web_address_that_is_not_one_is_refused_naming_the_rule(client, lms, platform, admin_user, bad):
    client.force_login(admin_user)
    r = client.post(f"/admin/lti/platform/{platform.pk}/change/", _change_form(platform, f"{CANVAS_VANITY}\n{bad}"))
    assert r.status_code == 200 and b"LMS-1: line 2" in r.content, r.status_code
    platform.refresh_from_db()
    assert platform.lms_origins == ""
