"""The tool's outbound side against a platform that behaves like real LMSs (LMS-1, LMS-2): access
tokens kept and shared until shortly before they expire (Canvas limits token requests), token
refusals in words an administrator can act on, 429/503 with Retry-After, a failure in the middle
of paging, roster limits, timeouts, and the platform's key rotation.  All against the IMS-spec
platform process (tests/lti/platform.py); time rules by moving the injectable clock."""
from __future__ import annotations

import datetime as dt
import email.utils

import pytest

from syllabus.core import clock, outbound
from syllabus.core.errors import RuleViolation
from syllabus.courses.models import Enrollment
from syllabus.lti import platform_http, services
from syllabus.lti.models import ContextLink, PlatformKeySet, ServiceToken
from syllabus.lti.tasks import sweep_rosters, sync_context
from syllabus.org.models import User
from tests.lti.conftest import INSTRUCTOR, LEARNER, context


@pytest.fixture(autouse=True)
def _no_faults(lms):
    lms.control("faults", {})
    yield
    lms.control("faults", {})


@pytest.fixture
def frozen():
    clock.set_now(clock.now())
    yield
    clock.set_now(None)


def stats(lms) -> dict:
    return lms.get("/control/stats").json()


def member(uid, roles, **kw):
    return {"user_id": uid, "roles": roles, "status": "Active", **kw}


@pytest.fixture
def link(lms, platform, course):
    """An LMS course linked to ``course`` whose roster (5 people, 2 pages of 3) the platform serves."""
    lms.control("members", {"context_id": "ctx-svc", "page_size": 3, "members": [
        member("lms-teacher-1", [INSTRUCTOR], lis_person_sourcedid="instructor"),
        *[member(f"u-{i}", [LEARNER], email=f"u{i}@uni.edu") for i in range(4)]]})
    return ContextLink.objects.create(platform=platform, context_id="ctx-svc", course=course,
                                      memberships_url=lms.base + "/nrps/ctx-svc/Members")


def untouched(student) -> bool:
    """Nothing of the roster changed: the course's own student is still enrolled, nobody created."""
    return Enrollment.objects.filter(user=student).exists() and not User.objects.filter(email__startswith="u0@").exists()


# --- access tokens --------------------------------------------------------------------------

def test_the_access_token_is_reused_until_shortly_before_it_expires(lms, link, student, frozen):
    """LMS-2: one token request for many syncs — kept in the database (shared by every worker,
    encrypted), renewed TOKEN_EARLY (60 s) before its expires_in."""
    lms.control("faults", {"expires_in": 600})
    before = stats(lms)["token_requests"]
    assert "error" not in sync_context(link.pk)
    assert not Enrollment.objects.filter(user=student).exists()   # the LMS does not have them: removed
    assert stats(lms)["token_requests"] == before + 1
    kept = ServiceToken.objects.get(platform=link.platform)
    assert kept.expires_at == clock.now() + dt.timedelta(seconds=600)
    from django.db import connection

    with connection.cursor() as cur:   # SEC-KEY: not kept in clear
        cur.execute("SELECT access_token FROM lti_servicetoken WHERE id = %s", [kept.pk])
        assert cur.fetchone()[0] != kept.access_token
    clock.advance(dt.timedelta(seconds=600 - 61))
    assert "error" not in services.sync_roster(link)
    assert stats(lms)["token_requests"] == before + 1        # still 61 s to live: reused
    clock.advance(dt.timedelta(seconds=2))
    assert "error" not in services.sync_roster(link)
    assert stats(lms)["token_requests"] == before + 2        # 59 s left: a new one
    assert ServiceToken.objects.filter(platform=link.platform).count() == 1
    # the registration changed in the administration (here the token audience): asked anew
    type(link.platform).objects.filter(pk=link.platform.pk).update(auth_audience=lms.base + "/token")
    link.refresh_from_db()
    assert "error" not in services.sync_roster(link)
    assert stats(lms)["token_requests"] == before + 3


def test_a_token_the_platform_revoked_is_replaced_once(lms, link):
    """LMS-2: a 401 from the roster before the kept token's expiry (the LMS revoked it): one new
    token, the same page again."""
    services.sync_roster(link)
    before = stats(lms)["token_requests"]
    lms.control("revoke_tokens", {})
    summary = services.sync_roster(link)
    assert summary["members"] == 5 and stats(lms)["token_requests"] == before + 1


def test_a_token_refused_for_the_tools_unknown_key_says_what_to_check(lms, link, student):
    """LMS-2: the platform really refuses the assertion (signed with a key it was never given:
    the tool rotated its key and the LMS holds a copy of the old JWKS): invalid_client, in words."""
    from syllabus.lti import keys

    keys.rotate()
    result = sync_context(link.pk)
    assert result["error"].startswith("LMS-2: the platform does not accept the tool's credentials (invalid_client)")
    assert "…/lti/jwks/" in result["error"] and "the platform says: client assertion refused" in result["error"]
    assert untouched(student)


@pytest.mark.parametrize("fault,words", [
    ({"status": 400, "error": "invalid_grant", "description": "assertion expired"},
     "refused the tool's signed assertion (invalid_grant): check the token URL and the token audience of the platform, "
     "and the server clocks — the platform says: assertion expired"),
    ({"status": 400, "error": "unsupported_grant_type"}, "does not offer the client credentials grant (unsupported_grant_type)"),
    ({"status": 400, "error": "invalid_scope"}, "turn on Names and Role Provisioning for the tool in the LMS"),
    ({"status": 502, "html": True}, "answered 502 with a web page, not an OAuth 2.0 error (RFC 6749 §5.2): is the token URL right?"),
    ({"status": 200, "html": True}, "answered a web page instead of an access token"),
    ({"delay": 1.5}, "did not answer in time (connect 5 s, read 0.3 s)"),
], ids=["invalid_grant", "unsupported_grant_type", "invalid_scope", "html-error", "html-200", "timeout"])
def test_token_errors_are_recorded_on_the_context_link_with_a_clear_reason(lms, link, student, settings, fault, words):
    """LMS-2: what the administrator sees on the LMS course link (and staff in the course's trail)."""
    from syllabus.core.models import AuditEntry
    from syllabus.lti.admin import ContextLinkAdmin

    settings.LTI_HTTP_READ_TIMEOUT = 0.3
    lms.control("faults", {"token": fault})
    result = sync_context(link.pk)
    assert result["error"].startswith("LMS-2: ") and words in result["error"], result
    link.refresh_from_db()
    assert link.last_sync["error"] == result["error"] and "retry_at" not in link.last_sync
    assert words in ContextLinkAdmin.sync_status(None, link)
    assert AuditEntry.objects.filter(action="roster sync failed", note=result["error"]).exists()
    assert untouched(student) and not ServiceToken.objects.exists()


# --- busy platforms, failures while paging, limits, timeouts ----------------------------------

def test_429_with_retry_after_seconds_is_asked_again_after_it_not_before(lms, link, student, frozen):
    """LMS-2: a 429 is no roster — nothing removed; the sweep leaves the link alone until its
    Retry-After has passed, then syncs it; the launch-time sync waits too."""
    lms.control("faults", {"roster": {"page": 0, "status": 429, "retry_after": "120"}})
    result = sync_context(link.pk)
    assert "too many requests (429)" in result["error"] and "nothing was changed" in result["error"]
    assert untouched(student)
    link.refresh_from_db()
    assert link.last_sync["retry_at"] == (clock.now() + dt.timedelta(seconds=120)).isoformat()
    assert link.last_sync["retries"] == 1
    lms.control("faults", {})
    asked = stats(lms)["roster_requests"]
    clock.advance(dt.timedelta(seconds=100))
    assert sweep_rosters(clock.now()) == 0
    assert "waiting" in sync_context(link.pk)        # e.g. after an instructor's launch
    assert stats(lms)["roster_requests"] == asked    # the platform was left alone
    clock.advance(dt.timedelta(seconds=21))
    assert sweep_rosters(clock.now()) == 1
    link.refresh_from_db()
    assert link.last_sync["members"] == 5 and "retry_at" not in link.last_sync
    assert not Enrollment.objects.filter(user=student).exists()
    clock.advance(dt.timedelta(hours=1))
    assert sweep_rosters(clock.now()) == 0           # back to the usual schedule


def test_503_on_a_later_page_with_an_http_date_changes_nothing_and_retries_are_bounded(lms, link, student, frozen):
    """LMS-2: the second page answers 503 with Retry-After as an HTTP-date: the first page read
    changes nothing; after RETRY_ATTEMPTS busy answers in a row the link waits for its usual turn."""
    when = clock.now() + dt.timedelta(minutes=10)
    lms.control("faults", {"roster": {"page": 1, "status": 503, "retry_after": email.utils.format_datetime(when, usegmt=True)}})
    result = sync_context(link.pk)
    assert "the service is unavailable (503) to roster page 2" in result["error"]
    assert untouched(student)
    link.refresh_from_db()
    assert link.last_sync["retry_at"] == when.replace(microsecond=0).isoformat()
    for attempt in range(2, services.RETRY_ATTEMPTS + 2):
        clock.advance(dt.timedelta(minutes=11))
        when = clock.now() + dt.timedelta(minutes=10)
        lms.control("faults", {"roster": {"page": 1, "status": 503,
                                          "retry_after": email.utils.format_datetime(when, usegmt=True)}})
        assert sweep_rosters(clock.now()) == 0
        link.refresh_from_db()
        assert link.last_sync.get("retries") == (attempt if attempt <= services.RETRY_ATTEMPTS else None)
    assert "retry_at" not in link.last_sync and "503" in link.last_sync["error"]
    clock.advance(dt.timedelta(minutes=11))
    assert services.links_due(clock.now(), 24) == []   # its usual turn: a day after the last try
    assert untouched(student)


def test_a_page_failure_in_the_middle_of_paging_changes_nothing(lms, link, student):
    """LMS-2: page 1 read, page 2 answers 500: no one added, no one removed, the error kept."""
    lms.control("faults", {"roster": {"page": 1, "status": 500}})
    result = sync_context(link.pk)
    assert result["error"] == "LMS-2: the platform answered 500 to the roster request (page 2); nothing was changed"
    assert untouched(student)
    assert Enrollment.objects.filter(course=link.course).count() == 1


def test_a_roster_page_that_does_not_answer_in_time_changes_nothing(lms, link, student, settings):
    settings.LTI_HTTP_READ_TIMEOUT = 0.3
    lms.control("faults", {"roster": {"page": 1, "delay": 1.5, "times": 1}})
    result = sync_context(link.pk)
    assert "did not answer roster page 2 in time (connect 5 s, read 0.3 s); nothing was changed" in result["error"]
    assert untouched(student)


def test_a_roster_past_the_limits_is_refused_clearly(lms, link, student, settings):
    """LMS-2: LTI_ROSTER_MAX_MEMBERS and LTI_ROSTER_MAX_PAGES (each with an upper bound)."""
    settings.LTI_ROSTER_MAX_MEMBERS = 4
    result = sync_context(link.pk)
    assert result["error"] == ("LMS-2: the LMS course has more than 4 members (LTI_ROSTER_MAX_MEMBERS): refused, "
                               "nothing was changed")
    settings.LTI_ROSTER_MAX_MEMBERS = 5
    settings.LTI_ROSTER_MAX_PAGES = 1
    result = sync_context(link.pk)
    assert "more than 1 pages (LTI_ROSTER_MAX_PAGES)" in result["error"]
    assert untouched(student)
    settings.LTI_ROSTER_MAX_PAGES = 10**9
    settings.LTI_ROSTER_MAX_MEMBERS = "lots"
    assert services.roster_limits() == (2_000, services.MAX_MEMBERS)
    settings.LTI_HTTP_READ_TIMEOUT = 10**6
    assert platform_http.timeouts() == (5, 120)


def test_retry_after_is_read_as_seconds_or_an_http_date_within_bounds():
    now = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.timezone.utc)
    read = platform_http.retry_at_of
    assert read("120", now) == now + dt.timedelta(seconds=120)
    assert read("Mon, 02 Mar 2026 12:30:00 GMT", now) == now + dt.timedelta(minutes=30)
    assert read("0", now) == now + dt.timedelta(seconds=platform_http.RETRY_AFTER_MIN)
    assert read("Sun, 01 Mar 2026 12:00:00 GMT", now) == now + dt.timedelta(seconds=platform_http.RETRY_AFTER_MIN)
    assert read("99999999", now) == now + dt.timedelta(seconds=platform_http.RETRY_AFTER_MAX)
    assert read("soon", now) == read(None, now) == now + dt.timedelta(minutes=5)


# --- the platform's key set: cached, refetched for a rotation, at most once a minute ------------

def test_a_platform_key_rotation_does_not_break_launches(client, launch, lms, course, frozen):
    """LMS-1: the key set is kept (one fetch for many launches); the platform rotates its key
    (Canvas: the new key published, then signing with it): the launch with the new kid fetches the
    key set again and passes.  A kid the platform never published is refused, and fetches the
    key set at most once a minute."""
    spec = {"sub": "lms-stu-k", "email": "k@uni.edu", "roles": [LEARNER], "context": context(), "nrps": False}
    fetched = stats(lms)["jwks_requests"]
    assert launch(spec).status_code == 302
    assert launch(spec).status_code == 302
    assert stats(lms)["jwks_requests"] == fetched + 1
    clock.advance(dt.timedelta(seconds=61))
    new_kid = lms.control("rotate_key", {})["kid"]
    assert launch(spec).status_code == 302
    assert stats(lms)["jwks_requests"] == fetched + 2
    assert new_kid in [k["kid"] for k in PlatformKeySet.objects.get().keys["keys"]]
    forged = {**spec, "tamper": {"kid": "never-published"}}
    r = launch(forged)
    assert r.status_code == 400 and b"no key with kid" in r.content and b"never-published" in r.content
    assert stats(lms)["jwks_requests"] == fetched + 2   # fetched less than a minute ago: not again
    clock.advance(dt.timedelta(seconds=61))
    assert launch(forged).status_code == 400
    assert launch(forged).status_code == 400
    assert stats(lms)["jwks_requests"] == fetched + 3   # once a minute at most
    assert launch(spec).status_code == 302


@pytest.mark.parametrize("cache_control,seconds", [
    ("max-age=120", 120), ("public, max-age=999999999", platform_http.KEYSET_FRESH_MAX),
    ("no-store", platform_http.KEYSET_FRESH_MIN), ("max-age=5", platform_http.KEYSET_FRESH_MIN),
    (None, platform_http.KEYSET_FRESH_UNSAID)])
def test_the_key_set_is_kept_as_long_as_its_cache_control_says_within_bounds(launch, lms, course, frozen, cache_control,
                                                                              seconds):
    """LMS-1: Cache-Control max-age within KEYSET_FRESH_MIN..KEYSET_FRESH_MAX; after that, the
    next launch fetches the key set again."""
    lms.control("faults", {"jwks_cache_control": cache_control} if cache_control else {})
    spec = {"sub": "lms-stu-c", "email": "c@uni.edu", "roles": [LEARNER], "context": context(), "nrps": False}
    assert launch(spec).status_code == 302
    kept = PlatformKeySet.objects.get()
    assert kept.fresh_until - kept.fetched_at == dt.timedelta(seconds=seconds)
    fetched = stats(lms)["jwks_requests"]
    kid = kept.keys["keys"][0]["kid"]
    session = outbound.session(rule="LMS-1")
    # (a launch hours later would carry a fresh id_token: the key set is what a launch asks for)
    clock.advance(dt.timedelta(seconds=seconds - 1))
    assert platform_http.key_set(kept.platform, kid, session) == kept.keys and stats(lms)["jwks_requests"] == fetched
    clock.advance(dt.timedelta(seconds=2))
    assert platform_http.key_set(kept.platform, kid, session) == kept.keys and stats(lms)["jwks_requests"] == fetched + 1


def test_a_key_set_unreachable_for_a_while_keeps_launches_going_for_a_day(launch, lms, course, frozen):
    """LMS-1: the platform's key set server is down (503) when the kept set is due: launches signed
    with a key it holds still pass, on the keys last read, for KEYSET_KEPT_IF_UNREACHABLE after that
    read — without each waiting for another failed fetch — then are refused naming the key set; a
    key the kept set lacks is refused at once."""
    lms.control("faults", {"jwks_cache_control": "no-store"})   # kept one minute
    spec = {"sub": "lms-stu-u", "roles": [LEARNER], "context": context(), "nrps": False}
    assert launch(spec).status_code == 302
    kept = PlatformKeySet.objects.get()
    read_at, kid = kept.read_at, kept.keys["keys"][0]["kid"]
    clock.advance(dt.timedelta(seconds=61))
    lms.control("faults", {"jwks": {"status": 503}})
    fetched = stats(lms)["jwks_requests"]
    assert launch(spec).status_code == 302                       # the kept keys verify it
    assert launch(spec).status_code == 302
    assert stats(lms)["jwks_requests"] == fetched + 1            # one failed fetch a minute, not one per launch
    session = outbound.session(rule="LMS-1")
    with pytest.raises(RuleViolation, match="answered 503"):
        platform_http.key_set(kept.platform, "a-new-kid", session)   # a key it never read: refused
    clock.set_now(read_at + platform_http.KEYSET_KEPT_IF_UNREACHABLE - dt.timedelta(seconds=1))
    assert platform_http.key_set(kept.platform, kid, session) == kept.keys
    clock.set_now(read_at + platform_http.KEYSET_KEPT_IF_UNREACHABLE + dt.timedelta(minutes=2))
    with pytest.raises(RuleViolation, match="key set .* answered 503"):
        platform_http.key_set(kept.platform, kid, session)
    lms.control("faults", {})
    assert platform_http.key_set(kept.platform, kid, session)["keys"]   # back: read again
    assert PlatformKeySet.objects.get().read_at == clock.now()


def test_a_key_set_that_is_not_a_jwks_is_refused(launch, lms, platform, course):
    """LMS-1: a key set URL that answers JSON without ``keys`` (a wrong URL) refuses the launch,
    naming it — the keys kept from the URL before it changed are not used."""
    from syllabus.lti.models import Platform

    spec = {"sub": "lms-stu-j", "roles": [LEARNER], "context": context(), "nrps": False}
    assert launch(spec).status_code == 302
    Platform.objects.filter(pk=platform.pk).update(keyset_url=lms.base + "/control/stats")
    r = launch(spec)
    assert r.status_code == 502 and b"is not a JSON Web Key Set (RFC 7517" in r.content
    assert PlatformKeySet.objects.get().url == lms.base + "/jwks"


# --- what real LMSs send: Canvas, Blackboard ----------------------------------------------------

def test_the_lms_preview_person_is_not_kept_on_the_roster(lms, link, student):
    """LMS-2: Canvas's "Student View" and Blackboard's "Student Preview" person carry the LTI
    system role TestUser (LTI Core §A.2.4) beside Learner, in launches and in the NRPS roster: not
    a student of the course (cost per student, usage by group)."""
    lms.control("members", {"context_id": "ctx-svc", "members": [
        member("lms-teacher-1", [INSTRUCTOR], lis_person_sourcedid="instructor"),
        member("u-0", [LEARNER], email="u0@uni.edu"),
        member("canvas-test-student", [LEARNER, services.TEST_USER], name="Test Student")]})
    summary = services.sync_roster(link)
    assert (summary["members"], summary["skipped"]) == (3, 1)
    assert list(Enrollment.objects.filter(course=link.course).values_list("user__email", flat=True)) == ["u0@uni.edu"]
    assert not User.objects.filter(last_name="Student", first_name="Test").exists()


def test_an_unresolved_canvas_substitution_variable_is_no_username_and_no_course_code(client, launch, platform, inst_a,
                                                                                         make_user):
    """LMS-1: Canvas sends a variable it cannot resolve as written ("person_sourcedid":
    "$Person.sourcedId" for a person without an SIS id; "$Canvas.course.sisSourceId" for a course
    without one): never matched as a username or a course code."""
    from syllabus.courses.models import Course

    literal = make_user("$Person.sourcedId")   # e.g. a bad line of an imported people file
    Course.objects.create(institution=inst_a, code="$Canvas.course.sisSourceId", name="Not this one")
    platform.course_match = "custom"
    platform.save()
    r = launch({"sub": "canvas-admin-1", "email": "new@uni.edu", "sourcedid": "$Person.sourcedId", "roles": [LEARNER],
                "context": context(cid="c-canvas"), "custom": {"course_code": "$Canvas.course.sisSourceId"}, "nrps": False})
    assert r.status_code == 200 and b'data-testid="lti-no-list"' in r.content
    from syllabus.lti.models import Identity

    assert Identity.objects.get(sub="canvas-admin-1").user != literal
    assert services.substituted(" SIS-123 ") == "SIS-123" and services.substituted("$5.00") == "$5.00"


def test_a_brightspace_launch_with_institution_roles_and_no_email(client, launch, course, reading_list, make_user):
    """LMS-1: Brightspace with "Send Institution Role" on sends the institution role beside the
    course role, and an empty ``email`` when the deployment does not share it (D2L's sample
    launch): a faculty member who is a Learner in this course is a student here, and an empty
    address matches nobody (not the people without one)."""
    make_user("no-mail", email="")
    roles = ["http://purl.imsglobal.org/vocab/lis/v2/institution/person#Instructor", LEARNER]
    r = launch({"sub": "15495cdc-4a00-43e0-b28c-042523bad957_169", "email": "", "name": "John Smith", "roles": roles,
                "context": context(), "nrps": False})
    assert r.status_code == 302
    from syllabus.lti.models import Identity

    person = Identity.objects.get(sub="15495cdc-4a00-43e0-b28c-042523bad957_169").user
    assert person.username != "no-mail" and (person.first_name, person.last_name) == ("John", "Smith")
    assert Enrollment.objects.filter(course=course, user=person).exists()
    assert not course.instructors.filter(pk=person.pk).exists()
