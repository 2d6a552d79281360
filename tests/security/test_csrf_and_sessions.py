"""Attack classes: cross-site request forgery (every state-changing page, htmx posts, the API
through the session, the sign-in form itself) and session fixation (the session key changes at
every sign-in: local, SSO, LTI — all through ``django.contrib.auth.login``).  Clickjacking
(X-Frame-Options and ``frame-ancestors 'self'`` outside LTI frames) is tests/security/test_headers.py."""
import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

import syllabus

pytestmark = pytest.mark.django_db

# The only views that take a POST without our CSRF token, and why (each checks its own proof).
CSRF_EXEMPT = {
    "catalog:cite-it-harvest": "the bookmarklet posts from any site; the view changes nothing (saving is a protected POST)",
    "lti:login": "LTI 1.3 third-party initiated login comes from the LMS (state + nonce + cookie)",
    "lti:launch": "the LMS posts a signed id_token (JWT checked against the platform's keys, single-use nonce)",
    "lti:register": "Dynamic Registration: the LMS's frame carries no Syllabus cookie; the link's one-time secret (hashed, "
                    "expiring, consumed on success) authorises the POST (LMS-1)",
    "lti:continue": "\"Open in a new window\": the frame had no CSRF cookie to give; a one-time two-minute ticket bound to "
                    "the launch's person, and Sec-Fetch-Site/Origin same-origin, stand for it (LMS-1)",
    "sso:saml-acs": "the IdP posts a signed, single-use SAML assertion answering our request",
    "sso:saml-sls": "the IdP's logout messages, checked by signature",
    "sso:oidc-backchannel-logout": "the OpenID provider posts server to server (no browser, no cookie); the logout token "
                                   "is signed by its key and used once (OpenID Connect Back-Channel Logout 1.0, LMS-3)",
}


def _views(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{p.namespace}:" if p.namespace else prefix
            yield from _views(p.url_patterns, ns)
        elif isinstance(p, URLPattern):
            yield f"{prefix}{p.name}", p.callback


def test_only_the_documented_views_are_csrf_exempt():
    exempt = {name for name, view in _views(get_resolver().url_patterns) if getattr(view, "csrf_exempt", False)}
    exempt -= {name for name in exempt if name.startswith("api-")}   # django-ninja: checked per operation, below
    assert exempt == set(CSRF_EXEMPT), exempt ^ set(CSRF_EXEMPT)


@pytest.fixture
def strict(instructor):
    client = Client(enforce_csrf_checks=True)
    client.force_login(instructor)
    return client


def test_a_page_post_without_the_token_is_refused_and_writes_nothing(strict, instructor, course):
    from syllabus.lists.models import ResourceList

    for headers in ({}, {"HTTP_HX_REQUEST": "true"}):   # a plain form and an htmx post alike
        r = strict.post("/lists/new/", {"title": "Forged", "courses": [course.pk]}, **headers)
        assert r.status_code == 403, r.status_code
    assert not ResourceList.objects.filter(title="Forged").exists()


def test_an_api_post_through_the_session_needs_the_token_a_bearer_token_does_not(strict, instructor, course):
    from syllabus.lists.models import ResourceList

    r = strict.post("/api/v1/lists", {"title": "Forged", "course_ids": [course.pk]}, content_type="application/json")
    assert r.status_code in (401, 403), r.status_code
    assert not ResourceList.objects.filter(title="Forged").exists()


def test_the_sign_in_form_needs_its_token_too(instructor):
    """Login CSRF: a forged sign-in would put the victim in the attacker's account."""
    r = Client(enforce_csrf_checks=True).post("/login/", {"username": instructor.username, "password": "pw"})
    assert r.status_code == 403


def test_signing_in_changes_the_session_key(client, instructor):
    """Session fixation: a key planted before sign-in is worthless after it."""
    client.get("/login/")
    session = client.session
    session["planted"] = True
    session.save()
    planted = session.session_key
    client.cookies["sessionid"] = planted
    r = client.post("/login/", {"username": instructor.username, "password": "pw"})
    assert r.status_code == 302, r.content[:300]
    assert client.cookies["sessionid"].value != planted
    from importlib import import_module

    from django.conf import settings
    from django.contrib.sessions.backends.base import SessionBase

    store: SessionBase = import_module(settings.SESSION_ENGINE).SessionStore(session_key=planted)
    assert "_auth_user_id" not in store.load()


def test_every_sign_in_goes_through_django_login():
    """The sibling guard: SSO and LTI sign people in only with ``django.contrib.auth.login``, which
    rotates the session key (and flushes another user's session); nothing sets the user by hand."""
    root = Path(syllabus.__file__).parent
    offenders = [f"{p.relative_to(root)}:{n}" for p in root.rglob("*.py")
                 for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1)
                 if re.search(r"_auth_user_id|auth\.SESSION_KEY|HASH_SESSION_KEY", line)]
    assert not offenders, offenders
