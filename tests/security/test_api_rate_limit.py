"""RATE-LIMIT, ``RATE_LIMIT_API`` (session 23): every authenticated API call counts, per bearer token
(a call made with the web session's cookie: per account).  With ``CACHE_URL`` the count is in Redis
(every worker of every host together, one round trip a call); without it, in the worker process's
memory — never the database, which would take SQLite's write lock on every read-only call.  Past the
limit: 429 problem details naming the rule and the setting, ``Retry-After``, nothing run."""
from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core.exceptions import ImproperlyConfigured

from syllabus.org import ratelimit
from syllabus.org.models import RateCount
from tests.rediscache import REDIS, shared_redis_cache

pytestmark = pytest.mark.django_db


def _refused(r, who="with this API token"):
    assert r.status_code == 429, r.content[:300]
    assert r["Content-Type"].startswith("application/problem+json")
    body = r.json()
    assert body["rule"] == "RATE-LIMIT" and body["status"] == 429, body
    assert "RATE_LIMIT_API" in body["detail"] and who in body["detail"], body
    assert 1 <= int(r["Retry-After"]) <= 60
    return body


def test_rate_limit_api_refuses_a_token_past_its_setting_and_counts_each_token_apart(api, student, make_user, clock, settings):
    settings.RATE_LIMIT_API = "3/minute"
    token, second_token, other = api(student), api(student), api(make_user("other"))
    for _ in range(3):
        assert token.get("/api/v1/me").status_code == 200
    body = _refused(token.get("/api/v1/me"))
    assert "at most 3 a minute" in body["detail"]
    assert second_token.get("/api/v1/me").status_code == 200   # the same person's other token: its own count
    assert other.get("/api/v1/me").status_code == 200           # another person
    clock.advance(dt.timedelta(seconds=30))
    r = _refused(token.get("/api/v1/me"))                        # still in the window: Retry-After shrinks
    assert r and int(token.get("/api/v1/me")["Retry-After"]) <= 30
    clock.advance(dt.timedelta(seconds=31))                      # the window is over
    assert token.get("/api/v1/me").status_code == 200
    assert not RateCount.objects.exists()                        # no write of the database for it


def test_rate_limit_api_refused_write_runs_nothing(api, instructor, course, clock, settings):
    from syllabus.lists.models import ResourceList

    settings.RATE_LIMIT_API = "1/minute"
    me = api(instructor)
    assert me.post("/api/v1/lists", {"title": "Week 1", "course_ids": [course.pk]}).status_code == 201
    _refused(me.post("/api/v1/lists", {"title": "Week 2", "course_ids": [course.pk]}))
    assert list(ResourceList.objects.values_list("title", flat=True)) == ["Week 1"]


def test_rate_limit_api_cookie_calls_count_per_account(client, api, student, clock, settings):
    settings.RATE_LIMIT_API = "2/minute"
    client.force_login(student)
    for _ in range(2):
        assert client.get("/api/v1/me").status_code == 200
    _refused(client.get("/api/v1/me"), who="from your account")
    client.logout()
    assert api(student).get("/api/v1/me").status_code == 200    # a token of that person counts apart


def test_rate_limit_api_off_and_bad_values_stop_the_start(api, student, clock, settings):
    from syllabus.org.apps import _check_rate_limits

    settings.RATE_LIMIT_API = "off"
    me = api(student)
    for _ in range(5):
        assert me.get("/api/v1/me").status_code == 200
    assert _check_rate_limits() == []
    for bad in ("600", "lots/minute", "0/minute", "1000001/minute", "1/8days"):
        settings.RATE_LIMIT_API = bad
        errors = _check_rate_limits()
        assert [e.id for e in errors] == ["org.E001"] and "RATE_LIMIT_API" in errors[0].msg, bad
        with pytest.raises(ImproperlyConfigured, match="RATE_LIMIT_API"):
            ratelimit.rate("api")


def test_rate_limit_api_without_redis_is_counted_per_worker_process(api, student, clock, settings):
    """Without CACHE_URL: the threads of one worker share the count; another worker process (here:
    a fresh one, the process's counts forgotten) starts its own — the limit is per process, as
    documented."""
    settings.RATE_LIMIT_API = "2/minute"
    settings.CACHE_URL = ""
    from syllabus.org.models import hash_token

    me = api(student)
    assert me.get("/api/v1/me").status_code == 200
    raw = me.headers["HTTP_AUTHORIZATION"].removeprefix("Bearer ")
    request = type("R", (), {"META": {}})()
    box = {}

    def other_thread():   # a second thread of the worker (gthread) counting that token's call
        try:
            ratelimit.hit("api", request, who=(f"token:{hash_token(raw)[:32]}", "with this API token"))
            box["v"] = "allowed"
        except ratelimit.RateLimited:
            box["v"] = "refused"

    t = threading.Thread(target=other_thread)
    t.start()
    t.join(30)
    assert box["v"] == "allowed"
    _refused(me.get("/api/v1/me"))
    ratelimit.forget_local()
    assert me.get("/api/v1/me").status_code == 200
    assert not RateCount.objects.exists()


@pytest.fixture
def shared_cache(settings):
    with shared_redis_cache("test-apilimit", CACHE_URL=REDIS):
        yield


def test_rate_limit_api_with_redis_counts_for_every_worker_in_one_round_trip(api, student, clock, settings, shared_cache):
    import redis.connection
    from django.core.cache import cache

    settings.RATE_LIMIT_API = "3/minute"
    me = api(student)
    assert me.get("/api/v1/me").status_code == 200
    ratelimit.forget_local()                       # another worker: nothing of this process's memory counts
    assert me.get("/api/v1/me").status_code == 200
    sent = []
    real = redis.connection.Connection.send_packed_command

    def counting(self, command, check_health=True):
        sent.append(command)
        return real(self, command, check_health)

    request = type("R", (), {"META": {}})()
    redis.connection.Connection.send_packed_command = counting
    try:
        ratelimit.hit("api", request, who=("token:probe", "with this API token"))
    finally:
        redis.connection.Connection.send_packed_command = real
    assert len(sent) == 1, sent                    # INCR and EXPIRE in one MULTI/EXEC
    # the key expires at the window's end by the injectable clock (09:00:00 → 09:01:00)
    key = [k for k in cache._cache.get_client().keys(cache.make_key("rl:*"))]
    ttls = {cache._cache.get_client().ttl(k) for k in key}
    assert key and all(1 <= t <= 61 for t in ttls), ttls
    assert me.get("/api/v1/me").status_code == 200
    _refused(me.get("/api/v1/me"))
    clock.advance(dt.timedelta(seconds=61))
    assert me.get("/api/v1/me").status_code == 200
    assert not RateCount.objects.exists()


def test_rate_limit_api_is_documented_on_every_authenticated_operation(client, db):
    doc = client.get("/api/v1/openapi.json").json()
    assert "429" in doc["paths"]["/api/v1/me"]["get"]["responses"]
    assert "429" in doc["paths"]["/api/v1/lists"]["post"]["responses"]
    assert "429" not in doc["paths"]["/api/v1/problems/{rule}"]["get"]["responses"]   # open to anyone, no limit
