"""Shared fixtures: organisation, people, API client, frozen clock, and Chromium."""
from __future__ import annotations

import datetime as dt
import json
import os
import shutil

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop

from tests.factories import (  # noqa: E402
    ConsortiumFactory, CourseFactory, InstitutionFactory, LibraryFactory, UserFactory, UserGroupFactory,
)

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: rolled-back tests reuse primary keys (SQLite), so a
    rendering cached by one test (the student view, keyed by list id and revision) must not
    reach the next — nor a whole page (the ``pages`` cache).  Nor an API call count kept in this
    process (``RATE_LIMIT_API`` without ``CACHE_URL``: counted per token and account)."""
    from django.core.cache import caches

    from syllabus.org import ratelimit

    for alias in caches:
        caches[alias].clear()
    ratelimit.forget_local()


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the site's default language: a page request activates the reader's
    language in the test's thread and leaves it active (as Django's own LocaleMiddleware does),
    so a test after a French page would otherwise format citations in French while the threads
    it starts use English."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture
def clock():
    """The injectable clock, frozen at Monday 2026-03-02 09:00 UTC; tests move it."""
    from syllabus.core import clock as clock_module

    clock_module.set_now(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone.utc))
    yield clock_module
    clock_module.set_now(None)


@pytest.fixture
def consortium(db):
    return ConsortiumFactory(code="demo-c", name="Demo Consortium")


@pytest.fixture
def inst_a(consortium):
    return InstitutionFactory(consortium=consortium, code="inst-a", name="Institution A")


@pytest.fixture
def inst_b(consortium):
    return InstitutionFactory(consortium=consortium, code="inst-b", name="Institution B")


@pytest.fixture
def library_a(inst_a):
    return LibraryFactory(institution=inst_a, code="lib-a1", name="Library A1")


@pytest.fixture
def library_b(inst_b):
    return LibraryFactory(institution=inst_b, code="lib-b1", name="Library B1")


@pytest.fixture
def groups(inst_a):
    return {code: UserGroupFactory(institution=inst_a, code=code, name=code.title())
            for code in ("undergraduate", "postgraduate", "faculty", "staff")}


@pytest.fixture
def make_user(inst_a, groups):
    def make(username: str, *, institution=None, group: str = "undergraduate", roles=(), **kw):
        from syllabus.org.services import assign_role

        inst = institution or inst_a
        ug = groups.get(group) if inst == inst_a else UserGroupFactory(institution=inst, code=f"{group}-{username}", name=group)
        user = UserFactory(username=username, institution=inst, user_group=ug, **kw)
        for role in roles:
            assign_role(user, role)
        return user

    return make


@pytest.fixture
def librarian(make_user):
    from syllabus.org.roles import Role

    return make_user("librarian", group="staff", roles=[Role.COURSE_RESERVES_OPERATOR])


@pytest.fixture
def instructor(make_user):
    return make_user("instructor", group="faculty", first_name="Irene", last_name="Instructor")


@pytest.fixture
def student(make_user):
    return make_user("student")


@pytest.fixture
def admin_user(make_user):
    from syllabus.org.roles import Role

    return make_user("admin", group="staff", roles=[Role.GENERAL_SYSTEM_ADMINISTRATOR], is_staff=True)


@pytest.fixture
def course(inst_a, instructor, student):
    from syllabus.courses.models import Enrollment

    c = CourseFactory(institution=inst_a, code="HIST101", name="Introduction to Modern History", term="2026S")
    c.instructors.add(instructor)
    Enrollment.objects.create(course=c, user=student)
    return c


class Api:
    """Calls the REST API as a user (bearer token) through Django's test client."""

    def __init__(self, client, user=None):
        from syllabus.org.services import create_api_token

        self.client = client
        self.headers = {}
        if user is not None:
            _, raw = create_api_token(user)
            self.headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    def _call(self, method, path, data=None, headers=None, **kw):
        """``headers``: extra request headers by their HTTP name (``{"If-Match": etag}``)."""
        fn = getattr(self.client, method)
        extra = {"headers": headers} if headers else {}
        if data is not None and method in ("post", "put", "patch") and "format" not in kw:
            return fn(path, data=json.dumps(data), content_type="application/json", **self.headers, **extra)
        kw.pop("format", None)
        return fn(path, data=data, **self.headers, **kw, **extra)

    def get(self, path, params=None, headers=None):
        return self._call("get", path, params, headers=headers)

    def post(self, path, data=None, headers=None, **kw):
        return self._call("post", path, data if data is not None else {}, headers=headers, **kw)

    def patch(self, path, data=None, headers=None):
        return self._call("patch", path, data or {}, headers=headers)

    def put(self, path, data=None, headers=None):
        return self._call("put", path, data or {}, headers=headers)

    def delete(self, path, headers=None):
        return self._call("delete", path, headers=headers)


@pytest.fixture
def api(client):
    """``api(user)`` → a client that sends that user's bearer token; ``api()`` sends none."""
    return lambda user=None: Api(client, user)


# --- browser --------------------------------------------------------------------------

# One budget for the browser tests' waits on a loaded machine: the pages' actions get it from
# context.set_default_timeout(BROWSER_TIMEOUT_MS) below, and expect() — which has its own default,
# 5 s — gets it here.  (A language switch posts a form and loads the whole page again: under load
# 17, 5 s did not cover it, in main's CI-like loop.)  expect still returns as soon as it holds.
BROWSER_TIMEOUT_MS = 15_000


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium driven by Playwright.  Missing Chromium fails the test (never skips)."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=BROWSER_TIMEOUT_MS)
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium (apt-get install chromium)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
        )
        yield browser
        browser.close()


_warmed: set[str] = set()


def _warm_up(live_server) -> None:
    """The first request of a test process imports the views, reads the URLconf and compiles the
    shell's templates: 1.7 s of the first page at load 10 (0.05 s afterwards), past the pages'
    15 s budget at load 25 — two tests failed in their first goto so.  It is paid here once per
    process, under its own bound, not inside the first test's first action."""
    import urllib.request

    if live_server.url not in _warmed:
        with urllib.request.urlopen(live_server.url + "/login/", timeout=180) as answer:
            answer.read()
        _warmed.add(live_server.url)


@pytest.fixture
def page(chromium, live_server, served):
    # Playwright's wait_for_function("...") evaluates a string in the page, which the pages'
    # Content-Security-Policy (no eval) refuses; ``strict_page`` does NOT bypass it, to show that
    # the pages themselves work under it
    yield from _browser_page(chromium, live_server, served, bypass_csp=True)


@pytest.fixture
def strict_page(chromium, live_server, served):
    """A page that honours the Content-Security-Policy as a real browser does: for what the policy
    governs — scripts, htmx, and a form whose answer leads to another site (the sign-out at the
    identity provider, the deep-linking answer to the LMS), which ``page`` would let through."""
    yield from _browser_page(chromium, live_server, served, bypass_csp=False)


def _browser_page(chromium, live_server, served, *, bypass_csp: bool):
    _warm_up(live_server)
    context = chromium.new_context(base_url=live_server.url, locale="en-US", bypass_csp=bypass_csp)
    context.set_default_timeout(BROWSER_TIMEOUT_MS)
    pg = context.new_page()
    yield pg
    context.close()
    served.wait_idle()


class _Served:
    """Knows when the live server has finished handling a request, including what Django runs
    after the response went out (``request_finished``): the browser may have the answer while
    the server is still writing — the usage events of a request are written then (ANL-1) — so a
    database assertion waits for this, not for the answer."""

    def __init__(self):
        import threading

        self._lock = threading.Condition()
        self._started = 0
        self._in_flight: dict[int, tuple[int, str]] = {}   # server thread → (start number, path)
        self._finished: list[tuple[int, str]] = []

    def started(self, sender, environ=None, **kwargs):
        import threading

        with self._lock:
            self._started += 1
            self._in_flight[threading.get_ident()] = (self._started, (environ or {}).get("PATH_INFO", ""))

    def finished(self, sender, **kwargs):
        import threading

        with self._lock:
            request = self._in_flight.pop(threading.get_ident(), None)
            if request is not None:
                self._finished.append(request)
                self._lock.notify_all()

    def __call__(self, path: str, timeout: float = 15.0):
        """``with served("/analytics/events/"): page.click(...)`` leaves the block once the server
        has finished a request to ``path`` that it started after the block was entered."""
        import contextlib

        @contextlib.contextmanager
        def block():
            with self._lock:
                after = self._started
            yield
            with self._lock:
                if not self._lock.wait_for(lambda: any(n > after and p == path for n, p in self._finished), timeout=timeout):
                    raise AssertionError(f"the server did not finish a request to {path} within {timeout} s; it finished "
                                         f"{[p for n, p in self._finished if n > after]}, is handling {list(self._in_flight.values())}")

        return block()

    def wait_idle(self, timeout: float = 30.0) -> None:
        """Until no request is being handled: a test's last request must not write into the next
        test's database (the flush at teardown runs after this)."""
        with self._lock:
            if not self._lock.wait_for(lambda: not self._in_flight, timeout=timeout):
                raise AssertionError(f"the live server is still handling {list(self._in_flight.values())} after {timeout} s")


@pytest.fixture
def served(live_server):
    """``with served(path): <browser action>`` waits until the live server has finished handling
    (response and after-response work) a request to ``path`` sent during the block.  The browser
    fixtures wait, at teardown, until the server handles no request any more."""
    from django.core.signals import request_finished, request_started

    watcher = _Served()
    request_started.connect(watcher.started, weak=False, dispatch_uid="tests-served-started")
    # connected after the apps' receivers (analytics' flush, Django's close_old_connections): runs last
    request_finished.connect(watcher.finished, weak=False, dispatch_uid="tests-served-finished")
    yield watcher
    request_started.disconnect(dispatch_uid="tests-served-started")
    request_finished.disconnect(dispatch_uid="tests-served-finished")


@pytest.fixture
def signed_in_page(chromium, live_server, served):
    """``signed_in_page(user, javascript=False)`` → a page of a browser context of its own, signed in
    as ``user`` by a session cookie (no sign-in form), optionally with JavaScript off (the pages must
    work without it) or a viewport (a phone: ``{"width": 390, "height": 844}``).  The contexts are
    closed, and the live server idle, at teardown."""
    from django.conf import settings
    from django.test import Client

    _warm_up(live_server)
    contexts = []

    def make(user, *, javascript: bool = True, viewport: dict | None = None, locale: str = "en-US"):
        options = {"viewport": viewport} if viewport else {}
        context = chromium.new_context(base_url=live_server.url, locale=locale, java_script_enabled=javascript,
                                       bypass_csp=True, **options)
        contexts.append(context)
        context.set_default_timeout(BROWSER_TIMEOUT_MS)
        signed_in = Client()
        signed_in.force_login(user)
        name = settings.SESSION_COOKIE_NAME
        context.add_cookies([{"name": name, "value": signed_in.cookies[name].value, "url": live_server.url}])
        return context.new_page()

    yield make
    for context in contexts:
        context.close()
    served.wait_idle()


@pytest.fixture
def login(page):
    """``login(username, password="pw")`` signs in through the real login form."""

    def do(username: str, password: str = "pw"):
        page.goto("/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/login/" not in url)

    return do


# The suite's longest tests (30 s and more each at -n 2; docs/DEVELOPING.md, "How long the suite
# takes"): started first within their group, so that the short tests fill in around them.  A long
# test handed out last keeps one xdist worker busy while the other has nothing left to run.  (Not
# `--dist worksteal`: a worker that steals could run rolled-back tests after transactional ones,
# the order pytest-django and Django keep; xdist's default `load` hands each worker the items in
# order.)
LONGEST = (
    "tests/web/test_every_page_on_a_phone.py::",        # one walk per person, axe on every page
    "tests/web/test_serve.py::",                        # `syllabus demo` + `serve`: a fresh database, migrated
    "tests/core/test_bench_smoke.py::",                 # likewise, then the course-loader benchmark
    "tests/citations/test_interop_readers.py::",        # Node.js readers over every file of tests/data
    "tests/core/test_crash_durability.py::",            # a server killed mid-burst, restarted
    "tests/lending/test_stateful.py::",                 # hypothesis state machines
    "tests/fulfillment/test_state_machine.py::",
    "tests/org/test_merge_people.py::test_every_claimed_reference",   # the demo data, merged
    # migration round trips (tests/migrating.py)
    "tests/catalog/test_search_migration.py::", "tests/fulfillment/test_migrations.py::",
    "tests/fulfillment/test_migration_discoverable.py::", "tests/fulfillment/test_link_token_hashed.py::test_sec_key_links",
    "tests/circulation/test_change_stamps.py::test_0006", "tests/circulation/test_change_stamps.py::test_0007",
    "tests/lending/test_migrations.py::", "tests/lending/test_indexes.py::test_the_migrations",
    "tests/sso/test_saml_scopes.py::test_lms3_migration", "tests/sso/test_migration_oidc_verifies_email.py::",
    "tests/sso/test_migration_saml_age_entra_oid.py::", "tests/security/test_encryption_at_rest.py::test_sec_key_the_migrations",
)


def _database_group(item) -> int:
    """pytest-django's order (it sorts the items first): tests in a rolled-back transaction (0),
    then the transactional ones — browser, migration, concurrency (1) — then those without a database (2)."""
    marker = item.get_closest_marker("django_db")
    fixtures = getattr(item, "fixturenames", ())
    if (marker and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences") or marker.args[:1] == (True,))
            or "transactional_db" in fixtures or "live_server" in fixtures):
        return 1
    return 0 if marker or "db" in fixtures else 2


def pytest_collection_modifyitems(config, items):
    """Tag browser tests in the JUnit report, so that CI can prove they ran; start the longest
    tests first within pytest-django's groups (a stable sort: the rest keep their order)."""
    for item in items:
        if item.get_closest_marker("browser"):
            item.user_properties.append(("browser", "chromium"))
    items.sort(key=lambda item: (_database_group(item), not item.nodeid.startswith(LONGEST)))


@pytest.fixture
def other_course(inst_a):
    """A course of institution A that the shared ``course`` fixture's students are not in."""
    return CourseFactory(institution=inst_a, code="BIOL101", name="Cell Biology", term="2026S", department="Biology")


@pytest.fixture
def other_student(make_user, other_course):
    """A student of institution A enrolled in another course only (LST-8: not a reader of the course's lists)."""
    from syllabus.courses.models import Enrollment

    s = make_user("otherstudent")
    Enrollment.objects.create(course=other_course, user=s)
    return s


def full_width(text: str) -> str:
    """``ada`` → ``ａｄａ``: the compatibility (full-width) form a person may type; NFKC reads it as ``ada``."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def plant_session(client) -> str:
    """Session fixation, the attacker's half: a session that exists before sign-in (its key planted in
    the victim's browser); returns its key."""
    from django.conf import settings

    session = client.session
    session["planted"] = True
    session.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    return session.session_key


def assert_session_rotated(client, planted: str) -> None:
    """After a sign-in: the browser holds another key, and the planted one signs nobody in."""
    from importlib import import_module

    from django.conf import settings

    assert client.cookies[settings.SESSION_COOKIE_NAME].value != planted
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key=planted)
    assert "_auth_user_id" not in store.load()
