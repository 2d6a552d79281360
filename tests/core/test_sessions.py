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


# --- the person and the configuration read with the session (issue 19, session 11) -------------


def _home(client: Client):
    from django.urls import reverse

    return client.get(reverse("web:home"))


def test_a_known_session_reads_its_person_and_configuration_in_its_round_trip(inst_a):
    """On PostgreSQL, from a session's second request on, the person and their institution's
    configuration travel with the session's read: one round trip where there were three."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    person = UserFactory(institution=inst_a)
    client = _signed_in(person)
    with CaptureQueriesContext(connection) as first:
        assert _home(client).wsgi_request.user.pk == person.pk
    with CaptureQueriesContext(connection) as second:
        assert _home(client).wsgi_request.user.pk == person.pk
    reads = [q["sql"] for q in second.captured_queries if any(f"EXECUTE {p}_" in q["sql"] for p in ("ses", "usr", "cfg"))]
    if connection.vendor == "postgresql":
        assert len(reads) == 1
        assert reads[0].count("EXECUTE") == 3 and all(f"EXECUTE {p}_" in reads[0] for p in ("ses", "usr", "cfg"))
        assert len(second) < len(first)
    else:   # one statement per query on SQLite: nothing travels together
        assert not reads and not any(";" in q["sql"].strip().rstrip(";") for q in second.captured_queries)


def test_a_change_of_the_person_or_their_configuration_shows_on_the_next_request(inst_a):
    from syllabus.org.models import ConfigValue

    person = UserFactory(institution=inst_a, first_name="Ada")
    client = _signed_in(person)
    for _ in range(2):
        assert _home(client).wsgi_request.user.first_name == "Ada"
    type(person).objects.filter(pk=person.pk).update(first_name="Grace")   # by another process, no signal
    assert _home(client).wsgi_request.user.first_name == "Grace"
    assert '<html lang="en">' in _home(client).content.decode()
    ConfigValue.objects.create(key="default_language", value="fr", institution=inst_a)
    assert '<html lang="fr">' in _home(client).content.decode()
    ConfigValue.objects.filter(key="default_language").update(value="en")   # no signal
    assert '<html lang="en">' in _home(client).content.decode()
    type(person).objects.filter(pk=person.pk).update(is_active=False)
    assert not _home(client).wsgi_request.user.is_authenticated


def test_a_session_that_now_names_another_person_signs_that_person_in(inst_a):
    """What is read with the session is a guess from the key's last request: when the session
    row now names someone else, that person is signed in, never the one guessed."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    person, other = UserFactory(institution=inst_a), UserFactory()
    client = _signed_in(person)
    for _ in range(2):
        assert _home(client).wsgi_request.user.pk == person.pk
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    store = SessionStore(session_key=key)
    data = store.load()
    data.update({SESSION_KEY: str(other.pk), HASH_SESSION_KEY: other.get_session_auth_hash(),
                 BACKEND_SESSION_KEY: data[BACKEND_SESSION_KEY]})
    Session.objects.filter(session_key=key).update(session_data=store.encode(data))
    for _ in range(2):
        assert _home(client).wsgi_request.user.pk == other.pk


def test_a_session_decoded_once_per_process_still_checks_its_signature_and_gives_each_request_its_own_copy(engine):
    """Issue 19, session 14: the session's data is decoded once per process for the same signed
    text and keys.  A text altered in the database (its signature no longer matches) signs no
    one in; put back, it signs the person in again; a new secret key makes the same text
    unreadable; a value changed in one request's copy (a nested one too) is not in the next."""
    from django.contrib.sessions.backends.db import SessionStore as DjangoStore
    from django.core.cache import cache

    from syllabus.core import sessions

    person = UserFactory()
    client = _signed_in(person)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    store = DjangoStore(session_key=key)
    store["cart"] = {"items": [1]}
    store.save()
    assert _is_signed_in(client, person)
    row = Session.objects.get(session_key=key)
    cache.clear()
    Session.objects.filter(session_key=key).update(session_data=row.session_data[:-2] + ("AA" if row.session_data[-2:] != "AA" else "BB"))
    assert not _is_signed_in(client, person), "a text whose signature does not match"
    Session.objects.filter(session_key=key).update(session_data=row.session_data)
    cache.clear()
    assert _is_signed_in(client, person)
    engine_store = sessions.db.SessionStore(session_key=key)
    first = engine_store.decode(row.session_data)
    first["cart"]["items"].append(2)
    first["extra"] = 1
    again = sessions.db.SessionStore(session_key=key).decode(row.session_data)
    assert again["cart"] == {"items": [1]} and "extra" not in again
    with override_settings(SECRET_KEY="another-secret-key-" + "x" * 40):
        assert sessions.db.SessionStore(session_key=key).decode(row.session_data) == {}


# --- the read path leaves the session alone (issue 19, session 16) ------------------------------


def test_a_signed_in_readers_pages_never_write_their_session(engine, inst_a):
    """A person reading pages (their home page, again and again) does not write their session
    row, nor send its cookie again: Django saves a session only when something changed it —
    the student view's cost rests on that (no session ``UPDATE`` per page view).  Signing out
    still ends it at once."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    person = UserFactory(institution=inst_a)
    client = _signed_in(person)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    row = Session.objects.get(session_key=key)
    for _ in range(3):
        with CaptureQueriesContext(connection) as queries:
            response = _home(client)
        assert response.status_code == 200 and response.wsgi_request.user.pk == person.pk
        writes = [q["sql"] for q in queries.captured_queries if "django_session" in q["sql"]
                  and any(w in q["sql"].upper() for w in ("UPDATE ", "INSERT ", "DELETE "))]
        assert writes == []
        assert settings.SESSION_COOKIE_NAME not in response.cookies
    again = Session.objects.get(session_key=key)
    assert (again.session_data, again.expire_date) == (row.session_data, row.expire_date)
    from django.urls import reverse

    client.post(reverse("web:logout"))
    assert not Session.objects.filter(session_key=key).exists()
    assert not client.get("/").wsgi_request.user.is_authenticated
