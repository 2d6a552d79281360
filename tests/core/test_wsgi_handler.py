"""The production WSGI handler (syllabus.core.wsgi, issue 19 session 14) keeps each path's URL
resolution per process: every request still gets the view and the arguments of its own path,
its own copy of them, and a path that does not resolve stays a 404."""
from __future__ import annotations

import io
import sys

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """A raw handler call closes the database connection at each request's end (Django's
    ``close_old_connections`` on request_started/finished), which in a test is the transaction the
    test runs in; Django's own test client disconnects it the same way.  The 404 page renders the
    shell, which reads the database (session 17)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


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


def test_a_worker_freezes_its_objects_once_after_its_first_requests_and_still_collects_later_garbage(settings, monkeypatch):
    """Issue 19, session 16: after FREEZE_AFTER requests the process's objects are out of the
    cyclic collector's sight (its full collections no longer walk them); garbage made afterwards
    is collected as before, and a forked child counts its own requests again."""
    import gc
    import weakref

    from syllabus.core import wsgi

    settings.ALLOWED_HOSTS = ["testserver"]
    monkeypatch.setattr(wsgi, "FREEZE_AFTER", 3)
    monkeypatch.setattr(wsgi._Freeze, "pid", 0)
    monkeypatch.setattr(wsgi._Freeze, "done", False)
    app = wsgi.Handler()
    assert gc.get_freeze_count() == 0
    try:
        for _ in range(2):
            assert _get(app, "/lists/7/") == 302
        assert gc.get_freeze_count() == 0
        assert _get(app, "/lists/7/") == 302
        frozen = gc.get_freeze_count()
        assert frozen > 1000
        for _ in range(3):
            assert _get(app, "/lists/7/") == 302
        assert gc.get_freeze_count() <= frozen, "once per process (frozen objects may still be freed)"

        class Node:
            pass

        a, b = Node(), Node()
        a.other, b.other = b, a   # a reference cycle: only the cyclic collector frees it
        gone = weakref.ref(a)
        del a, b
        gc.collect()
        assert gone() is None
        monkeypatch.setattr(wsgi._Freeze, "pid", -1)   # as in a process forked since
        assert _get(app, "/lists/7/") == 302 and not wsgi._Freeze.done and wsgi._Freeze.count == 1
    finally:
        gc.unfreeze()
