"""Every page of every app refuses an anonymous visitor: a GET is sent to the sign-in page
(or answers 401/403/404/405), a POST changes nothing and never succeeds.  The URL map is
walked, so a new page is covered the day it is added; pages public on purpose are listed in
PUBLIC with the reason."""
from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

# name → why anyone may open it
PUBLIC = {
    "healthz": "load balancers probe it (ORG / deployment)",
    "web:login": "the sign-in page itself",
    "web:logout": "signing out is harmless when signed out",
    "set_language": "Django's language switch: sets a cookie, no data",
    "lti:login": "LTI 1.3 OIDC login initiation: the LMS sends the browser here before anyone is signed in (LMS-1)",
    "lti:launch": "LTI 1.3 launch: the LMS posts a signed id_token; it is what signs the person in (LMS-1)",
    "lti:jwks": "the tool's public keys: LMSs fetch them to verify deep-linking and service tokens (LMS-1)",
    "lti:register": "LTI Dynamic Registration: the LMS opens the one-time registration link, often without Syllabus "
                    "cookies; the link's secret authorises it (LMS-1)",
    "lti:session": "after a launch, the frame asks whether its session cookie came back (only yes or no, LMS-1)",
    "lti:continue": "\"Open in a new window\": its one-time ticket of a launch is what signs the person in (LMS-1)",
    # LMS-3: single sign-on is how an anonymous visitor becomes a signed-in one
    "sso:login": "an identity provider's sign-in button starts here",
    "sso:oidc-callback": "the OpenID provider sends the browser back here (state, nonce and PKCE checked)",
    "sso:saml-metadata": "the SP metadata that identity providers read",
    "sso:saml-acs": "the SAML IdP posts its signed assertion here",
    "sso:saml-sls": "SAML single logout messages from the IdP (signed)",
    "sso:oidc-backchannel-logout": "the OpenID provider posts a signed logout token here, server to server",
    "sso:saml-discovery-start": "off to the institution's external IdP discovery service, before anyone is signed in",
    "sso:saml-discovery": "the discovery service sends the chosen IdP back here (it must be the institution's)",
    "sso:oidc-frontchannel-logout": "the OpenID provider's logout page loads it in a frame (iss and sid); it ends "
                                    "sessions, never shows or grants anything",
    "web:favicon": "browsers ask for /favicon.ico before anyone signs in; it leads to the static icon",
}
REFUSED = {301, 302, 401, 403, 404, 405}


def _patterns(resolver=None, prefix="", namespace=""):
    resolver = resolver or get_resolver()
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            ns = p.namespace or namespace
            if ns == "admin" or str(p.pattern).startswith("api/"):
                continue  # Django's admin has its own login; the API is covered by tests/api
            yield from _patterns(p, prefix + str(p.pattern), f"{ns}:" if p.namespace else namespace)
        elif isinstance(p, URLPattern):
            yield (namespace + (p.name or "")), prefix + str(p.pattern)


def _concrete(route: str) -> str:
    path = re.sub(r"<id:[^>]+>", "1", route)
    path = re.sub(r"<[^>]+>", "x", path)
    path = re.sub(r"\(\?P<[^>]+>\\d\+\)", "1", path)
    path = re.sub(r"\(\?P<(\w+)>([a-z-]+)\|[^)]*\)", r"\2", path)
    path = path.replace("^", "").replace("$", "").replace("\\", "")
    return "/" + path


PAGES = sorted(set(_patterns()))


def test_the_walk_finds_every_app():
    prefixes = {path.split("/")[0] for _, path in PAGES}
    assert {"lists", "catalog", "discussion", "notifications", "services", "lending", "courses", "lti"} <= prefixes
    assert {"lists", "catalog", "discussion", "notifications", "services", "lending", "courses", "circulation"} <= prefixes
    assert len(PAGES) > 60


@pytest.mark.parametrize("name,route", PAGES, ids=[r for _, r in PAGES])
def test_anonymous_visitors_are_refused(client, db, name, route):
    path = _concrete(route)
    get = client.get(path)
    if name in PUBLIC:
        assert get.status_code < 500
        return
    assert get.status_code in REFUSED, f"GET {path} ({name}) answered {get.status_code} to an anonymous visitor"
    if get.status_code in (301, 302):
        assert get["Location"].startswith("/login/"), f"GET {path} ({name}) sent an anonymous visitor to {get['Location']}"
    post = client.post(path, {"title": "x", "q": "x"})
    assert post.status_code in REFUSED, f"POST {path} ({name}) answered {post.status_code} to an anonymous visitor"


def test_every_public_exception_names_a_real_page():
    assert set(PUBLIC) <= {name for name, _ in PAGES}


# --- students and instructors stay out of the back office ------------------------------------
# The back-office pages without parameters (the walk below proves the list covers every such
# page: a new one must be placed on one side or the other).
BACK_OFFICE = {
    "acquisitions:tasks", "consortium:config", "consortium:ill", "consortium:ill-partners",
    "circulation:accessible", "circulation:holds", "circulation:personal-copies", "discussion:alerts", "fulfillment:config", "fulfillment:work", "lending:monitor", "lending:policies",
    "lending:policy-new", "lending:search", "lists:rollover", "lti:registrations", "lists:tasks", "notify:letters", "notify:outbox",
    "org:merge", "org:duplicates",  # ORG-MERGE: the institution's General System Administrators
}
FRONT = {
    "catalog:cite-it", "catalog:cite-it-harvest", "catalog:cite-it-save", "catalog:collect-citation",
    "catalog:collection", "catalog:list-import-template", "consortium:gateway", "consortium:cross-mine", "consortium:ill-ask", "consortium:ill-mine", "catalog:lookup-fill", "catalog:reserves", "catalog:search", "circulation:card", "discussion:index",
    "fulfillment:mine", "healthz", "lending:browse", "lending:card", "lists:create", "lists:mine", "notify:list",
    "notify:nav", "notify:preferences", "notify:read-all", "resolver:openurl", "set_language", "web:courses",
    "web:home", "web:login", "web:logout", "web:favicon", "lti:login", "lti:launch", "lti:jwks", "lti:context", "lti:deep-link",
    "lti:session", "lti:continue",
    "analytics:index", "analytics:mine", "analytics:events",
    "acquisitions:suggest", "acquisitions:mine",  # a reader's purchase suggestion from Find it and their requests (SRV-3)
}
FIXED = [(name, route) for name, route in PAGES if "<" not in route and "(?P" not in route]


def test_every_page_without_parameters_is_placed_front_or_back():
    assert {name for name, _ in FIXED} == BACK_OFFICE | FRONT


@pytest.mark.parametrize("who", ["student", "instructor"])
@pytest.mark.parametrize("name", sorted(BACK_OFFICE))
def test_students_and_instructors_are_refused_the_back_office(client, request, who, name):
    client.force_login(request.getfixturevalue(who))
    route = dict(FIXED)[name]
    response = client.get(_concrete(route))
    assert response.status_code in {403, 404}, f"a {who} opened the back-office page /{route} ({response.status_code})"


@pytest.mark.parametrize("name", sorted(FRONT - {"web:logout"}))
def test_a_student_opens_the_front_pages_without_error(client, student, name):
    client.force_login(student)
    assert client.get(_concrete(dict(FIXED)[name])).status_code < 500
