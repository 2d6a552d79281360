"""Term rollover (issue 15, acceptance 6): 5,000 lists averaging 50 items copied to a new term,
in lists per second (goal: at least 3 lists/s on the 2-core machine).

Generates once per database (bulk_create) an institution with 2,500 courses of the old term,
two lists each (5,000 lists, 20,000 sections, ~250,000 items; section dates; 2 % personal copies,
1 % items with a digitization request, 1 % with a cleared copyright status), with half of the
new term's courses already there (the other half is created by the rollover).  Then measures
``roll_over_lists`` — the command's path: one transaction per list — to a fresh term each time,
and prints lists/s, items/s and SQL queries per list; the copies are removed afterwards so that
the next run measures the same work.  ``--quick``: 250 lists.

    python -m bench rollover            # SQLite file var/bench/rollover.sqlite3, or DATABASE_URL
    python -m bench rollover --quick
"""
from __future__ import annotations

import datetime as dt
import os
import random

from bench.common import bulk_insert, line, setup_django, stopwatch

FULL = {"courses": 2_500, "lists_per_course": 2, "items": 50}
QUICK = {"courses": 125, "lists_per_course": 2, "items": 50}
INST = "bench-rollover-u"
OLD, NEW_PREFIX = "2026S", "BENCH-F"


def generate(size: dict, stdout=print) -> None:
    from django.db import transaction

    from syllabus.catalog.models import Record
    from syllabus.core import clock
    from syllabus.courses.models import Course
    from syllabus.fulfillment.models import DigitizationRequest, Kind, Source, Status
    from syllabus.lists.models import Citation, ResourceList, Section
    from syllabus.lists.workflow import ItemStatus, ListStatus, Visibility
    from syllabus.org.models import Consortium, Institution, RoleAssignment, User, UserGroup
    from syllabus.org.roles import Role, Scope

    rnd = random.Random(15)
    now = clock.now()
    start = dt.date(2026, 1, 12)
    with transaction.atomic():
        cons, _ = Consortium.objects.get_or_create(code="bench-rollover", defaults={"name": "Bench consortium"})
        inst = Institution.objects.create(consortium=cons, code=INST, name="Rollover Bench University")
        staff = UserGroup.objects.create(institution=inst, code="staff", name="Staff")
        faculty = UserGroup.objects.create(institution=inst, code="faculty", name="Faculty")
        librarian = User.objects.create(username="rollover-librarian", institution=inst, user_group=staff)
        RoleAssignment.objects.create(user=librarian, role=Role.COURSE_RESERVES_OPERATOR, scope=Scope.INSTITUTION, institution=inst)
        User.objects.bulk_create([User(username=f"ri{i:04d}", institution=inst, user_group=faculty) for i in range(500)])
        teachers = list(User.objects.filter(institution=inst, username__startswith="ri").values_list("id", flat=True))
        n = size["courses"]
        Course.objects.bulk_create(
            [Course(institution=inst, code=f"RC{i:05d}", section="01", name=f"Course {i}", term=OLD, start_date=start,
                    end_date=start + dt.timedelta(days=116)) for i in range(n)]
            + [Course(institution=inst, code=f"RC{i:05d}", section="01", name=f"Course {i}", term="2026F", department="ready",
                      start_date=dt.date(2026, 9, 7)) for i in range(0, n, 2)], batch_size=2000)
        old = list(Course.objects.filter(institution=inst, term=OLD).order_by("id").values_list("id", flat=True))
        Course.instructors.through.objects.bulk_create(
            [Course.instructors.through(course_id=c, user_id=teachers[i % len(teachers)]) for i, c in enumerate(old)], batch_size=5000)
        n_lists = n * size["lists_per_course"]
        ResourceList.objects.bulk_create(
            [ResourceList(institution=inst, title=f"Readings {i}", status=ListStatus.COMPLETE, visibility=Visibility.PUBLISHED,
                          created_at=now, updated_at=now, sent_at=now, published_at=now) for i in range(n_lists)], batch_size=2000)
        lists = list(ResourceList.objects.filter(institution=inst).order_by("id").values_list("id", flat=True))
        ResourceList.courses.through.objects.bulk_create(
            [ResourceList.courses.through(resourcelist_id=lid, course_id=old[i // size["lists_per_course"]])
             for i, lid in enumerate(lists)], batch_size=5000)
        ResourceList.owners.through.objects.bulk_create(
            [ResourceList.owners.through(resourcelist_id=lid, user_id=teachers[(i // 2) % len(teachers)]) for i, lid in enumerate(lists)],
            batch_size=5000)
        Section.objects.bulk_create([Section(resource_list_id=lid, title=f"Week {w + 1}", position=w,
                                             start_date=start + dt.timedelta(weeks=w), end_date=start + dt.timedelta(weeks=w, days=6))
                                     for lid in lists for w in range(4)], batch_size=5000)
        sections: dict[int, list[int]] = {}
        for sid, lid in Section.objects.filter(resource_list__institution=inst).order_by("resource_list_id", "position").values_list(
                "id", "resource_list_id"):
            sections.setdefault(lid, []).append(sid)
        record = Record.objects.create(institution=inst, source_id="bench-1", title="A digitized book")
        def citations():
            for lid in lists:
                k = rnd.randint(size["items"] - 40, size["items"] + 40)  # 10..90, mean 50
                for j in range(k):
                    r = rnd.random()
                    yield Citation(
                        resource_list_id=lid, section_id=sections[lid][j * 4 // k], position=j,
                        type=("book", "article", "book_chapter", "website")[j % 4],
                        metadata={"title": f"Work {j} of list {lid}", "author": [{"family": "Author", "given": str(j)}],
                                  "issued": {"date-parts": [[2000 + j % 25]]}},
                        title=f"Work {j} of list {lid}", status=ItemStatus.COMPLETE, tags=["essential"],
                        public_note="Read before class." if j % 5 == 0 else "", library_note="on the shelf" if j % 9 == 0 else "",
                        formatted=f"<i>Work {j}</i> (2000).", formatted_style="apa",
                        personal_copy=r < 0.02, copyright_status="approved" if 0.02 <= r < 0.03 else "",
                        record=record if 0.03 <= r < 0.04 else None, created_at=now, updated_at=now)

        total = bulk_insert(Citation, citations())
        DigitizationRequest.objects.bulk_create([
            DigitizationRequest(institution=inst, kind=Kind.DIGITIZATION, source=Source.COURSE, requester_id=teachers[0],
                                record=record, citation_id=cid, title="A digitized book", status=Status.COMPLETED)
            for cid in Citation.objects.filter(resource_list__institution=inst, record=record).values_list("id", flat=True)],
            batch_size=5000)
    stdout(f"  generated: {n} old-term courses ({len(range(0, n, 2))} already in the new term), {len(lists)} lists, "
           f"{len(lists) * 4} sections, {total} items")


def _remove_copies(to_term: str) -> None:
    """Delete what a measured run made (raw deletes: the ORM's cascade would take minutes)."""
    from django.db import connection, transaction

    from syllabus.courses.models import Course
    from syllabus.lists.models import Citation, ResourceList, RolloverEntry, RolloverRun, Section

    with transaction.atomic():
        copies = ResourceList.objects.filter(institution__code=INST, courses__term=to_term)
        ids = list(copies.values_list("id", flat=True).distinct())
        for n in range(0, len(ids), 500):
            part = ids[n:n + 500]
            for qs in (Citation.objects.filter(resource_list_id__in=part), Section.objects.filter(resource_list_id__in=part),
                       ResourceList.courses.through.objects.filter(resourcelist_id__in=part),
                       ResourceList.owners.through.objects.filter(resourcelist_id__in=part),
                       RolloverEntry.objects.filter(copy_id__in=part), ResourceList.objects.filter(pk__in=part)):
                qs._raw_delete(connection.alias)
        RolloverEntry.objects.filter(to_term=to_term).delete()
        RolloverRun.objects.filter(to_term=to_term).delete()
        made = Course.objects.filter(institution__code=INST, term=to_term).exclude(department="ready")  # the generated ones stay
        Course.instructors.through.objects.filter(course__in=made)._raw_delete(connection.alias)
        made._raw_delete(connection.alias)


def run(args) -> None:
    setup_django("rollover")
    from django.db import connection

    from syllabus.lists.models import Citation, ResourceList
    from syllabus.lists.rollover import roll_over_lists
    from syllabus.org.models import Institution, User

    size = QUICK if args.quick else FULL
    n_lists = size["courses"] * size["lists_per_course"]
    inst = Institution.objects.filter(code=INST).first()
    if inst is None or ResourceList.objects.filter(institution=inst).count() < n_lists:
        with stopwatch() as gen:
            generate(size)
        line("generate", seconds=gen["seconds"])
        inst = Institution.objects.get(code=INST)
    items = Citation.objects.filter(resource_list__institution=inst, resource_list__courses__term=OLD).count()
    librarian = User.objects.get(username="rollover-librarian")
    to_term = "2026F"  # half its courses exist; the rollover creates the rest
    _remove_copies(to_term)
    queries = {"n": 0}

    def counter(execute, sql, params, many, context):
        queries["n"] += 1
        return execute(sql, params, many, context)

    with stopwatch() as dry, connection.execute_wrapper(counter):
        report = roll_over_lists(librarian, inst, from_term=OLD, to_term=to_term, dry_run=True)
    line("rollover dry run", lists=report.lists_copied, seconds=dry["seconds"], lists_per_s=report.lists_copied / dry["seconds"],
         queries_per_list=queries["n"] / max(1, report.lists_copied))
    queries["n"] = 0
    with stopwatch() as real, connection.execute_wrapper(counter):
        report = roll_over_lists(librarian, inst, from_term=OLD, to_term=to_term)
    line("rollover", lists=report.lists_copied, items=report.items_copied, seconds=real["seconds"],
         lists_per_s=report.lists_copied / real["seconds"], items_per_s=report.items_copied / real["seconds"],
         queries_per_list=queries["n"] / max(1, report.lists_copied))
    line("rollover report", courses_created=report.courses_created, skipped=report.items_skipped,
         recheck=report.items_recheck, failed=report.lists_failed, items_in_old_term=items)
    assert report.lists_failed == 0 and report.lists_copied == n_lists, "every list copied"
    with stopwatch() as again:
        second = roll_over_lists(librarian, inst, from_term=OLD, to_term=to_term)
    line("rollover second run (ROLL-8)", copied=second.lists_copied, already=second.lists_already_copied, seconds=again["seconds"])
    line("database", vendor=connection.vendor, load_average=" ".join(f"{x:.2f}" for x in os.getloadavg()))
    _remove_copies(to_term)
