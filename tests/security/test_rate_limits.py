"""RATE-LIMIT (session 21): sign-in, launches, API tokens that are not valid, searches, look-ups of
other servers, imports and exports are counted per account (per network address when nobody is
signed in) in a store every web worker shares — Redis when ``CACHE_URL`` is set, else the
database, never a worker's memory — and refused past their setting, 429 with ``Retry-After`` and
the rule and setting named, before any work is done."""
from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import get_resolver

from syllabus.org import ratelimit
from syllabus.org.models import RateCount
from tests.rediscache import REDIS, shared_redis_cache

pytestmark = pytest.mark.django_db



def _problem(r, setting):
    assert r.status_code == 429, r.content[:300]
    body = r.json()
    assert body["rule"] == "RATE-LIMIT" and setting in body["detail"], body
    assert 1 <= int(r["Retry-After"]) <= 3600
    return body


def test_rate_limit_api_search_is_refused_past_its_setting_for_that_account_only(api, student, make_user, clock, settings):
    settings.RATE_LIMIT_SEARCH = "3/minute"
    mine, other = api(student), api(make_user("other"))
    for _ in range(3):
        assert mine.get("/api/v1/search?q=austen").status_code == 200
    body = _problem(mine.get("/api/v1/search?q=austen"), "RATE_LIMIT_SEARCH")
    assert "from your account" in body["detail"] and "at most 3 a minute" in body["detail"]
    assert other.get("/api/v1/search?q=austen").status_code == 200  # another account counts apart
    clock.advance(dt.timedelta(seconds=61))                                # the window ends
    assert mine.get("/api/v1/search?q=austen").status_code == 200


def test_rate_limit_the_search_page_answers_a_refusal_page_with_retry_after(client, student, clock, settings):
    settings.RATE_LIMIT_SEARCH = "2/minute"
    client.force_login(student)
    assert client.get("/catalog/?q=austen").status_code == 200
    assert client.get("/catalog/?q=austen").status_code == 200
    r = client.get("/catalog/?q=austen")
    assert r.status_code == 429 and int(r["Retry-After"]) >= 1
    text = r.content.decode()
    assert "RATE-LIMIT" in text and "RATE_LIMIT_SEARCH" in text


def test_rate_limit_the_anonymous_resolver_counts_by_network_address(client, db, clock, settings):
    settings.RATE_LIMIT_SEARCH = "2/minute"
    url = "/api/v1/resolve?rft.isbn=0141439513"
    for _ in range(2):
        assert client.get(url, REMOTE_ADDR="203.0.113.5").status_code == 200
    body = _problem(client.get(url, REMOTE_ADDR="203.0.113.5"), "RATE_LIMIT_SEARCH")
    assert "network address" in body["detail"]
    assert client.get(url, REMOTE_ADDR="203.0.113.6").status_code == 200


def test_rate_limit_bad_tokens_lock_the_address_even_for_a_right_token(client, student, clock, settings):
    from syllabus.org.services import create_api_token

    settings.RATE_LIMIT_BAD_TOKENS = "3/minute"
    _, good = create_api_token(student)
    me = "/api/v1/me"
    for n in range(3):
        r = client.get(me, HTTP_AUTHORIZATION=f"Bearer guess{n}", REMOTE_ADDR="198.51.100.9")
        assert r.status_code == 401
    _problem(client.get(me, HTTP_AUTHORIZATION="Bearer guess9", REMOTE_ADDR="198.51.100.9"), "RATE_LIMIT_BAD_TOKENS")
    # while refused, the right token from that address learns nothing either
    _problem(client.get(me, HTTP_AUTHORIZATION=f"Bearer {good}", REMOTE_ADDR="198.51.100.9"), "RATE_LIMIT_BAD_TOKENS")
    # the owner elsewhere is not affected; good tokens are not counted
    for _ in range(5):
        assert client.get(me, HTTP_AUTHORIZATION=f"Bearer {good}", REMOTE_ADDR="198.51.100.10").status_code == 200
    clock.advance(dt.timedelta(seconds=61))
    assert client.get(me, HTTP_AUTHORIZATION=f"Bearer {good}", REMOTE_ADDR="198.51.100.9").status_code == 200


def test_rate_limit_sign_in_posts_by_address_even_with_the_right_password(client, student, clock, settings):
    settings.RATE_LIMIT_SIGNIN = "3/minute"
    for n in range(3):
        client.post("/login/", {"username": f"nobody{n}", "password": "x"}, REMOTE_ADDR="192.0.2.44")
    r = client.post("/login/", {"username": "student", "password": "pw"}, REMOTE_ADDR="192.0.2.44")
    assert r.status_code == 429 and "_auth_user_id" not in client.session
    assert "RATE_LIMIT_SIGNIN" in r.content.decode()
    assert client.get("/login/", REMOTE_ADDR="192.0.2.44").status_code == 200  # the page itself still opens
    r = client.post("/login/", {"username": "student", "password": "pw"}, REMOTE_ADDR="192.0.2.45")
    assert r.status_code == 302 and client.session["_auth_user_id"] == str(student.pk)


def test_rate_limit_the_admins_password_change_cannot_be_used_to_guess_the_old_password(client, admin_user, clock, settings):
    settings.RATE_LIMIT_SIGNIN = "2/minute"
    client.force_login(admin_user)
    form = {"old_password": "guess", "new_password1": "An0ther-long-pass", "new_password2": "An0ther-long-pass"}
    for _ in range(2):
        assert client.post("/admin/password_change/", form).status_code == 200  # "your old password was wrong"
    r = client.post("/admin/password_change/", form)
    assert r.status_code == 429 and "RATE_LIMIT_SIGNIN" in r.content.decode()


def test_rate_limit_lti_launches_from_one_address_are_refused_before_the_launch_runs(client, db, clock, settings):
    settings.RATE_LIMIT_LAUNCH = "2/minute"
    for _ in range(2):
        assert client.post("/lti/launch/", {"id_token": "x"}, REMOTE_ADDR="192.0.2.80").status_code != 429
    r = client.post("/lti/launch/", {"id_token": "x"}, REMOTE_ADDR="192.0.2.80")
    assert r.status_code == 429 and "RATE_LIMIT_LAUNCH" in r.content.decode()


def test_rate_limit_an_api_import_past_the_limit_writes_nothing(api, instructor, course, clock, settings):
    from syllabus.lists import services as lists
    from syllabus.lists.models import Citation

    settings.RATE_LIMIT_IMPORT = "1/hour"
    lst = lists.create_list(instructor, title="Reading", courses=[course])
    ris = b"TY  - BOOK\nTI  - Emma\nER  - \n"
    client = api(instructor)

    def send():
        from django.core.files.uploadedfile import SimpleUploadedFile

        return client.client.post(f"/api/v1/lists/{lst.pk}/import", {"file": SimpleUploadedFile("a.ris", ris)},
                                  **client.headers)

    assert send().status_code == 200
    _problem(send(), "RATE_LIMIT_IMPORT")
    assert Citation.objects.filter(resource_list=lst).count() == 1


@pytest.mark.django_db(transaction=True)
def test_rate_limit_counts_live_in_the_database_that_every_worker_shares(api, student, clock, settings):
    """Without CACHE_URL the count is a database row, not a worker's memory: a request handled by
    another worker (another thread, its own connection) sees the first one's hits."""
    settings.RATE_LIMIT_SEARCH = "2/minute"
    settings.CACHE_URL = ""
    me = api(student)
    assert me.get("/api/v1/search?q=a").status_code == 200
    assert RateCount.objects.get(bucket=f"search:user:{student.pk}").hits == 1
    request = type("R", (), {"user": student, "auth": student, "META": {}})()

    def other_worker():
        from django.db import connections

        try:
            ratelimit.hit("search", request)
            return "allowed"
        finally:
            connections.close_all()

    box = {}
    t = threading.Thread(target=lambda: box.setdefault("v", other_worker()))
    t.start()
    t.join(30)
    assert box.get("v") == "allowed"
    _problem(me.get("/api/v1/search?q=a"), "RATE_LIMIT_SEARCH")


@pytest.fixture
def shared_cache(settings):
    with shared_redis_cache("test-ratelimit", CACHE_URL=REDIS):
        yield


def test_rate_limit_with_a_shared_cache_counts_in_redis_across_workers(api, student, clock, settings, shared_cache):
    settings.RATE_LIMIT_SEARCH = "2/minute"
    me = api(student)
    assert me.get("/api/v1/search?q=a").status_code == 200
    request = type("R", (), {"user": student, "auth": student, "META": {}})()
    box = {}

    def other_worker():
        try:
            ratelimit.hit("search", request)
            box["v"] = "allowed"
        except ratelimit.RateLimited:
            box["v"] = "refused"

    t = threading.Thread(target=other_worker)
    t.start()
    t.join(30)
    assert box["v"] == "allowed"
    _problem(me.get("/api/v1/search?q=a"), "RATE_LIMIT_SEARCH")  # the other worker's hit counted
    assert not RateCount.objects.exists()


def test_rate_limit_off_and_a_bad_setting(api, student, settings):
    settings.RATE_LIMIT_SEARCH = "off"
    for _ in range(5):
        assert api(student).get("/api/v1/search?q=a").status_code == 200
    assert ratelimit.parse_rate("60/hour") == (60, 3600)
    assert ratelimit.parse_rate("10/5minutes") == (10, 300)
    for bad in ("60", "sixty/minute", "0/minute", "10/fortnight", "99999999/second", "1/9999day"):
        with pytest.raises(ImproperlyConfigured, match="RATE_LIMIT_SEARCH"):
            ratelimit.parse_rate(bad, "RATE_LIMIT_SEARCH")


def test_rate_limit_the_timer_sweep_forgets_windows_that_are_over(api, student, clock, settings):
    from syllabus.core.tasks import sweeps

    api(student).get("/api/v1/search?q=a")
    assert RateCount.objects.count() == 1
    assert sweeps()["org_forget_rate_counts"](clock.now()) == 0
    clock.advance(dt.timedelta(minutes=2))
    assert sweeps()["org_forget_rate_counts"](clock.now()) == 1


def test_rate_limit_guard_every_page_open_to_anyone_and_every_throttled_name_is_real():
    """Every page anybody may open without signing in (the sign-in page test's PUBLIC) counts
    against a rule, but those that answer only constants; each name of the table is a real page."""
    from tests.web.test_every_page_needs_sign_in import PUBLIC

    cheap = {"healthz", "web:logout", "set_language", "web:favicon", "lti:jwks", "lti:session", "sso:saml-metadata"}
    missing = sorted(set(PUBLIC) - cheap - set(ratelimit.PAGES))
    assert not missing, f"pages open to anyone without a RATE-LIMIT rule (syllabus/org/ratelimit.py PAGES): {missing}"
    names = set()

    def walk(resolver, ns=""):
        for p in resolver.url_patterns:
            if hasattr(p, "url_patterns"):
                walk(p, f"{ns}{p.namespace}:" if p.namespace else ns)
            elif p.name:
                names.add(ns + p.name)

    walk(get_resolver())
    unknown = sorted(set(ratelimit.PAGES) - names)
    assert not unknown, f"RATE-LIMIT names no such page: {unknown}"


def test_rate_limit_guard_every_api_operation_open_to_anyone_is_throttled():
    from syllabus.api.api import api

    open_ops = []
    for _prefix, router in api._routers:
        for path, view in router.path_operations.items():
            for op in view.operations:
                if op.auth_param is None:
                    if not op.throttle_objects and path not in {"/problems/{rule}", "/iso18626"}:
                        open_ops.append((op.methods, path))
    assert not open_ops, f"API operations open to anyone without a throttle: {open_ops}"


def test_rate_limit_is_documented_in_the_openapi_of_each_throttled_operation(client, db):
    doc = client.get("/api/v1/openapi.json").json()
    for path, method in [("/api/v1/search", "get"), ("/api/v1/resolve", "get"),
                         ("/api/v1/lists/{list_id}/import", "post"), ("/api/v1/cite-it", "post")]:
        assert "429" in doc["paths"][path][method]["responses"], path


