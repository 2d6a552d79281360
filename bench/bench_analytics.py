"""Analytics (issue 16 acceptance 5): recording usage events and rolling them up (events/s), and
each report's p95 over a year of events for 5,000 lists.

The events go through the recorder's own write path (``record_events``: attribution reads,
then one INSERT per flush), in flushes of 500 events as many requests' buffers would give;
then ``roll_up_usage`` folds them into daily counts. ``--quick`` (or ``BENCH_ANALYTICS_SCALE``,
a fraction) shrinks everything for a smoke run. The bench database is rebuilt on every run."""
from __future__ import annotations

import datetime as dt
import os
import random
from decimal import Decimal

from bench.common import BENCH_DIR, line, setup_django, stopwatch, summary

FLUSH = 500


def _scale(args) -> float:
    if os.environ.get("BENCH_ANALYTICS_SCALE"):
        return float(os.environ["BENCH_ANALYTICS_SCALE"])
    return 0.02 if getattr(args, "quick", False) else 1.0


def run(args) -> None:  # noqa: C901 - one linear script
    scale = _scale(args)
    if not os.environ.get("DATABASE_URL"):
        (BENCH_DIR / "analytics.sqlite3").unlink(missing_ok=True)
    setup_django("analytics")
    import time

    from syllabus.acquisitions.models import AcquisitionTask
    from syllabus.analytics import reports
    from syllabus.analytics.models import DailyUsage, UsageEvent
    from syllabus.analytics.services import record_events, roll_up_usage
    from syllabus.catalog.models import Record, Representation
    from syllabus.courses.models import Course, Enrollment
    from syllabus.fulfillment.models import DigitizationDepartment, DigitizationRequest, Kind as RKind, Source, Status, TaskStatus
    from syllabus.lending.models import LoanRequest
    from syllabus.lists.models import Citation, ResourceList, Section
    from syllabus.org.models import Consortium, Institution, Library, User, UserGroup

    rng = random.Random(16)
    n_lists = max(50, int(5000 * scale))
    n_events = max(10_000, int(1_000_000 * scale))
    n_students = max(100, int(4000 * scale))
    items_per_list = 10
    year_start = dt.datetime(2025, 9, 1, tzinfo=dt.timezone.utc)

    cons = Consortium.objects.create(code="bench-anl", name="Bench")
    inst = Institution.objects.create(code="bench-anl-u", name="Bench University", consortium=cons)
    lib = Library.objects.create(institution=inst, code="bench-anl-lib", name="Main Library")
    group = UserGroup.objects.create(institution=inst, code="ug", name="Undergraduate")
    with stopwatch() as t:
        departments = [f"Dept {d}" for d in range(20)]
        courses = Course.objects.bulk_create([Course(institution=inst, code=f"C{i:05d}", name=f"Course {i}", term=("2025A", "2026S")[i % 2],
                                                     department=departments[i % 20]) for i in range(n_lists)])
        students = User.objects.bulk_create([User(username=f"anl-s{i}", institution=inst, user_group=group) for i in range(n_students)])
        Enrollment.objects.bulk_create([Enrollment(course=courses[(i * 7 + k) % n_lists], user=s)
                                        for i, s in enumerate(students) for k in range(5)], ignore_conflicts=True)
        lists = ResourceList.objects.bulk_create([ResourceList(institution=inst, title=f"Readings {i}", visibility="published",
                                                               sent_at=year_start + dt.timedelta(days=i % 300),
                                                               completed_at=year_start + dt.timedelta(days=i % 300 + 1 + i % 9)
                                                               if i % 3 else None) for i in range(n_lists)])
        ResourceList.courses.through.objects.bulk_create([ResourceList.courses.through(resourcelist_id=lst.pk, course_id=c.pk)
                                                          for lst, c in zip(lists, courses)])
        sections = Section.objects.bulk_create([Section(resource_list=lst, title="Week 1") for lst in lists])
        citations = Citation.objects.bulk_create([Citation(resource_list=lst, section=sec, position=p, title=f"Work {rng.randrange(3 * n_lists)}")
                                                  for lst, sec in zip(lists, sections) for p in range(items_per_list)], batch_size=2000)
        by_list: dict[int, list[int]] = {}
        for c in citations:
            by_list.setdefault(c.resource_list_id, []).append(c.pk)
        depts = [DigitizationDepartment.objects.create(institution=inst, code=f"d{d}", name=f"Scanning {d}") for d in range(5)]
        requester = students[0]
        DigitizationRequest.objects.bulk_create([DigitizationRequest(
            institution=inst, kind=RKind.DIGITIZATION if i % 4 else RKind.COPYRIGHT, source=Source.COURSE, requester=requester,
            department=depts[i % 5], course=courses[i % n_lists], library=lib, status=Status.DELIVERED,
            copyright=(TaskStatus.APPROVED, TaskStatus.REJECTED, TaskStatus.PENDING)[i % 3] if i % 4 == 0 else TaskStatus.NOT_REQUIRED,
            created_at=year_start + dt.timedelta(days=i % 360), delivered_at=year_start + dt.timedelta(days=i % 360 + 1 + i % 7),
            access_token=f"bench-{i}") for i in range(n_lists)], batch_size=2000)
        AcquisitionTask.objects.bulk_create([AcquisitionTask(institution=inst, citation_id=citations[i * 7 % len(citations)].pk,
                                                             kind="order", cost_amount=Decimal("20.00") + i % 50, cost_currency="EUR",
                                                             library=lib) for i in range(n_lists)], batch_size=2000)
        titles = []
        for r in range(max(10, n_lists // 50)):
            rec = Record.objects.create(institution=inst, source_id=f"anl-{r}", title=f"Lent {r}", csl={"title": f"Lent {r}"})
            titles.append(Representation.objects.create(record=rec, library=lib, label="Digitized"))
        LoanRequest.objects.bulk_create([LoanRequest(representation=titles[i % len(titles)], patron=students[i], status="completed",
                                                     step="completed", requested_at=year_start, handed_over_at=year_start + dt.timedelta(days=1 + i % 5))
                                         for i in range(min(n_students, 2000))])
    line("setup", lists=n_lists, citations=len(citations), students=n_students, seconds=t["seconds"])

    kinds = ["list_view"] * 5 + ["item_open"] * 3 + ["file_download", "findit_click", "marked_done"]
    with stopwatch() as t:
        done = 0
        while done < n_events:
            pending = []
            for _ in range(min(FLUSH, n_events - done)):
                lst = lists[rng.randrange(n_lists)]
                kind = rng.choice(kinds)
                pending.append({"kind": kind, "user": students[rng.randrange(n_students)], "list_id": lst.pk,
                                "institution_id": inst.pk, "citation_id": None if kind == "list_view" else rng.choice(by_list[lst.pk]),
                                "at": year_start + dt.timedelta(seconds=rng.randrange(365 * 86400))})
            done += record_events(pending)
    line("record events (flushes of 500)", events=done, seconds=t["seconds"], events_per_s=done / t["seconds"])

    one = []
    for i in range(300):
        lst = lists[i % n_lists]
        start = time.perf_counter()
        record_events([{"kind": "list_view", "user": students[i % n_students], "list_id": lst.pk, "institution_id": inst.pk,
                        "at": year_start + dt.timedelta(days=100)}])
        one.append(time.perf_counter() - start)
    s = summary(one)
    line("record one page view's event", n=s["n"], p50_ms=s["p50_ms"], p95_ms=s["p95_ms"])

    with stopwatch() as t:
        moved = roll_up_usage(year_start + dt.timedelta(days=366))
    line("roll up (first sweep)", events=moved, daily_rows=DailyUsage.objects.count(), seconds=t["seconds"],
         events_per_s=moved / t["seconds"])
    with stopwatch() as t:
        UsageEvent.objects.bulk_create([UsageEvent(kind="list_view", at=year_start + dt.timedelta(days=364), day=(year_start + dt.timedelta(days=364)).date(),
                                                   institution=inst, resource_list=lists[i % n_lists], user=students[i % n_students])
                                        for i in range(1000)])
        moved = roll_up_usage(year_start + dt.timedelta(days=366))
    line("roll up (next sweep, 1,000 new)", events=moved, seconds=t["seconds"])

    runs = 10 if scale >= 0.5 else 20
    for code in reports.REPORTS:
        samples = []
        for _ in range(runs):
            start = time.perf_counter()
            reports.build(code, inst, reports.Filters())
            samples.append(time.perf_counter() - start)
        s = summary(samples)
        line(f"report {code}", n=s["n"], p50_ms=s["p50_ms"], p95_ms=s["p95_ms"])
    samples = []
    for _ in range(runs * 5):
        lst = lists[rng.randrange(n_lists)]
        start = time.perf_counter()
        reports.finish(reports.list_engagement(lst), inst)
        samples.append(time.perf_counter() - start)
    s = summary(samples)
    line("report list-engagement (random list)", n=s["n"], p50_ms=s["p50_ms"], p95_ms=s["p95_ms"])
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        reports.build("adoption", inst, reports.Filters(department="Dept 3"))
        samples.append(time.perf_counter() - start)
    s = summary(samples)
    line("report adoption (one department)", n=s["n"], p50_ms=s["p50_ms"], p95_ms=s["p95_ms"])
