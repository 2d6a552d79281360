"""A student's two most-hit pages at term start (session 22; CRS-3, LST-8): the course page and the
course's published list, with 50 items on the list and 500 students enrolled in the course — and the
same with 10 items and 50 students, so that a query count that grows with either shows.

Each list is tests/circulation/test_list_page_queries.py's ``rich_list`` (every item catalogued with
two copies, every 3rd an e-resource, every 4th on the student's hold shelf, every 5th a
digitization request, every 6th a discussion; 12 sections), linked to its own course of the demo
institution; built once per database on top of the demo data.

Measured in process (``django.test.Client``, the whole request: middleware, view, template,
database; no network) as one enrolled student with nothing of their own on the list yet (no hold,
no done mark: most students in the first days): ``--runs`` requests after two warm-ups.  Two
phases: *warm* (the shared page caches kept, as for the 2nd..500th student) and *cold* (every
cache emptied before each request: the first student after a change).  CPU is
``time.process_time`` per request (what to compare on a shared machine), wall
``time.perf_counter``; percentiles, never a pass/fail on seconds.

    python -m bench term_start            # SQLite var/bench/term_start.sqlite3, or DATABASE_URL
    python -m bench term_start --quick    # fewer requests
    BENCH_TERM_START_SHAPES=200x500,500x500 python -m bench term_start   # lists of 200 and 500 items

Session 24: a third phase, *first* — the first request of a new worker (a fresh process each time:
bench/first_request.py), without and with ``core.wsgi.warm_up`` (what ``syllabus serve``'s workers now
load before they take a connection), the two alternating; ``BENCH_FIRST_RUNS`` processes each (3).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from contextlib import contextmanager

from bench.common import line, percentile, setup_django, statements

SHAPES = ((10, 50), (50, 500))   # (items, students enrolled)


def _shapes() -> tuple[tuple[int, int], ...]:
    """``BENCH_TERM_START_SHAPES="200x500,500x500"`` (items x students) instead of the default shapes."""
    raw = os.environ.get("BENCH_TERM_START_SHAPES", "").strip()
    if not raw:
        return SHAPES
    return tuple((int(a), int(b)) for a, b in (part.split("x") for part in raw.split(",")))


def _course(institution, items: int, students: int):
    """A course of ``students`` enrolled students (bench people), its published list of ``items``."""
    from syllabus.courses.models import Course, Enrollment
    from syllabus.lists.models import ResourceList
    from syllabus.org.models import Library, User
    from tests.circulation.test_list_page_queries import rich_list

    code = f"TS{items}x{students}"
    course = Course.objects.filter(institution=institution, code=code).first()
    title = f"{code} reading list (bench term start)"
    if course is not None:
        lst = ResourceList.objects.get(title=title)
        return course, lst, User.objects.get(username=f"{code.lower()}-s1")
    course = Course.objects.create(institution=institution, code=code, name="Term start", term="2026-FA")
    people = User.objects.bulk_create([User(username=f"{code.lower()}-s{i}", institution=institution,
                                            first_name="Student", last_name=str(i)) for i in range(students)])
    people = list(User.objects.filter(username__startswith=f"{code.lower()}-s").order_by("pk"))
    Enrollment.objects.bulk_create([Enrollment(course=course, user=u) for u in people])
    instructor = User.objects.get(username="instructor")
    course.instructors.add(instructor)
    library = Library.objects.filter(institution=institution).order_by("pk").first()
    holder = User.objects.get(username=f"{code.lower()}-s0")   # rich_list's holds are this student's
    lst = rich_list(instructor, course, holder, library, items, title=title)
    return course, lst, User.objects.get(username=f"{code.lower()}-s1")


#: session 25: the parts of a cold list page timed on their own (CPU, inside the request's): the
#: items' "copies and access" block (its template, rendered once per item on a cold page) and the
#: computation of what it shows (the catalog's copies, holds, online access: one grouped read)
ACCESS_TEMPLATE = "circulation/_item_access.html"


@contextmanager
def _parts(spent: dict):
    from django.template import base

    from syllabus.circulation import slots

    render, attach = base.Template.render, slots.attach

    def timed(name, fn):
        def wrapper(*args, **kwargs):
            if name == ACCESS_TEMPLATE and getattr(args[0], "name", None) != ACCESS_TEMPLATE:
                return fn(*args, **kwargs)
            start = time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[name] = spent.get(name, 0.0) + (time.process_time() - start) * 1000
        return wrapper

    base.Template.render = timed(ACCESS_TEMPLATE, render)
    slots.attach = timed("item access (attach)", attach)
    try:
        yield
    finally:
        base.Template.render, slots.attach = render, attach


def _measure(client, url: str, runs: int, *, cold: bool) -> dict:
    from django.core.cache import caches

    def clear():
        if cold:
            for name in caches:
                caches[name].clear()

    for _ in range(2):
        clear()
        assert client.get(url).status_code == 200, url
    clear()
    with statements() as seen:
        size = len(client.get(url).content)
    cpu, wall = [], []
    for _ in range(runs):
        clear()
        c0, w0 = time.process_time(), time.perf_counter()
        response = client.get(url)
        cpu.append((time.process_time() - c0) * 1000)
        wall.append((time.perf_counter() - w0) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    parts: dict[str, float] = {}
    with _parts(parts):   # a few more requests, the parts timed (not in the percentiles above)
        for _ in range(3):
            clear()
            client.get(url)
    return {"bytes": size, "queries": len(seen), "cpu50": percentile(cpu, 50), "cpu95": percentile(cpu, 95),
            "wall50": percentile(wall, 50), "parts": {k: v / 3 for k, v in parts.items()}}


def run(args) -> None:
    setup_django("term_start")
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from syllabus.org.models import User

    settings.ALLOWED_HOSTS = ["*"]
    call_command("demo", verbosity=0)
    institution = User.objects.get(username="instructor").institution
    shapes = [(n, m, *_course(institution, n, m)) for n, m in _shapes()]
    runs = 10 if args.quick else int(os.environ.get("BENCH_RUNS", "60"))
    line("term start: data", db=connection.vendor, runs=runs, load=round(os.getloadavg()[0], 2))
    health = _measure(Client(), "/healthz", runs * 3, cold=False)
    line("healthz", cpu_p50_ms=health["cpu50"])
    for phase in ("warm", "cold"):
        for items, students, course, lst, student in shapes:
            client = Client()
            client.force_login(student)
            for page, url in (("course page", f"/courses/{course.pk}/"), ("list page", f"/lists/{lst.pk}/")):
                m = _measure(client, url, runs, cold=phase == "cold")
                line(f"{page}, {items} items/{students} st, {phase}", queries=m["queries"], kb=round(m["bytes"] / 1024, 1),
                     cpu_p50_ms=m["cpu50"], cpu_p95_ms=m["cpu95"], wall_p50_ms=m["wall50"],
                     x_healthz=m["cpu50"] / health["cpu50"])
                if m["parts"]:
                    line(f"  of which ({phase}, mean CPU ms)", **{k.replace("circulation/", "").replace(" ", "_"): v
                                                              for k, v in m["parts"].items()})
    if os.environ.get("BENCH_FIRST_RUNS", "3") != "0":
        first_phase(shapes, args.quick)


def _first_requests(url: str, username: str, runs: int) -> dict[bool, list[dict]]:
    """``runs`` fresh processes' first request to ``url``, without and with the warm-up, alternating."""
    seen: dict[bool, list[dict]] = {False: [], True: []}
    for _ in range(runs):
        for warm in (False, True):
            out = subprocess.run([sys.executable, "-m", "bench.first_request", url, username] + (["--warm"] if warm else []),
                                 check=True, capture_output=True, text=True, env=os.environ).stdout
            seen[warm].append(json.loads(out.strip().splitlines()[-1]))
    return seen


def first_phase(shapes, quick: bool) -> None:
    runs = 2 if quick else int(os.environ.get("BENCH_FIRST_RUNS", "3"))
    for items, _students, _course, lst, student in shapes:
        seen = _first_requests(f"/lists/{lst.pk}/", student.username, runs)
        for warm, name in ((False, "no warm-up"), (True, "warm-up")):
            rows = seen[warm]
            line(f"list page, {items} items, 1st of a worker, {name}", processes=len(rows),
                 first_cpu_p50_ms=percentile([r["first_cpu_ms"] for r in rows], 50),
                 first_cpu_max_ms=max(r["first_cpu_ms"] for r in rows),
                 first_wall_p50_ms=percentile([r["first_wall_ms"] for r in rows], 50),
                 then_cold_cpu_p50_ms=percentile([r["again_cold_cpu_ms"] for r in rows], 50),
                 warm_up_cpu_p50_ms=percentile([r["warm_up_cpu_ms"] for r in rows], 50),
                 queries=rows[0]["first_queries"], kb=round(rows[0]["bytes"] / 1024, 1))
        line(f"list page, {items} items, 1st of a worker, ratio", cpu_p50=percentile([r["first_cpu_ms"] for r in seen[False]], 50)
             / percentile([r["first_cpu_ms"] for r in seen[True]], 50))
