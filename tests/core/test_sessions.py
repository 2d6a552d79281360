"""The session engines (syllabus.core.sessions: Django's, read by a prepared query, issue 19)
keep Django's outcome: a live session signs its person in, an expired or unknown one does not,
and a revoked one ends at once."""
from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client, override_settings

from syllabus.core import clock
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["syllabus.core.sessions.db", "syllabus.core.sessions.cached_db"])
def engine(request):
    with override_settings(SESSION_ENGINE=request.param):
        yield request.param


def _signed_in(person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def _is_signed_in(client: Client, person) -> bool:
    response = client.get("/")
    return response.wsgi_request.user.is_authenticated and response.wsgi_request.user.pk == person.pk


def test_a_live_session_signs_its_person_in_on_every_request(engine):
    person, other = UserFactory(), UserFactory()
    client, theirs = _signed_in(person), _signed_in(other)
    for _ in range(2):
        assert _is_signed_in(client, person)
        assert _is_signed_in(theirs, other)


def test_an_expired_session_signs_no_one_in(engine):
    person = UserFactory()
    client = _signed_in(person)
    assert _is_signed_in(client, person)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    Session.objects.filter(session_key=key).update(expire_date=clock.now() - dt.timedelta(seconds=1))
    from django.core.cache import cache

    cache.clear()  # (the cached engine would otherwise serve it from the cache, as Django's does)
    response = client.get("/")
    assert not response.wsgi_request.user.is_authenticated


def test_an_unknown_or_ended_session_key_signs_no_one_in(engine):
    person = UserFactory()
    client = _signed_in(person)
    client.cookies[settings.SESSION_COOKIE_NAME] = "x" * 32
    assert not client.get("/").wsgi_request.user.is_authenticated
    client = _signed_in(person)
    assert _is_signed_in(client, person)
    client.logout()
    assert not client.get("/").wsgi_request.user.is_authenticated
