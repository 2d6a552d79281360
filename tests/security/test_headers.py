"""Issue 18 item 8: a strict Content-Security-Policy with a per-request nonce on every page, HSTS
and Secure session/CSRF cookies when served over HTTPS (directly or through a proxy that says so
in SECURE_PROXY_SSL_HEADER), and a CSP that other apps can widen (LTI's frame-ancestors)."""
import re
from pathlib import Path

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

import syllabus
from syllabus.web import csp

pytestmark = pytest.mark.django_db


def _directives(header: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


@pytest.mark.parametrize("path", ["/login/", "/", "/courses/", "/lists/", "/catalog/", "/admin/"])
def test_every_page_has_a_strict_policy_with_a_fresh_nonce(client, admin_user, path):
    client.force_login(admin_user)
    first, second = client.get(path, follow=True), client.get(path, follow=True)
    policy = _directives(first["Content-Security-Policy"])
    nonce = [s for s in policy["script-src"] if s.startswith("'nonce-")]
    assert nonce and "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"]
    assert "'unsafe-inline'" not in policy["style-src"] and policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'self'"] and policy["base-uri"] == ["'self'"]
    assert first["Content-Security-Policy"] != second["Content-Security-Policy"], "a nonce is used once"
    assert first["X-Content-Type-Options"] == "nosniff"


def test_the_pages_inline_style_carries_the_nonce(client, admin_user):
    client.force_login(admin_user)
    r = client.get("/")
    nonce = re.search(r"'nonce-([^']+)'", r["Content-Security-Policy"]).group(1)
    assert f'<style nonce="{nonce}">' in r.content.decode()


def test_no_template_has_an_inline_script_or_event_handler():
    """What the policy would block: every <script> has a src (or is JSON data, or has the nonce)
    and no element has an on...= handler or a javascript: URL of ours."""
    offenders = []
    for path in Path(syllabus.__file__).parent.rglob("templates/**/*.html"):
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"<script\b[^>]*>", text):
            tag = match.group(0)
            if "src=" not in tag and "application/json" not in tag and "csp_nonce" not in tag:
                offenders.append(f"{path.name}: {tag}")
        offenders += [f"{path.name}: {m.group(0)}" for m in re.finditer(r"\son[a-z]+\s*=\s*[\"']", text)]
    assert offenders == []


def test_https_gets_hsts_and_secure_cookies_plain_http_does_not(client, student):
    r = client.post("/login/", {"username": "student", "password": "pw"}, secure=True)
    assert r.status_code == 302 and r["Strict-Transport-Security"].startswith("max-age=31536000")
    assert r.cookies["sessionid"]["secure"] is True
    page = client.get("/login/", secure=True)
    assert "Strict-Transport-Security" in page
    client.logout()
    r = client.post("/login/", {"username": "student", "password": "pw"})
    assert "Strict-Transport-Security" not in r and not r.cookies["sessionid"]["secure"]


def test_behind_a_tls_proxy_the_forwarded_scheme_counts(client, student, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    r = client.post("/login/", {"username": "student", "password": "pw"}, HTTP_X_FORWARDED_PROTO="https")
    assert "Strict-Transport-Security" in r and r.cookies["sessionid"]["secure"] is True
    csrf_page = client.get("/login/", HTTP_X_FORWARDED_PROTO="https")
    assert all(c["secure"] for c in csrf_page.cookies.values())


def test_other_apps_widen_the_policy_and_an_lti_page_may_be_framed_by_its_platform():
    def view(request):
        csp.extend(request, "img-src", "https://covers.example")
        csp.allow_framing(request, "https://lms.example.edu")
        response = HttpResponse("launched")
        response["X-Frame-Options"] = "SAMEORIGIN"
        return response

    csp.register("form-action", "https://idp.example.org")
    try:
        response = csp.ContentSecurityPolicyMiddleware(view)(RequestFactory().get("/lti/launch/"))
    finally:
        csp.EXTRA.pop("form-action")
    policy = _directives(response["Content-Security-Policy"])
    assert policy["frame-ancestors"] == ["'self'", "https://lms.example.edu"] and "X-Frame-Options" not in response
    assert "https://covers.example" in policy["img-src"] and "https://idp.example.org" in policy["form-action"]


def test_an_uploaded_files_own_sandbox_policy_is_kept():
    def view(request):
        response = HttpResponse(b"%PDF-1.4")
        response["Content-Security-Policy"] = "sandbox"
        return response

    assert csp.ContentSecurityPolicyMiddleware(view)(RequestFactory().get("/f"))["Content-Security-Policy"] == "sandbox"


def test_in_a_session_from_an_lti_launch_the_lms_may_frame_pages_but_never_the_admin(client, admin_user, course):
    """After a launch, the platform may frame the pages the LMS shows (LMS-1), but the
    administration keeps X-Frame-Options and frame-ancestors 'self': a page on the LMS's origin
    cannot frame it and trick an administrator into clicking one of its actions."""
    client.force_login(admin_user)
    session = client.session
    session["lti"] = {"platform": 1, "origins": ["https://lms.example.edu"]}
    session.save()
    page = client.get(f"/courses/{course.pk}/")
    assert page.status_code == 200 and "X-Frame-Options" not in page
    assert _directives(page["Content-Security-Policy"])["frame-ancestors"] == ["'self'", "https://lms.example.edu"]
    for path in ("/admin/", "/admin/org/user/"):
        admin = client.get(path)
        assert admin.status_code == 200, path
        assert admin["X-Frame-Options"] in ("DENY", "SAMEORIGIN"), path
        assert _directives(admin["Content-Security-Policy"])["frame-ancestors"] == ["'self'"], path


def test_session_and_csrf_cookies_are_httponly_where_they_can_be_and_same_site_lax(client, student):
    """Session 15's look at the production cookie settings: the session cookie is HttpOnly (a
    script never reads it) and SameSite=Lax (a cross-site POST does not carry it — the CSRF token
    is the first defence, this the second); the CSRF cookie is Lax too (htmx reads the token from
    the page, not the cookie).  Only an LTI launch's session is widened to SameSite=None; Secure
    (syllabus/lti/middleware.py, tested there)."""
    page = client.get("/login/", secure=True)
    csrf = page.cookies["csrftoken"]
    assert csrf["samesite"] == "Lax" and csrf["secure"] is True
    r = client.post("/login/", {"username": "student", "password": "pw"}, secure=True)
    session = r.cookies["sessionid"]
    assert session["httponly"] is True and session["samesite"] == "Lax" and session["secure"] is True
