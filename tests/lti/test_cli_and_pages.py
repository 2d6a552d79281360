"""LMS-1: platform registration by command (add-platform, add-deployment, list-platforms,
rotate-key) and in the admin; the LTI pages after a launch for every role and institution."""
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from syllabus.lti.models import Platform, ToolKey


def cmd(*args) -> list[str]:
    out = io.StringIO()
    call_command("lti", *args, stdout=out)
    return out.getvalue().strip().splitlines()


def test_add_platform_prints_the_urls_to_paste_and_list_platforms_shows_it(inst_a):
    lines = cmd("add-platform", "--institution", "inst-a", "--issuer", "https://canvas.instructure.com", "--client-id", "10000000000042",
                "--deployment-id", "1:abc", "--auth-login-url", "https://sso.canvaslms.com/api/lti/authorize_redirect",
                "--auth-token-url", "https://sso.canvaslms.com/login/oauth2/token",
                "--keyset-url", "https://sso.canvaslms.com/api/lti/security/jwks", "--course-match", "context_id",
                "--base-url", "https://syllabus.uni.edu")
    assert lines[0].startswith("registered https://canvas.instructure.com (10000000000042) for inst-a")
    assert "  login URL: https://syllabus.uni.edu/lti/login/" in lines
    assert "  launch URL: https://syllabus.uni.edu/lti/launch/" in lines
    assert "  jwks URL: https://syllabus.uni.edu/lti/jwks/" in lines
    assert ToolKey.objects.count() == 1  # the key pair exists once a platform is registered
    cmd("add-deployment", "--issuer", "https://canvas.instructure.com", "--client-id", "10000000000042", "--deployment-id", "2:def")
    listing = cmd("list-platforms", "--institution", "inst-a")
    assert "deployments 1:abc, 2:def" in listing[0] and "match context_id" in listing[0] and listing[-1] == "1 platform(s)"
    assert "staff e-mail not trusted" in listing[0]  # LMS-1: off unless asked for
    assert "staff matched by e-mail: no" in lines[0]
    out = cmd("set-platform", "--issuer", "https://canvas.instructure.com", "--client-id", "10000000000042",
              "--trust-email-for-staff", "on")
    assert "staff matched by e-mail: yes" in out[0] and Platform.objects.get().trust_email_for_staff
    assert "staff e-mail trusted" in cmd("list-platforms", "--institution", "inst-a")[0]
    # how launches find their course and person (LMS-1)
    out = cmd("set-platform", "--issuer", "https://canvas.instructure.com", "--client-id", "10000000000042",
              "--course-match", "lis_section", "--username-claim", "brightspace_org_defined_id")
    assert "course match: lis_section; username: brightspace_org_defined_id" in out[0]
    listing = cmd("list-platforms", "--institution", "inst-a")[0]
    assert "match lis_section" in listing and "username brightspace_org_defined_id" in listing
    with pytest.raises(CommandError, match="say what to change"):
        cmd("set-platform", "--issuer", "https://canvas.instructure.com", "--client-id", "10000000000042")


def test_bad_registrations_are_refused_with_the_rule(inst_a):
    base = ["add-platform", "--institution", "inst-a", "--client-id", "x", "--auth-login-url", "https://l.example/a",
            "--auth-token-url", "https://l.example/t", "--keyset-url", "https://l.example/k"]
    with pytest.raises(CommandError, match="LMS-1: issuer must be an http"):
        cmd(*base, "--issuer", "not a url")
    cmd(*base, "--issuer", "https://l.example")
    with pytest.raises(CommandError, match="LMS-1: a platform with issuer https://l.example and client id x is already registered"):
        cmd(*base, "--issuer", "https://l.example")
    with pytest.raises(CommandError, match="no institution"):
        cmd(*[a if a != "inst-a" else "nope" for a in base], "--issuer", "https://m.example")
    assert Platform.objects.count() == 1


def test_rotate_key_keeps_the_old_key_published(db):
    from syllabus.lti import keys

    first = keys.signing_key()
    lines = cmd("rotate-key")
    assert lines[0].startswith("new signing key ")
    assert {k.kid for k in keys.published()} == {first.kid, keys.signing_key().kid}


def test_an_institution_admin_registers_platforms_in_the_admin_and_sees_only_theirs(client, admin_user, inst_b):
    Platform.objects.create(institution=inst_b, issuer="https://other.example", client_id="b", auth_login_url="https://other.example/a",
                            auth_token_url="https://other.example/t", keyset_url="https://other.example/k")
    client.force_login(admin_user)
    page = client.get("/admin/lti/platform/add/")
    assert page.status_code == 200 and b"/lti/login/" in page.content
    r = client.post("/admin/lti/platform/add/", {
        "institution": admin_user.institution_id, "name": "Moodle", "issuer": "https://moodle.uni.edu", "client_id": "m1",
        "auth_login_url": "https://moodle.uni.edu/mod/lti/auth.php", "auth_token_url": "https://moodle.uni.edu/mod/lti/token.php",
        "keyset_url": "https://moodle.uni.edu/mod/lti/certs.php", "course_match": "lis_section", "active": "on", "auth_audience": "",
        "username_claim": "sourcedid",
        "trust_email_for_staff": "on",
        "created_at_0": "2026-03-02", "created_at_1": "09:00:00",
        "deployments-TOTAL_FORMS": "1", "deployments-INITIAL_FORMS": "0", "deployments-0-deployment_id": "7"})
    assert r.status_code == 302, r.content[:2000]
    moodle = Platform.objects.get(client_id="m1")
    assert list(moodle.deployments.values_list("deployment_id", flat=True)) == ["7"]
    assert moodle.trust_email_for_staff  # LMS-1: the setting is on the admin form
    assert (moodle.course_match, moodle.username_claim) == ("lis_section", "sourcedid")
    assert b"Username in the launch" in page.content and b"LIS course section sourcedId" in page.content
    assert b"Trust the LMS" in page.content or b"trust the LMS" in page.content
    listing = client.get("/admin/lti/platform/")
    assert b"moodle.uni.edu" in listing.content and b"other.example" not in listing.content


@pytest.mark.parametrize("who", ["student", "instructor", "librarian"])
def test_the_lti_pages_need_the_launch_state_and_stay_in_the_institution(client, request, course, make_user, inst_b, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get("/lti/context/").status_code == 404       # no unmatched launch in this session
    assert client.get("/lti/deep-link/").status_code == 404     # no deep-linking launch in this session
    assert client.post("/lti/context/", {"action": "create"}).status_code == 404
    page = client.get(f"/lti/courses/{course.pk}/")
    assert page.status_code == 200
    assert (b"lti-create-list" in page.content) == (who == "instructor")
    client.force_login(make_user("outsider", institution=inst_b))
    assert client.get(f"/lti/courses/{course.pk}/").status_code == 404
