"""Attack class: open redirects used for phishing, at the doors a tester tries first — the
sign-in page's ``next`` (before and after signing in), the SSO start's ``next`` (kept in the
session, never in RelayState, and checked again at the callback), an LTI login's
``target_link_uri``.  The views' own ``next`` fields: tests/catalog/test_open_redirects.py (with
its guard that every redirect of request data goes through ``syllabus.core.redirects.safe_next``)."""
import pytest
from django.test import RequestFactory

from syllabus.core.redirects import safe_next

pytestmark = pytest.mark.django_db

OFFSITE = ["https://evil.example/", "//evil.example/", "/\\evil.example", "\\\\evil.example", "http:evil.example",
           " https://evil.example", "\thttps://evil.example", "https:/\\evil.example", "javascript:alert(1)",
           "https://testserver@evil.example/", "https://evil.example\\@testserver/", "/\t/evil.example", "/\r\n/evil.example"]


@pytest.mark.parametrize("target", OFFSITE)
def test_the_sign_in_page_never_sends_you_off_site(client, instructor, target):
    r = client.post("/login/?next=" + target, {"username": instructor.username, "password": "pw", "next": target})
    assert r.status_code == 302 and not _offsite(r["Location"]), r["Location"]
    r = client.get("/login/", {"next": target})   # already signed in: redirect_authenticated_user
    assert r.status_code == 302 and not _offsite(r["Location"]), r["Location"]


@pytest.mark.parametrize("target", OFFSITE)
def test_safe_next_which_sso_and_every_view_use_refuses_them(target):
    request = RequestFactory().get("/")
    assert safe_next(request, target, fallback="/home/") == "/home/"


def test_an_lti_login_may_only_target_this_tool():
    from syllabus.lti.services import LaunchRefused, check_target_link

    for target in ["https://evil.example/lti/launch/", "http://testserver.evil.example/lti/launch/",
                   "http://evil.example/?http://testserver/", "https://testserver/lti/launch/"]:
        with pytest.raises(LaunchRefused):
            check_target_link(target, "http://testserver")
    assert check_target_link("http://testserver/lti/launch/", "http://testserver")


@pytest.mark.parametrize("target", OFFSITE)
def test_the_language_switch_never_sends_you_off_site(client, instructor, target):
    """Django's set_language reads ``next`` (field or query) and then the Referer: none may leave the site."""
    client.force_login(instructor)
    r = client.post("/i18n/setlang/", {"language": "fr", "next": target}, HTTP_REFERER=target)
    assert r.status_code == 302 and not _offsite(r["Location"]), r["Location"]
    r = client.post("/i18n/setlang/?next=" + target, {"language": "fr"})
    assert r.status_code == 302 and not _offsite(r["Location"]), r["Location"]


@pytest.mark.parametrize("target", OFFSITE)
def test_signing_out_never_sends_you_off_site(client, instructor, target):
    for how in ({"data": {"next": target}}, {"path": "/logout/?next=" + target}):
        client.force_login(instructor)
        r = client.post(how.get("path", "/logout/"), how.get("data", {}))
        assert r.status_code in (200, 302) and "_auth_user_id" not in client.session
        assert r.status_code == 200 or not _offsite(r["Location"]), r["Location"]


def _offsite(location: str) -> bool:
    from urllib.parse import urlsplit

    parts = urlsplit(location.strip().replace("\\", "/"))
    return bool(parts.netloc) and parts.netloc != "testserver" or parts.scheme not in ("", "http")
