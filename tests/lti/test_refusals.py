"""Issue 10 acceptance 3 (LMS-1): every refused launch shows a clear page naming LMS-1 and what
was wrong, and creates nothing — no person, identity, enrolment, course link or audit entry,
and nobody is signed in."""
import pytest

from syllabus.core.models import AuditEntry
from syllabus.courses.models import Course, Enrollment
from syllabus.lti.models import ContextLink, Identity, LoginState
from syllabus.lti.services import CLAIM
from syllabus.org.models import User
from tests.lti.conftest import LEARNER, context

GOOD = {"sub": "lms-refused-1", "email": "refused@uni.edu", "roles": [LEARNER]}


def snapshot():
    return (User.objects.count(), Identity.objects.count(), Enrollment.objects.count(), ContextLink.objects.count(),
            AuditEntry.objects.count(), Course.objects.count(), LoginState.objects.filter(used_at__isnull=False).count())


def refused(client, response, words: str, status=400):
    assert response.status_code == status, response.content[:400]
    text = response.content.decode()
    assert 'data-testid="lti-refused"' in text and "LMS-1" in text and words in text, text
    assert "_auth_user_id" not in client.session


@pytest.fixture
def before(launch, course):
    return snapshot()


@pytest.mark.parametrize("tamper,words", [
    ({"bad_signature": True}, "bad signature"),
    ({"expired": True}, "the id_token has expired"),
    ({"aud": "someone-else"}, "wrong audience"),
    ({"deployment_id": "deployment-Z"}, "unknown deployment &#x27;deployment-Z&#x27;"),
    ({"state": "state-forged"}, "state mismatch"),
    ({"drop": [CLAIM + "resource_link"]}, "lacks the required claim(s) https://purl.imsglobal.org/spec/lti/claim/resource_link (id)"),
    ({"drop": ["sub"]}, "lacks the required claim(s) sub"),
    ({"target_link_uri": "http://testserver/lists/"}, "target_link_uri differs from the one of the login request"),
    ({"nonce": "a-nonce-of-another-login"}, "nonce is not the one issued for this login"),
], ids=["bad-signature", "expired", "wrong-aud", "unknown-deployment", "state-mismatch", "missing-resource-link",
        "missing-sub", "target-link-uri", "foreign-nonce"])
def test_a_tampered_launch_is_refused_and_creates_nothing(client, launch, before, tamper, words):
    r = launch({**GOOD, "context": context(), "tamper": tamper})
    refused(client, r, words)
    assert snapshot() == before


def test_a_replayed_launch_is_refused_and_creates_nothing(client, launch, course):
    first = launch({**GOOD, "context": context()})
    assert first.status_code == 302
    action, fields = launch.last
    name = f"lti1p3-{fields['state']}"
    state_cookie = client.cookies[name].value
    client.logout()                       # a fresh session, but the same browser (its state cookie)
    client.cookies[name] = state_cookie
    before = snapshot()
    refused(client, client.post("/lti/launch/", fields), "replayed launch")
    assert snapshot() == before


def test_a_launch_from_another_browser_is_a_state_mismatch(client, launch, course, lms):
    from django.test import Client

    before = snapshot()
    action, fields = launch.authenticate(launch.start({**GOOD, "context": context()}))
    other = Client()  # no state cookie: not the browser that started the login
    refused(other, other.post("/lti/launch/", fields), "state mismatch")
    assert snapshot() == before


def test_a_login_with_a_foreign_target_link_is_refused_before_anything(client, launch, course):
    before_states = LoginState.objects.count()
    r = launch.start({**GOOD, "context": context()}, target="https://evil.example/steal")
    refused(client, r, "is not a page of this tool")
    assert LoginState.objects.count() == before_states


def test_a_login_from_an_unknown_platform_is_refused(client, db):
    r = client.get("/lti/login/", {"iss": "https://lms.unknown.example", "login_hint": "x", "target_link_uri": "http://testserver/lti/launch/"})
    refused(client, r, "no platform with issuer")
    assert not LoginState.objects.exists()


def test_a_launch_without_id_token_or_with_garbage_is_refused(client, db):
    refused(client, client.post("/lti/launch/", {"state": "x"}), "no id_token")
    refused(client, client.post("/lti/launch/", {"id_token": "not.a.jwt", "state": "x"}), "not a JWT")
    assert client.get("/lti/launch/").status_code == 405


def test_a_student_cannot_deep_link(client, launch, course):
    before = snapshot()
    r = launch({**GOOD, "context": context(), "message_type": "LtiDeepLinkingRequest"})
    refused(client, r, "only instructors add Syllabus content", status=403)
    assert snapshot() == before


class EndlessKeySet:
    """A platform key set URL that answers a body without end (at most ``LIMIT`` bytes, so that a
    tool reading it all still ends): ``sent`` counts what left the server."""

    LIMIT = 60_000_000

    def __init__(self):
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        outer = self
        self.sent = 0

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                chunk = b" " * 65536
                try:
                    self.wfile.write(b'{"keys": [')
                    while outer.sent < EndlessKeySet.LIMIT:
                        self.wfile.write(chunk)
                        outer.sent += len(chunk)
                except OSError:   # the tool hung up
                    pass

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


def test_a_platform_key_set_without_end_is_refused_not_read_into_memory(client, launch, platform, before):
    """pylti1p3 reads the key set with ``response.json()``: the outbound session stops it at
    KEY_SET_MAX bytes and the launch is refused naming the key set, nothing created."""
    from syllabus.lti.models import Platform
    from syllabus.lti.services import KEY_SET_MAX

    server = EndlessKeySet()
    try:
        Platform.objects.filter(pk=platform.pk).update(keyset_url=server.url + "/jwks")
        r = launch({**GOOD, "context": context()})
        refused(client, r, f"key set ({server.url}/jwks) could not be read", status=502)
        assert f"larger than {KEY_SET_MAX:,} bytes" in r.content.decode()
        assert snapshot() == before
        assert server.sent < 10 * KEY_SET_MAX   # stopped early, not read to the end
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()


@pytest.mark.parametrize("who,words", [
    ({"is_superuser": True, "is_staff": True}, "is a platform superuser: it signs in with its password here"),
    ({"expiry_date": __import__("datetime").date(2020, 1, 1)}, "expired on 2020-01-01"),
    ({"is_active": False}, "is inactive"),
], ids=["superuser", "expired", "inactive"])
def test_a_launch_matched_to_a_person_who_may_not_sign_in_this_way_is_refused(client, launch, before, make_user, who, words):
    """The LMS is registered by the institution's administrator, who cannot reach a platform
    superuser's account in the admin: a launch naming one (by sourcedid or e-mail) must not
    either.  An expired or inactive person is refused as at every other way in."""
    make_user("root", email="root@uni.edu", **who)
    before = snapshot()
    for claims in ({"sub": "lms-root-1", "sourcedid": "root"}, {"sub": "lms-root-2", "email": "root@uni.edu"}):
        r = launch({**claims, "roles": [LEARNER], "context": context()})
        refused(client, r, f"the account &#x27;root&#x27; {words}", status=403)
        assert snapshot() == before


# --- LMS-1: an LMS e-mail address never hands over a staff account unless the platform is trusted ---

def _staff(make_user, kind: str):
    from syllabus.org.roles import Role

    if kind == "librarian":
        return make_user("libby", email="libby@uni.edu", group="staff", roles=[Role.COURSE_RESERVES_OPERATOR])
    if kind == "institution-admin":
        return make_user("libby", email="libby@uni.edu", group="staff", roles=[Role.GENERAL_SYSTEM_ADMINISTRATOR])
    if kind == "work-order-operator":
        return make_user("libby", email="libby@uni.edu", group="staff", roles=[Role.WORK_ORDER_OPERATOR])
    return make_user("libby", email="libby@uni.edu", group="staff", is_staff=True)


@pytest.mark.parametrize("kind", ["librarian", "institution-admin", "work-order-operator", "staff-flag"])
def test_an_email_match_to_a_person_with_back_office_rights_is_refused_by_default(client, launch, before, make_user, kind):
    """A student whose LMS lets them set their e-mail to a librarian's must not become the librarian:
    refused naming the rule and the setting, nothing created (no identity: a later launch by the
    same sub is not linked either), nobody signed in, the refusal logged."""
    _staff(make_user, kind)
    before = snapshot()
    r = launch({"sub": "lms-student-evil", "email": "LIBBY@uni.edu", "roles": [LEARNER], "context": context()})
    refused(client, r, "belongs to an account with back-office rights", status=403)
    assert "Trust the LMS&#x27;s e-mail addresses for staff accounts" in r.content.decode()
    assert snapshot() == before
    assert not Identity.objects.filter(sub="lms-student-evil").exists()


def test_an_email_match_to_a_student_or_instructor_without_back_office_rights_still_signs_them_in(client, launch, course, make_user):
    person = make_user("plain", email="plain@uni.edu")
    r = launch({"sub": "lms-plain", "email": "plain@uni.edu", "roles": [LEARNER], "context": context()})
    assert r.status_code == 302
    assert client.session["_auth_user_id"] == str(person.pk)
    assert Identity.objects.get(sub="lms-plain").user == person


def test_an_address_a_person_typed_themselves_never_hands_them_anothers_lms_account(client, launch, course, make_user,
                                                                                    student):
    """LMS-1, session 16.  Before: a student typed the professor's address in their contact details
    (/notifications/preferences/, nothing verifies it), and the professor's first launch — matched by
    e-mail — linked the professor's LMS account to the student's: every later launch signed the
    professor in as the student and made the student instructor of the professor's course.  Now an
    address a person typed gets letters but matches nobody; the professor gets their own account."""
    from tests.lti.conftest import INSTRUCTOR

    client.force_login(student)
    assert client.post("/notifications/preferences/", {"email": "prof@uni.edu", "email_enabled": "on"}).status_code == 302
    student.refresh_from_db()
    assert student.email == "prof@uni.edu" and not student.email_verified
    client.logout()
    r = launch({"sub": "lms-prof", "email": "prof@uni.edu", "roles": [INSTRUCTOR], "context": context()})
    assert r.status_code == 302, r.content[:400]
    professor = Identity.objects.get(sub="lms-prof").user
    assert professor != student and client.session["_auth_user_id"] == str(professor.pk)
    assert not course.instructors.filter(pk=student.pk).exists()


def test_a_trusted_platform_matches_staff_by_email_and_the_stored_sub_always_matches(client, launch, course, platform, make_user):
    from syllabus.lti import services

    libby = _staff(make_user, "librarian")
    services.set_trust_email_for_staff(None, platform, True)
    assert AuditEntry.objects.filter(action="trust e-mail for staff accounts on").exists()
    r = launch({"sub": "lms-libby", "email": "libby@uni.edu", "roles": [LEARNER], "context": context()})
    assert r.status_code == 302 and client.session["_auth_user_id"] == str(libby.pk)
    # turned off again: the LMS account already linked (issuer + sub) still signs her in
    services.set_trust_email_for_staff(None, platform, False)
    client.logout()
    r = launch({"sub": "lms-libby", "email": "someone.else@uni.edu", "roles": [LEARNER], "context": context()})
    assert r.status_code == 302 and client.session["_auth_user_id"] == str(libby.pk)


def test_the_roster_sync_does_not_link_a_member_to_a_staff_account_by_email(client, launch, lms, course, instructor, make_user,
                                                                        django_capture_on_commit_callbacks):
    """The roster would otherwise store (issuer, sub) → the librarian, and the member's next launch
    would match by sub: the member is refused (counted), nothing is created for them."""
    from tests.lti.conftest import INSTRUCTOR

    libby = _staff(make_user, "librarian")
    lms.control("members", {"context_id": "ctx-hist", "page_size": 10, "members": [
        {"user_id": "lms-teacher-1", "roles": [INSTRUCTOR], "status": "Active", "lis_person_sourcedid": "instructor"},
        {"user_id": "u-evil", "roles": [LEARNER], "status": "Active", "email": "libby@uni.edu"},
    ]})
    with django_capture_on_commit_callbacks(execute=True):
        r = launch({"sub": "lms-teacher-1", "sourcedid": "instructor", "roles": [INSTRUCTOR], "context": context()})
    assert r.status_code == 302
    assert not Identity.objects.filter(sub="u-evil").exists()
    assert not Enrollment.objects.filter(course=course, user=libby).exists()
    assert ContextLink.objects.get(context_id="ctx-hist").last_sync["refused"] == 1
    assert "refused 1 (e-mail of a staff account, LMS-1)" in AuditEntry.objects.get(action="roster synced").note
