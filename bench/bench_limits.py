"""Resource limits (issue 18, item 3 and "what to build"): the largest value the API accepts for
every numeric input costs bounded time and memory on SQLite.

First it lists every bounded integer input of ``/api/v1/openapi.json`` (path, query and body,
with its ceiling) and says which case below drives it to that ceiling. Then each case calls its
endpoint through Django's test client (middleware, auth, view, database: server time) with
the ceiling and with a small value, ``runs`` times each, and prints:

- time per call: p50 / p95 / max (ms), and the ratio of the ceiling's p50 to the small value's;
- peak memory per call: the largest Python heap growth during one call (tracemalloc, measured
  in a separate pass so it does not slow the timed one), and the ratio to the small value's;
- the status answered (a ceiling must be accepted or refused by a rule, never a 5xx).

At the end: the process's peak RSS. Nothing passes or fails on seconds (BENCHMARKS.md keeps the
figures). ``--quick`` runs fewer calls.
"""
from __future__ import annotations

import json
import resource
import time
import tracemalloc
from collections.abc import Callable

from bench.common import line, percentile, setup_django

MAX_ID = 2**63 - 1


def _bounded_inputs(doc: dict) -> list[tuple[str, str, int]]:
    """(operation, input, maximum) for every integer input with a ceiling."""
    schemas = doc.get("components", {}).get("schemas", {})
    out: list[tuple[str, str, int]] = []

    def walk(op: str, where: str, schema: dict, seen: frozenset = frozenset()) -> None:
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            if name not in seen:
                walk(op, where, schemas.get(name, {}), seen | {name})
            return
        for key in ("anyOf", "oneOf", "allOf"):
            for sub in schema.get(key, []):
                walk(op, where, sub, seen)
        if schema.get("type") == "integer" and "maximum" in schema:
            out.append((op, where, int(schema["maximum"])))
        for name, sub in schema.get("properties", {}).items():
            walk(op, f"{where}.{name}" if where else name, sub, seen)
        if isinstance(schema.get("items"), dict):
            walk(op, f"{where}[]", schema["items"], seen)
        if isinstance(schema.get("additionalProperties"), dict):
            walk(op, f"{where}{{}}", schema["additionalProperties"], seen)

    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            label = f"{method.upper()} {path}"
            for p in op.get("parameters", []):
                walk(label, p["name"], p.get("schema", {}))
            for content in op.get("requestBody", {}).get("content", {}).values():
                walk(label, "body", content.get("schema", {}))
    return out


def _world():
    """An institution with 1,000 courses, a list of 250 citations with a long history, a
    representation, a policy, a digitization department: what the cases below need."""
    from django.db import transaction

    from syllabus.catalog.models import Record, Representation
    from syllabus.courses.models import Course
    from syllabus.lending import services as lending
    from syllabus.lists import services as lists
    from syllabus.org.models import Consortium, Institution, Library, User, UserGroup
    from syllabus.org.roles import Role
    from syllabus.org.services import assign_role, create_api_token

    cons, _ = Consortium.objects.get_or_create(code="bench", defaults={"name": "Bench"})
    inst, _ = Institution.objects.get_or_create(code="bench-limits", defaults={"name": "Limits University", "consortium": cons})
    lib, _ = Library.objects.get_or_create(code="bench-limits-lib", defaults={"name": "Limits Library", "institution": inst})
    staff_group, _ = UserGroup.objects.get_or_create(institution=inst, code="staff", defaults={"name": "Staff"})
    admin, created = User.objects.get_or_create(username="bench-limits-admin",
                                                defaults={"institution": inst, "user_group": staff_group, "is_staff": True})
    if created:
        for role in (Role.GENERAL_SYSTEM_ADMINISTRATOR, Role.COURSE_RESERVES_OPERATOR, Role.DIGITAL_INVENTORY_OPERATOR):
            assign_role(admin, role)
    admin = User.objects.get(pk=admin.pk)
    if not Course.objects.filter(institution=inst).exists():
        Course.objects.bulk_create([Course(institution=inst, code=f"LIM{i:04d}", name=f"Limits course {i}", term="2026S")
                                    for i in range(1000)])
    course = Course.objects.filter(institution=inst).order_by("pk").first()
    from syllabus.lists.models import ResourceList

    lst = ResourceList.objects.filter(institution=inst, title="Limits list").first()
    if lst is None:
        with transaction.atomic():
            lst = lists.create_list(admin, title="Limits list", courses=[course])
            for w in range(5):
                section = lists.add_section(admin, lst, title=f"Week {w + 1}")
                for i in range(50):
                    lists.add_citation(admin, lst, section, "book", {"title": f"Book {w}-{i}",
                                                                       "author": [{"family": "Eliot", "given": "George"}]})
    record, _ = Record.objects.get_or_create(institution=inst, source_id="bench-limits-1", defaults={"title": "Middlemarch"})
    rep = Representation.objects.filter(record=record, library=lib).first() or Representation.objects.create(record=record, library=lib)
    policy = lending.create_policy(admin, inst, name=f"Limits policy {time.time_ns()}", rules=[{}])
    lending.configure_representation(admin, rep, policy=policy, concurrent_users=1)
    _, token = create_api_token(admin)
    return {"admin": admin, "inst": inst, "list": lst, "course": course, "rep": rep, "policy": policy, "token": token,
            "section": lst.sections.order_by("position").first()}


def _measure(call: Callable[[], object], runs: int) -> dict:
    times, statuses = [], set()
    for _ in range(runs):
        start = time.perf_counter()
        r = call()
        times.append(time.perf_counter() - start)
        statuses.add(getattr(r, "status_code", 0))
    peaks = []
    for _ in range(max(2, runs // 5)):
        tracemalloc.start()
        call()
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    ms = [t * 1000 for t in times]
    return {"p50": percentile(ms, 50), "p95": percentile(ms, 95), "max": max(ms), "peak_kb": max(peaks) / 1024,
            "status": ",".join(str(s) for s in sorted(statuses))}


def run(args) -> None:
    setup_django("limits")
    import logging

    logging.getLogger("django.request").setLevel(logging.ERROR)  # the 404s asked for are not news; a 5xx still is
    from django.conf import settings
    from django.test import Client

    from syllabus.api.api import api as ninja_api
    from syllabus.core.pagination import MAX_LIMIT, MAX_OFFSET

    runs = 5 if args.quick else 10
    doc = ninja_api.get_openapi_schema(path_prefix="/api/v1/")
    inputs = _bounded_inputs(doc)
    w = _world()
    client = Client(HTTP_AUTHORIZATION=f"Bearer {w['token']}")
    lst, rep, section, policy = w["list"], w["rep"], w["section"], w["policy"]
    citation = lst.citations.order_by("pk").first()

    def get(path):
        return lambda: client.get(path)

    def send(method, path, body):
        return lambda: getattr(client, method)(path, data=json.dumps(body), content_type="application/json")

    rule = {"request_priority": 99, "session_period": 10_000, "session_period_unit": "hours", "grace_period": 10_000,
            "grace_period_unit": "hours", "max_renewal_days": 3650, "open_for_renewal_days": 3650, "renewable": True,
            "limit_reloan": True, "reloan_limit_days": 3650}
    small_rule = {"request_priority": 0, "session_period": 3, "grace_period": 2}
    n = {"i": 0}

    def fresh(prefix: str) -> str:
        n["i"] += 1
        return f"{prefix}{time.time_ns()}{n['i']}"

    # (name, inputs it drives to the ceiling, call at the ceiling, call with a small value)
    cases: list[tuple[str, list[str], Callable, Callable]] = [
        (f"page limit={MAX_LIMIT} (courses)", ["limit"], get(f"/api/v1/courses?limit={MAX_LIMIT}"), get("/api/v1/courses?limit=1")),
        (f"page offset={MAX_OFFSET} (courses)", ["offset"], get(f"/api/v1/courses?limit={MAX_LIMIT}&offset={MAX_OFFSET}"),
         get("/api/v1/courses?limit=1&offset=0")),
        ("page limit+offset (list history)", ["limit", "offset"],
         get(f"/api/v1/lists/{lst.pk}/history?limit={MAX_LIMIT}&offset={MAX_OFFSET}"), get(f"/api/v1/lists/{lst.pk}/history?limit=1")),
        ("id=2^63-1 (GET list)", ["list_id"], get(f"/api/v1/lists/{MAX_ID}"), get(f"/api/v1/lists/{lst.pk}")),
        ("id=2^63-1 (GET record)", ["record_id"], get(f"/api/v1/records/{MAX_ID}"), get(f"/api/v1/records/{rep.record_id}")),
        ("citation position=100000 (250 items)", ["position"],
         lambda: client.post(f"/api/v1/lists/{lst.pk}/citations", data=json.dumps(
             {"section_id": section.pk, "metadata": {"title": fresh("Appended ")}, "position": 100_000}),
             content_type="application/json"),
         lambda: client.post(f"/api/v1/lists/{lst.pk}/citations", data=json.dumps(
             {"section_id": section.pk, "metadata": {"title": fresh("First ")}, "position": 0}),
             content_type="application/json")),
        ("citation move position=100000", ["position"], send("post", f"/api/v1/citations/{citation.pk}/move", {"position": 100_000}),
         send("post", f"/api/v1/citations/{citation.pk}/move", {"position": 0})),
        ("section move position=100000", ["position"], send("post", f"/api/v1/sections/{section.pk}/move", {"position": 100_000}),
         send("post", f"/api/v1/sections/{section.pk}/move", {"position": 0})),
        ("concurrent_users=10000 (then 1)", ["concurrent_users"],
         lambda: (send("patch", f"/api/v1/representations/{rep.pk}", {"concurrent_users": 10_000})(),
                  send("patch", f"/api/v1/representations/{rep.pk}", {"concurrent_users": 1})())[0],
         lambda: (send("patch", f"/api/v1/representations/{rep.pk}", {"concurrent_users": 2})(),
                  send("patch", f"/api/v1/representations/{rep.pk}", {"concurrent_users": 1})())[0]),
        ("policy periods/days/priority at max", ["session_period", "grace_period", "max_renewal_days",
                                                 "open_for_renewal_days", "reloan_limit_days", "request_priority"],
         send("patch", f"/api/v1/access-rights-policies/{policy.pk}", {"rules": [rule]}),
         send("patch", f"/api/v1/access-rights-policies/{policy.pk}", {"rules": [small_rule]})),
        ("course number_of_students=1000000", ["number_of_students"],
         lambda: client.post("/api/v1/courses", data=json.dumps({"code": fresh("BIG"), "name": "Big", "number_of_students": 1_000_000}),
                             content_type="application/json"),
         lambda: client.post("/api/v1/courses", data=json.dumps({"code": fresh("SMALL"), "name": "Small", "number_of_students": 1}),
                             content_type="application/json")),
        ("department work_time_days=3650", ["work_time_days"],
         lambda: client.post("/api/v1/digitization/departments", data=json.dumps(
             {"code": fresh("d"), "name": "Slow", "work_time_days": 3650}), content_type="application/json"),
         lambda: client.post("/api/v1/digitization/departments", data=json.dumps(
             {"code": fresh("d"), "name": "Fast", "work_time_days": 1}), content_type="application/json")),
        ("patron limits=10000", ["body{}"], send("put", "/api/v1/digitization/patron-limits", {"staff": 10_000}),
         send("put", "/api/v1/digitization/patron-limits", {"staff": 1})),
    ]
    covered = {name for _, names, _, _ in cases for name in names}
    line("limits: data set", courses=1000, citations=lst.citations.count(), runs=runs,
         db=settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1])
    fields = sorted({(where.rsplit(".", 1)[-1], maximum) for _, where, maximum in inputs})
    print(f"bounded integer inputs in the OpenAPI: {len(inputs)} (in {len({o for o, _, _ in inputs})} operations), "
          f"{len(fields)} distinct (name, ceiling):", flush=True)
    for name, maximum in fields:
        if name in covered:
            mark = "driven to its ceiling below"
        elif name.endswith(("_id", "_ids[]")) or name == "representation":
            mark = "an id: same bound and lookup as list_id/record_id (driven)"
        else:
            mark = "NOT driven (a stored number)"
        print(f"    {name:<28} max {maximum:<20} {mark}", flush=True)
    print(f"{'case':<40} {'status':>8} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'x p50':>6} {'peak KiB':>9} {'x peak':>7}",
          flush=True)
    for name, _, at_max, small in cases:
        base = _measure(small, runs)
        top = _measure(at_max, runs)
        print(f"{name:<40} {top['status']:>8} {top['p50']:>8.1f} {top['p95']:>8.1f} {top['max']:>8.1f} "
              f"{top['p50'] / base['p50']:>6.1f} {top['peak_kb']:>9.0f} {top['peak_kb'] / max(base['peak_kb'], 1):>7.1f}",
              flush=True)
    print(f"process peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB", flush=True)
