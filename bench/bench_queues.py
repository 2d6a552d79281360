"""The back office's queues at 10,000 requests each (session 22; DIG-10, SRV-3, SRV-4, CON-2): the
digitization work queue, the purchase requests, the inter-library loans (requests to us) and the
accessible file requests — their default view, as a librarian opens it.

Data, made once per database on top of the demo data (``syllabus demo``): ``BENCH_QUEUE_ROWS``
(10,000) rows in each table, nine in ten of them closed (a few terms' history), the rest open, spread
over three years; every row of the demo's first institution (the librarian's).  Per queue: the
default view's statements with ``EXPLAIN ANALYZE`` on PostgreSQL (the plan's top nodes and the
execution time), then ``--runs`` requests of the page (CPU ``time.process_time``, wall
``time.perf_counter``; percentiles, never a pass/fail on seconds).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_syl_queues python -m bench queues
    python -m bench queues --quick        # SQLite var/bench/queues.sqlite3, fewer requests
"""
from __future__ import annotations

import datetime as dt
import os
import time

from bench.common import line, percentile, setup_django, statements

ROWS = int(os.environ.get("BENCH_QUEUE_ROWS", "10000"))
PAGES = {"digitization work queue": "/services/work/", "purchase requests": "/acquisitions/",
         "ILL, requests to us": "/consortium/ill/", "accessible files": "/circulation/accessible/"}


def _fill() -> None:
    from syllabus.acquisitions.models import PurchaseRequest
    from syllabus.circulation.models import AccessibleRequest
    from syllabus.consortium.models import IllRequest
    from syllabus.core import clock
    from syllabus.fulfillment.models import DigitizationRequest, Kind, Source
    from syllabus.lists.models import Citation
    from syllabus.org.models import Institution, User

    librarian = User.objects.get(username="librarian")
    inst = librarian.institution
    other = Institution.objects.exclude(pk=inst.pk).order_by("pk").first()
    people = list(User.objects.filter(institution=inst).order_by("pk")[:60])
    citations = list(Citation.objects.filter(resource_list__institution=inst).order_by("pk")[:200])
    now = clock.now()

    def when(i):
        return now - dt.timedelta(minutes=157 * (ROWS - i))   # ~3 years back, the newest last

    def rows(model, make, **match):
        have = model.objects.filter(**match).count()
        if have < ROWS:
            batch = [make(i) for i in range(have, ROWS)]
            for i, obj in enumerate(batch, start=have):
                obj.created_at = when(i)
            model.objects.bulk_create(batch, batch_size=2000)

    rows(DigitizationRequest, lambda i: DigitizationRequest(
        institution=inst, kind=Kind.DIGITIZATION, source=Source.COURSE, requester=people[i % len(people)],
        title=f"Bench scan {i}", status="pick_from_shelf" if i % 10 == 0 else "delivered" if i % 10 == 1 else "completed",
        due_at=when(i) + dt.timedelta(days=5)), institution=inst, title__startswith="Bench scan")
    rows(PurchaseRequest, lambda i: PurchaseRequest(
        institution=inst, requester=people[i % len(people)], title=f"Bench purchase {i}",
        status="library_processing" if i % 10 == 0 else "bought"), institution=inst, title__startswith="Bench purchase")
    rows(IllRequest, lambda i: IllRequest(
        requesting_institution=other, supplying_institution=inst, requesting_agency="XX-OTHER", supplying_agency="XX-US",
        requesting_agency_request_id=f"bench-{i}", title=f"Bench ILL {i}",
        status="RequestReceived" if i % 10 == 0 else "LoanCompleted"), supplying_institution=inst, title__startswith="Bench ILL")
    rows(AccessibleRequest, lambda i: AccessibleRequest(
        requester=people[i % len(people)], citation=citations[i % len(citations)], format=f"Bench large print {i}",
        status="open" if i % 10 == 0 else "fulfilled"), format__startswith="Bench large print")


def _explain(client, url: str) -> list[str]:
    """The page's statements that read a queue's table, each with its plan (PostgreSQL)."""
    from django.db import connection

    with statements() as seen:
        client.get(url)
    out = []
    tables = ("fulfillment_digitizationrequest", "acquisitions_purchaserequest", "consortium_illrequest",
              "circulation_accessiblerequest")
    for sql, params in seen:
        if not sql.lstrip().upper().startswith("SELECT") or not any(f'FROM "{t}"' in sql for t in tables):
            continue
        if connection.vendor != "postgresql":
            out.append(sql[:160])
            continue
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS OFF) " + sql, params)
            plan = [r[0] for r in cursor.fetchall()]
        out.append(sql[:160])
        out.extend("    " + p for p in plan if "Execution Time" in p or "Scan" in p or "Sort" in p or "Limit" in p)
    return out


def _measure(client, url: str, runs: int) -> dict:
    """One request's statements and bytes, then CPU and wall (ms) of ``runs`` requests."""

    with statements() as seen:
        size = len(client.get(url).content)
    cpu, wall = [], []
    for _ in range(runs):
        c0, w0 = time.process_time(), time.perf_counter()
        assert client.get(url).status_code == 200, url
        cpu.append((time.process_time() - c0) * 1000)
        wall.append((time.perf_counter() - w0) * 1000)
    return {"queries": len(seen), "bytes": size, "cpu": cpu, "wall": wall}


def run(args) -> None:
    setup_django("queues")
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from syllabus.org.models import User

    settings.ALLOWED_HOSTS = ["*"]
    call_command("demo", verbosity=0)
    t0 = time.perf_counter()
    _fill()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    runs = 8 if args.quick else int(os.environ.get("BENCH_RUNS", "40"))
    line("queues: data", db=connection.vendor, rows=ROWS, made_s=time.perf_counter() - t0, runs=runs,
         load=round(os.getloadavg()[0], 2))
    client = Client()
    client.force_login(User.objects.get(username="librarian"))
    for name, url in PAGES.items():
        for _ in range(2):
            assert client.get(url).status_code == 200, url
        if os.environ.get("BENCH_EXPLAIN", "1") == "1":
            for text in _explain(client, url):
                print("   ", text)
        m = _measure(client, url, runs)
        line(name, queries=m["queries"], kb=round(m["bytes"] / 1024, 1), cpu_p50_ms=percentile(m["cpu"], 50),
             cpu_p95_ms=percentile(m["cpu"], 95), wall_p50_ms=percentile(m["wall"], 50), wall_p95_ms=percentile(m["wall"], 95))
