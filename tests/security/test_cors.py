"""Cross-origin requests (session 21, API-CORS).

By default Syllabus answers no cross-origin request: no ``Access-Control-Allow-*`` header on any
answer, a preflight is not granted — a script on another site cannot read the API, signed in or
not (the browser keeps the answer from it).  An institution that embeds the API in its portal or
discovery layer (the public OpenURL resolver, or calls with a bearer token) lists the exact
origins in ``API_CORS_ALLOWED_ORIGINS``: only ``/api/v1/`` answers them, never with credentials
(cookies are not sent cross-origin, so the session cannot be used from the portal), never a
wildcard."""
from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

pytestmark = pytest.mark.django_db

PORTAL = "https://portal.example.edu"
EVIL = "https://evil.example"
RESOLVE = "/api/v1/resolve?rft.isbn=0141439513"


def _preflight(client, path, origin):
    return client.options(path, HTTP_ORIGIN=origin, HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
                          HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization")


def _cors_headers(r):
    return {k: v for k, v in r.headers.items() if k.lower().startswith("access-control-")}


def test_api_cors_by_default_no_origin_is_answered_and_no_preflight_granted(client, api, student):
    assert _cors_headers(client.get(RESOLVE, HTTP_ORIGIN=EVIL)) == {}
    assert _cors_headers(api(student).client.get("/api/v1/me", HTTP_ORIGIN=EVIL, **api(student).headers)) == {}
    pre = _preflight(client, "/api/v1/me", EVIL)
    assert _cors_headers(pre) == {}  # the browser refuses the request: no Access-Control-Allow-Origin


def test_api_cors_an_allowed_origin_reads_the_api_without_credentials(client, api, student, settings):
    settings.CORS_ALLOWED_ORIGINS = [PORTAL]
    r = client.get(RESOLVE, HTTP_ORIGIN=PORTAL)
    assert r.status_code == 200 and r["Access-Control-Allow-Origin"] == PORTAL
    assert "origin" in r["Vary"].lower() and "Access-Control-Allow-Credentials" not in r
    pre = _preflight(client, "/api/v1/me", PORTAL)
    assert pre.status_code == 200 and pre["Access-Control-Allow-Origin"] == PORTAL
    assert "authorization" in pre["Access-Control-Allow-Headers"].lower()
    assert "Access-Control-Allow-Credentials" not in pre
    # a bearer token from the portal's script works; another origin still gets nothing
    me = api(student)
    r = me.client.get("/api/v1/me", HTTP_ORIGIN=PORTAL, **me.headers)
    assert r.status_code == 200 and r["Access-Control-Allow-Origin"] == PORTAL
    assert _cors_headers(client.get(RESOLVE, HTTP_ORIGIN=EVIL)) == {}
    assert _cors_headers(_preflight(client, "/api/v1/me", EVIL)) == {}


def test_api_cors_the_pages_and_the_admin_never_answer_another_origin(client, settings):
    settings.CORS_ALLOWED_ORIGINS = [PORTAL]
    for path in ("/login/", "/admin/login/", "/catalog/", "/openurl?rft.isbn=0141439513"):
        assert _cors_headers(client.get(path, HTTP_ORIGIN=PORTAL)) == {}, path
        assert _cors_headers(_preflight(client, path, PORTAL)) == {}, path


def test_api_cors_the_setting_takes_exact_https_origins_only():
    from syllabus.settings import cors_origins

    assert cors_origins("") == []
    assert cors_origins(f"{PORTAL}, https://library.example.edu:8443") == [PORTAL, "https://library.example.edu:8443"]
    for bad in ("*", "https://*.example.edu", "http://portal.example.edu", "https://portal.example.edu/path",
                "portal.example.edu", "null"):
        with pytest.raises(ImproperlyConfigured, match="API_CORS_ALLOWED_ORIGINS"):
            cors_origins(bad)
    assert cors_origins("http://localhost:3000") == ["http://localhost:3000"]  # a developer's portal
