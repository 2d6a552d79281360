"""Sessions read from a shared cache (issue 19: Django's cached_db engine when CACHE_URL names
Redis) end everywhere at once: signing out in one worker, or a revocation through the session
engine (the SSO back-channel logout), leaves nothing valid that another worker could still
accept.  Without a shared cache the database alone holds sessions."""
from __future__ import annotations

import threading
from importlib import import_module

import pytest
from django.conf import settings
from django.test import Client
from tests.rediscache import shared_redis_cache

pytestmark = pytest.mark.django_db

CACHED_DB = "syllabus.core.sessions.cached_db"  # (what settings choose when CACHE_URL is set)


@pytest.fixture
def shared_cache():
    with shared_redis_cache("test-sessions", SESSION_ENGINE=CACHED_DB):
        yield


def _in_another_worker(fn):
    """Run ``fn`` in another thread: its own cache connection and database connection, as a
    separate worker process has."""
    box = {}

    def run():
        from django.db import connections

        try:
            box["value"] = fn()
        finally:
            connections.close_all()

    t = threading.Thread(target=run)
    t.start()
    t.join(30)
    return box.get("value")


def test_without_a_shared_cache_sessions_live_in_the_database_only():
    if not settings.CACHE_URL:
        assert settings.SESSION_ENGINE == "syllabus.core.sessions.db"
    else:
        assert settings.SESSION_ENGINE == CACHED_DB


def _user_id_of(key: str):
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key=key)
    return store.get("_auth_user_id")


def _signed_in(person) -> tuple[Client, str]:
    """A worker's browser signed in as ``person``, and its session key."""
    client = Client()
    client.force_login(person)
    assert client.get("/").status_code == 200
    return client, client.cookies[settings.SESSION_COOKIE_NAME].value


@pytest.mark.django_db(transaction=True)
def test_signing_out_ends_the_session_in_every_worker_at_once(shared_cache, student):
    client, key = _signed_in(student)
    from django.core.cache import caches

    cached = lambda: caches["default"].get(f"django.contrib.sessions.cached_db{key}")  # noqa: E731
    assert _in_another_worker(lambda: _user_id_of(key)) == str(student.pk)  # the other worker reads it (cache warm)
    assert _in_another_worker(cached) is not None  # ... from the shared cache
    other = Client()
    other.cookies[settings.SESSION_COOKIE_NAME] = key
    assert other.get("/").status_code == 200
    assert client.post("/logout/").status_code == 302
    assert _in_another_worker(lambda: _user_id_of(key)) is None and _in_another_worker(cached) is None
    assert other.get("/").status_code == 302  # sent to sign in


@pytest.mark.django_db(transaction=True)
def test_a_session_revoked_through_the_engine_ends_at_once(shared_cache, student):
    """As the SSO back-channel logout does (sso.services: ``SessionStore(session_key).delete()``)."""
    client, key = _signed_in(student)
    _in_another_worker(lambda: import_module(settings.SESSION_ENGINE).SessionStore(session_key=key).delete())
    assert client.get("/").status_code == 302
    assert _user_id_of(key) is None


@pytest.mark.django_db(transaction=True)
def test_a_session_read_from_the_cache_still_checks_the_person(shared_cache, student):
    """A cached session names the person; the person is read again on every request: one
    deactivated is signed out at once whatever the cache holds."""
    client = Client()
    client.force_login(student)
    assert client.get("/").status_code == 200
    student.is_active = False
    student.save(update_fields=["is_active"])
    assert client.get("/").status_code == 302
