"""The production WSGI handler (syllabus.core.wsgi, issue 19 session 14) keeps each path's URL
resolution per process: every request still gets the view and the arguments of its own path,
its own copy of them, and a path that does not resolve stays a 404."""
from __future__ import annotations

import io
import sys

import pytest

pytestmark = pytest.mark.django_db


def _get(app, path: str):
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen["status"] = status

    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "SCRIPT_NAME": "", "QUERY_STRING": "", "SERVER_NAME": "testserver",
               "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_HOST": "testserver", "wsgi.input": io.BytesIO(b""),
               "wsgi.errors": sys.stderr, "wsgi.url_scheme": "http", "wsgi.version": (1, 0), "wsgi.multithread": False,
               "wsgi.multiprocess": True, "wsgi.run_once": False}
    body = app(environ, start_response)
    b"".join(body)
    body.close()
    return int(seen["status"].split()[0])


def test_each_path_resolves_to_its_own_view_and_arguments(settings, monkeypatch):
    from django.urls import ResolverMatch

    from syllabus.core import wsgi

    settings.ALLOWED_HOSTS = ["testserver"]
    app = wsgi.Handler()
    seen: list[ResolverMatch] = []
    real = wsgi.Handler.resolve_request

    def spy(self, request):
        match = real(self, request)
        seen.append(match)
        return match

    monkeypatch.setattr(wsgi.Handler, "resolve_request", spy)
    for _ in range(2):
        for pk in (7, 8):
            assert _get(app, f"/lists/{pk}/") == 302   # (signed out: to the sign-in page)
    assert [(m.url_name, m.kwargs) for m in seen] == [("view", {"pk": 7}), ("view", {"pk": 8})] * 2
    assert seen[0] is not seen[2] and seen[0].kwargs is not seen[2].kwargs, "each request its own copy"
    seen[0].kwargs["pk"] = 99
    assert _get(app, "/lists/7/") == 302 and seen[-1].kwargs == {"pk": 7}
    for _ in range(2):
        assert _get(app, "/lists/99999999999999999999/") == 404   # (an id out of range: no match, never kept)
