"""A student's first minutes at term start (LMS-1, LST-5): the LTI launch, the list it lands on, and
an item's link — for ``BENCH_LTI_STUDENTS`` distinct students of one course (default 1,000;
``--quick`` 60).

The LMS is tests/lti/platform.py's platform *in process* (its RSA key signs each id_token; its key
set is the one the tool keeps, fetched once), so that what is timed is the tool: per student

1. ``POST /lti/login/`` (OIDC login initiation: the login state written, the redirect to the LMS);
2. ``POST /lti/launch/`` with the signed id_token (checks, the person created on a first launch —
   or found —, the course matched by its stored context, the enrolment, the session);
3. the page the launch redirects to (the course's list, as the student reads it);
4. the list's first item link (``/openurl?…&from_item=``, the link resolver: what a student clicks).

Each student is a new browser (no cookies) on one ``django.test.Client`` (its middleware built once,
as in a server's worker).  Phase *first*: every student's
first launch (created and enrolled); phase *again*: the same students launching again (the common
case of a term: found, already enrolled).  Printed per step: p50 / p95 / p99 of CPU
(``time.process_time``) and wall, and the queries of one request (an execute wrapper), and each
step's p50 CPU over ``/healthz``'s.

    python -m bench lti                    # SQLite file var/bench/lti.sqlite3, or DATABASE_URL
    python -m bench lti --quick
"""
from __future__ import annotations

import datetime as dt
import os
import time
from urllib.parse import parse_qs, urlsplit

from bench.common import line, percentile, setup_django

ISSUER = "https://lms.bench.example"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
CONTEXT = {"id": "ctx-bench-hist", "label": "HIST101-01", "title": "Modern History",
           "type": ["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"]}
TARGET = "http://testserver/lti/launch/"


def _fixture():
    """The demo data, the bench LMS registered for the demo institution (its key set kept), and
    the course HIST101-01 with its published list; returns (platform, lms)."""
    from django.core.management import call_command

    from syllabus.core import clock
    from syllabus.lti import services
    from syllabus.lti.models import Platform, PlatformKeySet
    from syllabus.org.models import Institution
    from tests.lti import platform as platform_module
    from tests.lti.platform import PLATFORM as LMS

    call_command("demo", verbosity=0)
    LMS.base = ISSUER
    # the LMS signs with its key object (PyJWT takes one): loading its PEM again for every id_token
    # (~35 ms) would only slow the bench, never the tool
    platform_module._pem = lambda key: key
    inst = Institution.objects.get(code="riverside")
    platform = Platform.objects.filter(issuer=ISSUER).first()
    if platform is None:
        platform = services.register_platform(None, inst, issuer=ISSUER, client_id="syllabus-tool-1",
                                              deployment_ids=["deployment-A"], auth_login_url=ISSUER + "/auth",
                                              auth_token_url=ISSUER + "/token", keyset_url=ISSUER + "/jwks", name="Bench LMS")
    now = clock.now()
    # the key set as the tool keeps it after its first fetch (a new key per run: this process's LMS)
    PlatformKeySet.objects.update_or_create(platform=platform, defaults={
        "url": platform.keyset_url, "keys": LMS.jwks(), "fetched_at": now, "fresh_until": now + dt.timedelta(days=1)})
    return platform, LMS


class _Counter:
    def __init__(self):
        self.n = 0

    def __call__(self, execute, sql, params, many, context):
        self.n += 1
        return execute(sql, params, many, context)


def _timed(samples: dict, name: str, fn):
    from django.db import connection

    counter = _Counter()
    c0, w0 = time.process_time(), time.perf_counter()
    with connection.execute_wrapper(counter):
        response = fn()
    s = samples.setdefault(name, {"cpu": [], "wall": [], "queries": []})
    s["cpu"].append((time.process_time() - c0) * 1000)
    s["wall"].append((time.perf_counter() - w0) * 1000)
    s["queries"].append(counter.n)
    return response


def launch_once(lms, sub: str, samples: dict, run_id: str, client=None) -> None:
    """One student's login, launch, landing page and first item link: ``client`` with no cookies
    (a new browser), its handler — the middleware chain — built once, as a server's worker does."""
    from http.cookies import SimpleCookie

    from django.test import Client

    client = client or Client()
    client.cookies = SimpleCookie()
    login = _timed(samples, "1 login", lambda: client.post("/lti/login/", {
        "iss": ISSUER, "login_hint": sub, "target_link_uri": TARGET, "client_id": "syllabus-tool-1",
        "lti_deployment_id": "deployment-A"}))
    assert login.status_code == 302, login.content[:300]
    q = parse_qs(urlsplit(login["Location"]).query)
    spec = {"sub": sub, "target_link_uri": TARGET, "roles": [LEARNER], "context": CONTEXT, "nrps": False,
            "given_name": "Student", "family_name": sub, "email": f"{sub}.{run_id}@students.bench.example",
            "resource_link_id": "rl-bench"}
    token = lms.id_token(spec, q["nonce"][0], int(time.time()))
    launched = _timed(samples, "2 launch", lambda: client.post("/lti/launch/", {"id_token": token, "state": q["state"][0]}))
    assert launched.status_code == 302, launched.content[:500]
    page = _timed(samples, "3 landing page (list)", lambda: client.get(launched["Location"]))
    assert page.status_code == 200, (launched["Location"], page.status_code)
    link = _first_find_it(page.content.decode())
    if link:
        found = _timed(samples, "4 item's link (OpenURL resolver)", lambda: client.get(link))
        assert found.status_code in (200, 302), (link, found.status_code)


def _first_find_it(html: str) -> str | None:
    import re

    m = re.search(r'href="(/openurl\?[^"]*)"', html)
    return m.group(1).replace("&amp;", "&") if m else None


def _report(phase: str, samples: dict, health_cpu: float) -> None:
    for name, s in sorted(samples.items()):
        line(f"{phase}: {name}", n=len(s["cpu"]), cpu_p50_ms=percentile(s["cpu"], 50), cpu_p95_ms=percentile(s["cpu"], 95),
             cpu_p99_ms=percentile(s["cpu"], 99), wall_p50_ms=percentile(s["wall"], 50), wall_p95_ms=percentile(s["wall"], 95),
             queries=f"{min(s['queries'])}-{max(s['queries'])}", x_healthz_cpu=percentile(s["cpu"], 50) / health_cpu)
    total = [sum(v) for v in zip(*(s["cpu"] for s in samples.values()))]
    line(f"{phase}: the whole path", cpu_p50_ms=percentile(total, 50), cpu_p95_ms=percentile(total, 95),
         queries=sum(s["queries"][-1] for s in samples.values()))


def run(args) -> None:
    setup_django("lti")
    import secrets

    from django.conf import settings
    from django.db import connection
    from django.test import Client

    settings.ALLOWED_HOSTS = ["*"]
    n = int(os.environ.get("BENCH_LTI_STUDENTS", 60 if args.quick else 1000))
    _platform, lms = _fixture()
    health = Client()
    health.get("/healthz")
    hs: dict = {}
    for _ in range(200):
        _timed(hs, "healthz", lambda: health.get("/healthz"))
    health_cpu = percentile(hs["healthz"]["cpu"], 50)
    run_id = secrets.token_hex(4)   # new students every run: the first phase is really their first launch
    subs = [f"bench-{run_id}-{i:05d}" for i in range(n)]
    line("lti: data", db=connection.vendor, students=n, load=round(os.getloadavg()[0], 2), healthz_cpu_p50_ms=health_cpu)
    for phase in ("first", "again"):
        samples: dict = {}
        client = Client()
        for sub in subs:
            launch_once(lms, sub, samples, run_id, client)
        _report(phase, samples, health_cpu)
    line("lti: done", load=round(os.getloadavg()[0], 2))
