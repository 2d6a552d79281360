"""HTTP-level benchmarks (issue 19): the production server (`syllabus serve`, gunicorn worker
processes) on this benchmark's database — SQLite, or PostgreSQL with ``DATABASE_URL`` — driven
by concurrent clients that are **separate processes** (keep-alive HTTP/1.1, logged-in sessions).

Figures (printed as the ratios of issue 19's table, with the percentiles behind them):

- student list view (41 items) requests/s ÷ ``/healthz`` requests/s, same server, 8 clients;
- start of term: student list view p95 at 32 students ÷ p95 at 4 students, and the errors, in two
  load models (BENCHMARKS.md says why): **students** — each client is a student who opens the
  list, reads it for a random time (exponential, mean ``BENCH_HTTP_THINK`` = 2 s) and opens it
  again; and **closed loop** — each client asks again the moment it has its answer (no think
  time: the server's saturation, where p95 grows with the clients by Little's law whatever the
  speed; printed too, for honesty);
- librarian list page, 800 items ÷ 32 items, p50 (1 client), and the first load's HTML size;
- catalog browse with facets (empty query, the whole institution): p50/p95 and the record count.

    make bench BENCH_ARGS=http               # SQLite, then PostgreSQL (BENCH_HTTP_POSTGRES_URL)
    BENCH_HTTP_DATABASES=sqlite make bench BENCH_ARGS=http                    # one of them
    BENCH_HTTP_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/bench_syl_serve make bench BENCH_ARGS=http
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_syl_http make bench BENCH_ARGS=http   # that one only
    BENCH_HTTP_WORKERS=2 BENCH_HTTP_SECONDS=10 BENCH_HTTP_THINK=2 make bench BENCH_ARGS=http
"""
from __future__ import annotations

import contextlib
import http.client
import multiprocessing as mp
import os
import random
import signal
import socket
import subprocess
import sys
import time

from bench.common import BENCH_DIR, line, percentile, setup_django

SECONDS = float(os.environ.get("BENCH_HTTP_SECONDS", "15"))
WORKERS = int(os.environ.get("BENCH_HTTP_WORKERS", "0") or 0)
#: mean reading time of a student between two openings of the list (seconds, exponential)
THINK = float(os.environ.get("BENCH_HTTP_THINK", "2"))
DATABASES = [d.strip() for d in os.environ.get("BENCH_HTTP_DATABASES", "sqlite,postgres").split(",") if d.strip()]
POSTGRES_URL = os.environ.get("BENCH_HTTP_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/bench_syl_http")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serving(env: dict, workers: int):
    """``syllabus serve --workers N`` started with ``env`` on a free port, answering
    ``/healthz``: yields ``(process, port)``, stops it at the end (also bench/http_cpu.py)."""
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "syllabus.cli", "serve", "--port", str(port), "--workers", str(workers),
                               "--no-collectstatic"], env=env)
    try:
        deadline = time.time() + 300
        while True:
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                c.request("GET", "/healthz")
                if c.getresponse().status == 200:
                    break
            except OSError:
                pass
            if time.time() > deadline or server.poll() is not None:
                raise RuntimeError("the server did not start")
            time.sleep(0.5)
        yield server, port
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()


def _fixture() -> dict:
    """The demo data, plus a published 41-item list for a student and sent lists of 800 and 32
    items for the librarian (written in bulk, formatted once)."""
    from django.core.management import call_command

    from syllabus.courses.models import Course
    from syllabus.lists import services
    from syllabus.citations.bibliography import format_citation
    from syllabus.lists.models import Citation, ResourceList
    from syllabus.org.models import User

    call_command("demo", verbosity=0)
    instructor = User.objects.get(username="instructor")
    student = User.objects.get(username="student")
    librarian = User.objects.get(username="librarian")
    course = Course.objects.filter(instructors=instructor, enrollments__user=student).first() \
        or Course.objects.filter(instructors=instructor).first()
    if not course.enrollments.filter(user=student).exists():
        course.enrollments.create(user=student)
    book = {"title": "A bench book", "author": [{"family": "Bench", "given": "Ada"}], "issued": {"date-parts": [[2020]]},
            "publisher": "Bench Press", "ISBN": "9780306406157", "type": "book"}
    formatted = format_citation(book)

    def bulk(n: int, title: str, *, publish: bool, send: bool) -> int:
        existing = ResourceList.objects.filter(title=title).first()
        if existing is not None:
            return existing.pk
        lst = services.create_list(instructor, title=title, courses=[course])
        sections = [services.add_section(instructor, lst, title=f"Week {k + 1}") for k in range(4)]
        Citation.objects.bulk_create([
            Citation(resource_list=lst, section=sections[i % 4], position=i // 4, type="book",
                     metadata=dict(book, title=f"Book {i}"), title=f"Book {i}", formatted=formatted, formatted_style="apa",
                     tags=["essential"], public_note="Read the introduction", status="being_prepared")
            for i in range(n)])
        if publish:
            services.publish_list(instructor, lst)
        if send:
            services.send_list(instructor, lst)
        return lst.pk

    return {"student": student.pk, "librarian": librarian.pk,
            "view41": bulk(41, "Bench: student view, 41 items", publish=True, send=False),
            "lib800": bulk(800, "Bench: librarian page, 800 items", publish=False, send=True),
            "lib32": bulk(32, "Bench: librarian page, 32 items", publish=False, send=True)}


def _session(user_id: int) -> str:
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from syllabus.org.models import User

    user = User.objects.get(pk=user_id)
    s = SessionStore()
    s[SESSION_KEY] = str(user.pk)
    s[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0] if getattr(settings, "AUTHENTICATION_BACKENDS", None) \
        else "django.contrib.auth.backends.ModelBackend"
    s[HASH_SESSION_KEY] = user.get_session_auth_hash()
    s.create()
    return f"{settings.SESSION_COOKIE_NAME}={s.session_key}"


def _client(port: int, path: str, cookie: str, start_at: float, stop_at: float, out, think: float = 0.0, seed: int = 0) -> None:
    """One client: closed loop (``think`` = 0), or a student who reads the page for an
    exponentially distributed time of mean ``think`` seconds before opening it again (the
    first opening at a random moment of the first ``think`` seconds, so students do not arrive
    in step). Only answers that started before ``stop_at`` count."""
    lat, errors, size = [], 0, 0
    rng = random.Random(seed)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {"Cookie": cookie, "Accept-Language": "en"} if cookie else {"Accept-Language": "en"}
    first = start_at + (rng.uniform(0, think) if think else 0.0)
    while time.time() < first:
        time.sleep(0.001)
    while time.time() < stop_at:
        if think and lat:
            time.sleep(min(rng.expovariate(1 / think), 10 * think))
            if time.time() >= stop_at:
                break
            # a student's browser comes back after reading: the server has often closed the idle
            # keep-alive connection by then (syllabus serve: --keep-alive 5), so it opens a new one
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        t0 = time.perf_counter()
        try:
            conn.request("GET", path, headers=headers)
            r = conn.getresponse()
            body = r.read()
            if r.status != 200:
                errors += 1
            size = len(body)
            if r.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        except (OSError, http.client.HTTPException):
            errors += 1
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            continue
        lat.append(time.perf_counter() - t0)
    conn.close()
    out.put({"lat": lat, "errors": errors, "size": size})


def _load(port: int, path: str, cookie: str, clients: int, seconds: float, think: float = 0.0) -> dict:
    ctx = mp.get_context("fork")
    out = ctx.Queue()
    start_at = time.time() + 0.5
    stop_at = start_at + seconds
    procs = [ctx.Process(target=_client, args=(port, path, cookie, start_at, stop_at, out, think, 1000 * clients + i))
             for i in range(clients)]
    for p in procs:
        p.start()
    results = [out.get(timeout=seconds + 300) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    lat = [x * 1000 for r in results for x in r["lat"]]
    return {"clients": clients, "requests": len(lat), "req_per_s": len(lat) / seconds, "p50_ms": percentile(lat, 50),
            "p95_ms": percentile(lat, 95), "errors": sum(r["errors"] for r in results),
            "bytes": max(r["size"] for r in results)}


def _catalog_size() -> int:
    from syllabus.catalog.models import Record
    from syllabus.org.models import User

    inst = User.objects.get(username="librarian").institution_id
    return Record.objects.filter(institution_id=inst).count()


def run(args) -> None:
    """The production server on each database of ``BENCH_HTTP_DATABASES`` (SQLite, then
    PostgreSQL at ``BENCH_HTTP_POSTGRES_URL``), each in its own process (Django is set up once
    per process); with ``DATABASE_URL`` set, on that database only."""
    if os.environ.get("DATABASE_URL") or os.environ.get("BENCH_HTTP_CHILD"):
        _run_one(args)
        return
    for db in DATABASES:
        if db == "sqlite":
            child_env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        elif db == "postgres":
            child_env = {**os.environ, "DATABASE_URL": POSTGRES_URL}
        else:
            raise SystemExit(f"BENCH_HTTP_DATABASES: unknown database {db!r} (sqlite, postgres)")
        print(f"-- http on {db} --", flush=True)
        cmd = [sys.executable, "-m", "bench", "http"] + (["--quick"] if args.quick else [])
        rc = subprocess.call(cmd, env={**child_env, "BENCH_HTTP_CHILD": "1"})
        if rc:
            print(f"http on {db}: failed (exit {rc}); is the database reachable? ({POSTGRES_URL if db == 'postgres' else ''})",
                  flush=True)


def _run_one(args) -> None:
    # the demo data's files (delivered scans) must land in the server's media directory, so the
    # data directory is set before Django reads its settings in this process too
    os.environ["SYLLABUS_DATA_DIR"] = str(BENCH_DIR / "http-data")
    setup_django("http")
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, connections

    seconds = 5.0 if args.quick else SECONDS
    data = _fixture()
    cookies = {"student": _session(data["student"]), "librarian": _session(data["librarian"])}
    records = _catalog_size()
    # the load is one librarian searching as fast as the server answers: RATE-LIMIT would answer 429s
    env = {**os.environ, "SYLLABUS_DATA_DIR": str(BENCH_DIR / "http-data"), "LOG_LEVEL": "WARNING",
           "RATE_LIMIT_SEARCH": "off"}
    if connection.vendor == "sqlite":
        env["SQLITE_PATH"] = str(settings.DATABASES["default"]["NAME"])
    call_command("collectstatic", interactive=False, verbosity=0)
    connections.close_all()
    workers = WORKERS or len(os.sched_getaffinity(0))
    with serving(env, workers) as (_server, port):
        print(f"database: {connection.vendor}, server: syllabus serve --workers {workers} (gunicorn), clients are processes, "
              f"{seconds:.0f} s per run, load average {os.getloadavg()[0]:.2f}", flush=True)
        view = f"/lists/{data['view41']}/"
        for path, cookie in ((view, cookies["student"]), (f"/lists/{data['lib800']}/library/", cookies["librarian"]),
                             (f"/lists/{data['lib32']}/library/", cookies["librarian"]), ("/catalog/?q=", cookies["librarian"])):
            _load(port, path, cookie, 1, 1.0)  # warm every worker's caches
        health = _load(port, "/healthz", "", 8, seconds)
        line("/healthz, 8 clients", **health)
        v8 = _load(port, view, cookies["student"], 8, seconds)
        line("student view 41 items, 8 clients", **v8)
        v4 = _load(port, view, cookies["student"], 4, seconds)
        line("student view, 4 clients", **v4)
        v32 = _load(port, view, cookies["student"], 32, seconds)
        line("student view, 32 clients", **v32)
        rush = max(seconds * 3, 30.0)
        r4 = _load(port, view, cookies["student"], 4, rush, think=THINK)
        line(f"rush: 4 students, think {THINK:g} s", **r4)
        r32 = _load(port, view, cookies["student"], 32, rush, think=THINK)
        line(f"rush: 32 students, think {THINK:g} s", **r32)
        l32 = _load(port, f"/lists/{data['lib32']}/library/", cookies["librarian"], 1, seconds)
        line("librarian page 32 items, 1 client", **l32)
        l800 = _load(port, f"/lists/{data['lib800']}/library/", cookies["librarian"], 1, seconds)
        line("librarian page 800 items, 1 client", **l800)
        cat = _load(port, "/catalog/?q=", cookies["librarian"], 1, seconds)
        line(f"catalog browse, facets ({records} records)", **cat)
        print(f"load average after: {os.getloadavg()[0]:.2f}", flush=True)
        print("issue 19 figures (ratios):")
        print(f"  student view req/s ÷ /healthz req/s:        {v8['req_per_s'] / max(health['req_per_s'], 1e-9):.2f}   (goal ≥ 0.3)")
        print(f"  start of term, list view p95 at 32 ÷ at 4 students (think {THINK:g} s): "
              f"{r32['p95_ms'] / max(r4['p95_ms'], 1e-9):.2f}   errors {r4['errors'] + r32['errors']}   (goal ≤ 3, 0 errors)")
        print(f"  same, closed loop (no think time, saturation): {v32['p95_ms'] / max(v4['p95_ms'], 1e-9):.2f}   "
              f"errors {v4['errors'] + v32['errors']}   (Little's law: ≈ 32 ÷ 4 once saturated)")
        print(f"  librarian page 800 ÷ 32 items, p50:          {l800['p50_ms'] / max(l32['p50_ms'], 1e-9):.2f}   "
              f"HTML {l800['bytes'] / 1024:.0f} KB   (goal ≤ 4, ≤ 400 KB)")
        print(f"  catalog browse with facets, {records} records: p95 {cat['p95_ms']:.0f} ms   (goal ≤ 500 ms at ≈ 700k, PostgreSQL)",
              flush=True)
