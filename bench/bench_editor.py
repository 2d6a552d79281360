"""The list editor's weight per item (issue 19, session 19; LST-2): page bytes and render CPU of the
editor for lists of 50, 200 and 500 items (``BENCH_EDITOR_SIZES``), and of one item's form (its own page, and the form alone
as the editor's "Edit item" loads it in place with htmx; and, since session 23, an item's copies and access
as its "Copies and access" disclosure loads them).

Each list is tests/circulation/test_list_page_queries.py's ``rich_list``: every item a catalogued
book with two copies (in place, on loan), every 3rd an e-resource, every 4th a copy on the
student's hold shelf, every 5th a digitization request, every 6th a library discussion, tags and a
note on all; 12 sections.  Built once per database on top of the demo data (``syllabus demo``).

Measured in process (``django.test.Client``, the whole request: middleware, view, template,
database; no network) as the list's owner: ``--runs`` requests after two warm-ups; CPU is
``time.process_time`` per request (what to compare on a shared machine), wall is
``time.perf_counter``; percentiles, never a pass/fail on seconds.  Printed ratios: bytes and CPU
per item (the largest list against the smallest), and each page's p50 CPU over ``/healthz``'s.

    python -m bench editor                 # SQLite file var/bench/editor.sqlite3, or DATABASE_URL
    python -m bench editor --quick         # fewer requests
"""
from __future__ import annotations

import os
import time

from bench.common import line, percentile, setup_django

SIZES = tuple(int(n) for n in os.environ.get("BENCH_EDITOR_SIZES", "50,200,500").split(","))
TITLE = "{n} items (bench editor)"  # its first letters name its copies' barcodes (rich_list)


def _rich_list(instructor, course, student, library, n_items: int) -> int:
    """The list of ``n_items`` items that tests/circulation/test_list_page_queries.py counts the
    editor's queries on (the same builder), made once per database."""
    from syllabus.lists.models import ResourceList
    from tests.circulation.test_list_page_queries import rich_list

    title = TITLE.format(n=n_items)
    existing = ResourceList.objects.filter(title=title).first()
    if existing is not None:
        return existing.pk
    return rich_list(instructor, course, student, library, n_items, title=title).pk


def _fixture() -> tuple[int, dict[int, int]]:
    from django.core.management import call_command

    from syllabus.courses.models import Course
    from syllabus.org.models import Library, User

    call_command("demo", verbosity=0)
    instructor = User.objects.get(username="instructor")
    student = User.objects.get(username="student")
    course = Course.objects.filter(instructors=instructor).order_by("pk").first()
    if not course.enrollments.filter(user=student).exists():
        course.enrollments.create(user=student)
    library = Library.objects.filter(institution=instructor.institution).order_by("pk").first()
    return instructor.pk, {n: _rich_list(instructor, course, student, library, n) for n in SIZES}


def _measure(client, url: str, runs: int, headers: dict | None = None) -> dict | None:
    """CPU and wall per request (ms samples), bytes and queries of one request; None when the
    address answers no page (the item's own page does not exist before session 19)."""
    from django.db import connection

    headers = headers or {}
    first = client.get(url, **headers)
    if first.status_code != 200:
        return None
    client.get(url, **headers)
    count = {"n": 0}

    def counter(execute, sql, params, many, context):
        count["n"] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counter):
        size = len(client.get(url, **headers).content)
    cpu, wall = [], []
    for _ in range(runs):
        c0, w0 = time.process_time(), time.perf_counter()
        response = client.get(url, **headers)
        cpu.append((time.process_time() - c0) * 1000)
        wall.append((time.perf_counter() - w0) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return {"bytes": size, "queries": count["n"], "cpu50": percentile(cpu, 50), "cpu95": percentile(cpu, 95),
            "wall50": percentile(wall, 50), "wall95": percentile(wall, 95)}


def run(args) -> None:
    setup_django("editor")

    from django.conf import settings
    from django.db import connection
    from django.test import Client

    from syllabus.lists.models import Citation
    from syllabus.org.models import User

    settings.ALLOWED_HOSTS = ["*"]
    instructor, lists = _fixture()
    runs = 8 if args.quick else 40
    client = Client()
    client.force_login(User.objects.get(pk=instructor))
    health = _measure(Client(), "/healthz", runs * 5)
    line("editor: data", db=connection.vendor, sizes="/".join(map(str, SIZES)), runs=runs,
         load=round(os.getloadavg()[0], 2))
    line("healthz", cpu_p50_ms=health["cpu50"], wall_p50_ms=health["wall50"])
    found = {}
    for n, pk in lists.items():
        m = found[n] = _measure(client, f"/lists/{pk}/edit/", runs)
        line(f"editor, {n} items", kb=round(m["bytes"] / 1024, 1), kb_per_item=round(m["bytes"] / 1024 / n, 2),
             cpu_p50_ms=m["cpu50"], cpu_p95_ms=m["cpu95"], wall_p50_ms=m["wall50"], queries=m["queries"],
             x_healthz_cpu=m["cpu50"] / health["cpu50"])
    small, big = found[SIZES[0]], found[SIZES[-1]]
    items = SIZES[-1] - SIZES[0]
    line("editor: each further item", bytes=round((big["bytes"] - small["bytes"]) / items),
         cpu_ms=(big["cpu50"] - small["cpu50"]) / items, cpu_big_over_small=big["cpu50"] / small["cpu50"])
    pk = lists[SIZES[-1]]
    citation = Citation.objects.filter(resource_list_id=pk).order_by("section__position", "position").first().pk
    url = f"/lists/{pk}/edit/items/{citation}/"
    htmx = {"HTTP_HX_REQUEST": "true"}
    for name, address, headers in (("item's edit page (no JavaScript)", url, {}), ("item's form in place (htmx)", url, htmx),
                                   ("item's copies and access (htmx)", url + "services/", htmx)):
        m = _measure(client, address, runs, headers)
        if m is None:
            line(name, answer="none (no such page on this code)")
            continue
        line(name, kb=round(m["bytes"] / 1024, 1), cpu_p50_ms=m["cpu50"], cpu_p95_ms=m["cpu95"], wall_p50_ms=m["wall50"],
             queries=m["queries"], x_editor_biggest_cpu=m["cpu50"] / big["cpu50"])
