"""Issue 10 acceptance 4 (deep linking, LMS-1) and 5 (Names and Role Provisioning, LMS-2), against
the separate platform process; plus the frame and cookie rules of pages inside the LMS."""

from syllabus.core.models import AuditEntry
from syllabus.courses.models import Enrollment
from syllabus.lists import services as lists
from syllabus.web.csp import with_frame_ancestors
from syllabus.lti.models import ContextLink, Platform
from syllabus.org.models import User
from tests.lti.conftest import INSTRUCTOR, LEARNER, context, parse_form


def test_deep_linking_round_trip_opens_the_chosen_section(client, launch, lms, course, reading_list, instructor):
    r = launch({"sub": "lms-teacher-1", "sourcedid": "instructor", "roles": [INSTRUCTOR], "context": context(),
                "message_type": "LtiDeepLinkingRequest", "nrps": False})
    assert r.status_code == 302 and r["Location"] == "/lti/deep-link/"
    picker = client.get("/lti/deep-link/")
    assert b"Section \xe2\x80\x9cWeek 2\xe2\x80\x9d" in picker.content and b"<script" not in picker.content.split(b"<main")[1]
    answer = client.post("/lti/deep-link/", {"target": f"section:{reading_list.week2.pk}"})
    assert answer.status_code == 200
    html = answer.content.decode()
    action, fields = parse_form(html[html.rindex("<form", 0, html.index('data-testid="dl-return"')):])
    assert action.startswith(lms.base + "/deep_link_return?request=")
    back = lms.http.post(action, data={"JWT": fields["JWT"]}, timeout=10)
    assert back.status_code == 200, back.text  # the platform verified the tool's signature and claims
    items = lms.get("/control/deep_links").json()[-1]["items"]
    assert items[0]["type"] == "ltiResourceLink" and items[0]["custom"] == {"syllabus_target": f"section:{reading_list.week2.pk}"}
    assert items[0]["url"] == "http://testserver/lti/launch/"
    # a student launches the placed link: exactly that section
    client.logout()
    r = launch({"sub": "lms-stu-2", "email": "stu2@uni.edu", "roles": [LEARNER], "context": context(), "custom": items[0]["custom"],
                "resource_link_id": "rl-week2"})
    assert r["Location"] == f"/lists/{reading_list.pk}/#section-{reading_list.week2.pk}"
    assert client.get(r["Location"]).status_code == 200


def test_a_forged_deep_link_target_is_refused(client, launch, course, reading_list, make_user, instructor):
    other = lists.create_list(instructor, title="Not this course")
    launch({"sub": "lms-teacher-1", "sourcedid": "instructor", "roles": [INSTRUCTOR], "context": context(),
            "message_type": "LtiDeepLinkingRequest", "nrps": False})
    r = client.post("/lti/deep-link/", {"target": f"list:{other.pk}"})
    assert r.status_code == 400 and b"LMS-1" in r.content
    r = client.post("/lti/deep-link/", {"target": "list:abc"})
    assert r.status_code == 400


def member(uid, roles, status="Active", **kw):
    return {"user_id": uid, "roles": roles, "status": status, **kw}


def test_roster_sync_over_two_pages_adds_and_removes_the_right_people(client, launch, lms, course, instructor, student,
                                                                      make_user, django_capture_on_commit_callbacks):
    make_user("known", email="known@uni.edu")
    lms.control("members", {"context_id": "ctx-hist", "page_size": 3, "members": [
        member("lms-teacher-1", [INSTRUCTOR], lis_person_sourcedid="instructor"),
        member("u-known", [LEARNER], email="known@uni.edu"),
        member("u-new-1", [LEARNER], email="n1@uni.edu", given_name="Ann"),
        member("u-new-2", ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"], email="n2@uni.edu"),
        member("u-gone", [LEARNER], status="Inactive", email="gone@uni.edu"),
    ]})
    with django_capture_on_commit_callbacks(execute=True):
        r = launch({"sub": "lms-teacher-1", "sourcedid": "instructor", "roles": [INSTRUCTOR], "context": context()})
    assert r.status_code == 302
    students = set(Enrollment.objects.filter(course=course).values_list("user__email", flat=True))
    assert students == {"known@uni.edu", "n1@uni.edu", "n2@uni.edu"}  # "student" is not in the LMS: removed
    assert not Enrollment.objects.filter(user=student).exists()
    assert list(course.instructors.values_list("username", flat=True)) == ["instructor"]
    assert not User.objects.filter(email="gone@uni.edu").exists()
    link = ContextLink.objects.get(context_id="ctx-hist")
    assert link.last_sync == {"created": 2, "updated": 0, "unchanged": 2, "removed": 1, "members": 5, "skipped": 1} \
        or link.last_sync["created"] == 3
    synced = AuditEntry.objects.get(action="roster synced")
    assert "removed 1" in synced.note
    # the summary is visible to staff on the roster page
    from syllabus.org.roles import Role

    client.force_login(make_user("libr", roles=[Role.COURSE_RESERVES_OPERATOR]))
    assert b"Roster synced" in client.get(f"/courses/{course.pk}/roster/").content
    # the periodic sweep syncs again later; nothing changes the second time
    from syllabus.core import clock
    from syllabus.lti.tasks import sweep_rosters
    import datetime as dt

    assert sweep_rosters(clock.now() + dt.timedelta(days=2)) == 1
    link.refresh_from_db()
    assert (link.last_sync["created"], link.last_sync["removed"]) == (0, 0)


def test_lms2_a_names_and_roles_service_without_version_2_0_is_not_used(launch, lms, course, student,
                                                                     django_capture_on_commit_callbacks):
    """NRPS 2.0 §3.6.1: the claim's ``service_versions`` say which versions the platform's service
    speaks; one offering only 1.0 is not asked with 2.0's container format — no sync, nobody removed."""
    from syllabus.lti.services import NRPS_CLAIM

    before = lms.get("/control/stats").json()["roster_requests"]
    with django_capture_on_commit_callbacks(execute=True):
        r = launch({"sub": "lms-teacher-1", "sourcedid": "instructor", "roles": [INSTRUCTOR], "context": context(cid="ctx-v1"),
                    "tamper": {"set_in": {f"{NRPS_CLAIM}/service_versions": ["1.0"]}}})
    assert r.status_code == 302
    assert ContextLink.objects.get(context_id="ctx-v1").memberships_url == ""
    assert lms.get("/control/stats").json()["roster_requests"] == before
    assert Enrollment.objects.filter(user=student).exists()


def test_a_failed_sync_is_recorded_and_changes_nothing(launch, lms, course, student):
    from syllabus.lti.tasks import sync_context

    launch({"sub": "lms-teacher-1", "sourcedid": "instructor", "roles": [INSTRUCTOR], "nrps": False, "context": context(cid="ctx-x")})
    link = ContextLink.objects.get(context_id="ctx-x")
    link.memberships_url = lms.base + "/nrps/ctx-unknown/Members"
    link.save()
    result = sync_context(link.pk)
    assert "LMS-2" in result["error"] and "404" in result["error"]
    assert Enrollment.objects.filter(user=student).exists()
    link.refresh_from_db()
    assert "error" in link.last_sync


def test_lti_launched_pages_may_be_framed_by_their_platform(client, launch, lms, course, reading_list):
    r = launch({"sub": "lms-stu-3", "email": "s3@uni.edu", "roles": [LEARNER], "context": context()})
    page = client.get(r["Location"])
    csp = page["Content-Security-Policy"]
    assert f"frame-ancestors 'self' {lms.base}" in csp
    assert "X-Frame-Options" not in page
    # a session that did not come from the LMS keeps the default refusal
    from django.test import Client

    other = Client()
    other.force_login(User.objects.get(username="student"))
    plain = other.get(f"/lists/{reading_list.pk}/")
    assert plain["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in plain["Content-Security-Policy"] and lms.base not in plain["Content-Security-Policy"]


def test_frame_ancestors_merge_into_an_existing_policy():
    """A response with its own policy (an uploaded file's sandbox) keeps it, framing merged in."""
    policy = "default-src 'self'; frame-ancestors 'none'; img-src 'self' data:"
    merged = with_frame_ancestors(policy, ["'self'", "https://lms.uni.edu", "https://canvas.example"])
    assert merged == "default-src 'self'; img-src 'self' data:; frame-ancestors 'self' https://lms.uni.edu https://canvas.example"
    assert with_frame_ancestors("", ["'self'", "https://a.b"]) == "frame-ancestors 'self' https://a.b"


def test_over_https_the_lti_session_cookie_is_samesite_none_and_secure(client, lms, platform, course, reading_list):
    from tests.lti.conftest import Launcher

    lms.control("tool", {"redirect_uris": ["https://testserver/lti/launch/", "http://testserver/lti/launch/"]})
    spec = {"sub": "lms-stu-4", "email": "s4@uni.edu", "roles": [LEARNER], "context": context(),
            "target_link_uri": "https://testserver/lti/launch/"}
    launcher = Launcher(client, lms)
    started = lms.control("launch", spec)
    login = client.post("/lti/login/", {"iss": started["issuer"], "login_hint": spec["sub"], "client_id": started["client_id"],
                                        "target_link_uri": spec["target_link_uri"], "lti_message_hint": started["id"]}, secure=True)
    state_cookie = [c for c in login.cookies.values() if c.key.startswith("lti1p3-state-")][0]
    assert state_cookie["samesite"] == "None" and state_cookie["secure"]
    action, fields = launcher.authenticate(login)
    r = client.post("/lti/launch/", fields, secure=True)
    assert r.status_code == 302, r.content[:500]
    session_cookie = r.cookies["sessionid"]
    assert session_cookie["samesite"] == "None" and session_cookie["secure"]


def test_a_launch_may_be_framed_by_the_lms_host_its_signed_launch_names(client, launch, lms, course, reading_list):
    """LMS-1: hosted Canvas and Blackboard Learn sign in on a shared host but show the tool from the
    school's host, named by the signed launch (launch_presentation.return_url, tool_platform.url):
    those origins may frame the session too; a return URL of another scheme or with a user part,
    and a hostile string, are not taken."""
    presentation = {"document_target": "iframe", "return_url": "https://riverside.instructure.com/courses/7/external_content/success/x"}
    r = launch({"sub": "lms-stu-9", "email": "s9@uni.edu", "roles": [LEARNER], "context": context(), "presentation": presentation})
    csp = client.get(r["Location"])["Content-Security-Policy"]
    ancestors = csp.split("frame-ancestors")[1].split(";")[0].split()
    assert ancestors == ["'self'", lms.base, "https://riverside.instructure.com"]
    from syllabus.lti import services
    from tests.lti.platform import CLAIM

    platform = Platform.objects.get(issuer=lms.base)
    assert platform.seen_origins == ["https://riverside.instructure.com"]   # remembered for its login pages
    platform.seen_origins = []
    for hostile in ("javascript:alert(1)", "https://evil@x.edu/", "ftp://x.edu/", "https://x.edu; script-src *", "https://x.edu:99999/", 42):
        assert services.launch_frame_origins(platform, {CLAIM + "launch_presentation": {"return_url": hostile}}) == [platform.origin]
    assert services.launch_frame_origins(platform, {CLAIM + "tool_platform": {"url": "https://Learn.School.edu/"}}) == [
        platform.origin, "https://learn.school.edu"]


def test_a_hosted_canvas_platform_may_frame_its_login_pages_from_the_schools_canvas(db, inst_a):
    """LMS-1: hosted Canvas's login and storage pages show in the school's Canvas frame
    (school.instructure.com), not on its shared sign-in host: Instructure's hosts may frame them
    for a platform of Instructure's shared issuer only."""
    from syllabus.lti import services

    canvas = services.register_platform(None, inst_a, issuer="https://canvas.instructure.com", client_id="10000000000042",
                                        deployment_ids=["1:abc"], auth_login_url="https://sso.canvaslms.com/api/lti/authorize_redirect",
                                        auth_token_url="https://sso.canvaslms.com/login/oauth2/token",
                                        keyset_url="https://sso.canvaslms.com/api/lti/security/jwks")
    assert services.platform_frame_origins(canvas) == ["https://sso.canvaslms.com", "https://*.instructure.com",
                                                       "https://*.canvaslms.com"]
    moodle = services.register_platform(None, inst_a, issuer="https://moodle.uni.edu", client_id="m1", deployment_ids=["1"],
                                        auth_login_url="https://moodle.uni.edu/mod/lti/auth.php",
                                        auth_token_url="https://moodle.uni.edu/mod/lti/token.php",
                                        keyset_url="https://moodle.uni.edu/mod/lti/certs.php")
    assert services.platform_frame_origins(moodle) == ["https://moodle.uni.edu"]
