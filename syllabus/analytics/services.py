"""Writes of analytics (ANL-1): record events, roll them up into daily counts, expire raw events."""
from __future__ import annotations

import datetime as dt
import os

from django.db import transaction
from django.db.models import Count, Max, Min

from syllabus.core import clock
from syllabus.courses.models import Course, Enrollment
from syllabus.lists.models import ResourceList
from syllabus.org import config
from syllabus.org.models import Institution, RoleAssignment, User
from syllabus.org.roles import Role

from .models import DailyUsage, Kind, ListReader, ReaderRole, Rollup, UsageEvent

MAX_RETENTION_DAYS = 3650


#: the role of an event not yet attributed to its course and role: a page view writes its event
#: at once in one INSERT, and the rollup (``syllabus tick``) attributes it before counting it
UNATTRIBUTED = ""


def _readers(pairs: set[tuple[int, int, int | None]]) -> dict[tuple[int, int], tuple[int | None, str]]:
    """``{(user_id, list_id): (course_id, role)}`` for ``(user_id, list_id, institution_id)``:
    the course through which the reader sees the list and their role in it (student,
    instructor, library staff, other). A fixed number of reads, whatever the number of pairs."""
    list_ids = {list_id for _u, list_id, _i in pairs}
    user_ids = {user_id for user_id, _l, _i in pairs}
    links: dict[int, list[int]] = {}
    for list_id, course_id in (ResourceList.courses.through.objects.filter(resourcelist_id__in=list_ids)
                               .order_by("course_id").values_list("resourcelist_id", "course_id")):
        links.setdefault(list_id, []).append(course_id)
    course_ids = {c for cs in links.values() for c in cs}
    enrolled = set(Enrollment.objects.filter(user_id__in=user_ids, course_id__in=course_ids).values_list("user_id", "course_id"))
    taught = set(Course.instructors.through.objects.filter(user_id__in=user_ids, course_id__in=course_ids)
                 .values_list("user_id", "course_id"))
    editors = set(ResourceList.owners.through.objects.filter(user_id__in=user_ids, resourcelist_id__in=list_ids)
                  .values_list("user_id", "resourcelist_id"))
    editors |= set(ResourceList.collaborators.through.objects.filter(user_id__in=user_ids, resourcelist_id__in=list_ids)
                   .values_list("user_id", "resourcelist_id"))
    staff = {(u, i) for u, i in RoleAssignment.objects.filter(user_id__in=user_ids, role=Role.COURSE_RESERVES_OPERATOR)
             .values_list("user_id", "institution_id")}
    people = {pk: (superuser, inst) for pk, superuser, inst in
              User.objects.filter(pk__in=user_ids).values_list("pk", "is_superuser", "institution_id")}
    result: dict[tuple[int, int], tuple[int | None, str]] = {}
    none: list[int | None] = [None]
    for user_id, list_id, institution_id in sorted(pairs, key=lambda p: (p[0], p[1], p[2] or 0)):
        if (user_id, list_id) in result:
            continue
        superuser, home = people.get(user_id, (False, None))
        courses = links.get(list_id, [])
        mine = [c for c in courses if (user_id, c) in enrolled]
        teaching = [c for c in courses if (user_id, c) in taught]
        if mine:
            result[(user_id, list_id)] = (mine[0], ReaderRole.STUDENT)
        elif teaching or (user_id, list_id) in editors:
            result[(user_id, list_id)] = ((teaching or courses or none)[0], ReaderRole.INSTRUCTOR)
        elif superuser or (user_id, institution_id or home) in staff:
            result[(user_id, list_id)] = ((courses or none)[0], ReaderRole.LIBRARY)
        else:
            result[(user_id, list_id)] = ((courses or none)[0], ReaderRole.OTHER)
    return result


def record_events(pending: list[dict]) -> int:
    """Write the events of one request (``{"kind", "user", "at", "list_id", "citation_id",
    "institution_id", "link"}``) in one INSERT — and nothing else when the page names the
    list's institution (issue 19: a page view costs one write).  Each event is attributed to its
    course and role later, by the rollup (:func:`attribute_events`)."""
    if not pending:
        return 0
    missing = {p["list_id"] for p in pending if p.get("list_id") and not p.get("institution_id")}
    institutions: dict[int, int] = dict(ResourceList.objects.filter(pk__in=missing).values_list("pk", "institution_id")) if missing else {}
    rows = []
    for p in pending:
        user, list_id = p["user"], p.get("list_id")
        at = p["at"]
        rows.append(UsageEvent(
            kind=p["kind"], at=at, day=at.date(), user_id=user.pk, resource_list_id=list_id,
            citation_id=p.get("citation_id"), course_id=None, role=UNATTRIBUTED, user_group_id=user.user_group_id,
            institution_id=p.get("institution_id") or institutions.get(list_id or 0) or user.institution_id,
            link=(p.get("link") or "")[:40]))
    _insert(rows)
    return len(rows)


#: PostgreSQL: a page view's event is committed without waiting for its WAL flush (issue 19,
#: ``ANALYTICS_SYNCHRONOUS_COMMIT``): measured on the bench machine, the flush made that commit
#: 0.24–0.28 ms of database CPU and 1.8–2.0 ms of wall time against 0.06–0.08 and 0.2 without it.
#: A crash may lose the last few hundred milliseconds of page-view counts — nothing else: only
#: this one INSERT, in its own transaction, is sent so, never a caller's transaction.
SYNCHRONOUS_COMMIT = os.environ.get("ANALYTICS_SYNCHRONOUS_COMMIT", "0") == "1"
_ASYNC_COMMIT = "SET LOCAL synchronous_commit TO OFF"
_INSERT_SQL: dict[tuple, tuple[list, str]] = {}  # (database alias, vendor) -> (fields, one row's INSERT)


def _insert(rows: list[UsageEvent]) -> None:
    """The rows in one INSERT without ``RETURNING`` (nothing reads their ids), outside a
    transaction of its own when one statement holds them all: ``bulk_create`` opened one and
    asked for the ids back, which cost a page view more CPU than the INSERT (issue 19).  One row
    (a page view) is written by a statement built once per process and, on PostgreSQL outside a
    caller's transaction, committed without waiting for its WAL flush (:data:`SYNCHRONOUS_COMMIT`)."""
    from django.db import connections, router

    db = router.db_for_write(UsageEvent)
    conn = connections[db]
    if len(rows) == 1:
        key = (db, conn.vendor)
        plan = _INSERT_SQL.get(key)
        if plan is None:
            fields = [f for f in UsageEvent._meta.concrete_fields if not f.primary_key]
            qn = conn.ops.quote_name
            plan = _INSERT_SQL[key] = (fields, f"INSERT INTO {qn(UsageEvent._meta.db_table)} "
                                               f"({', '.join(qn(str(f.column)) for f in fields)}) VALUES ({', '.join(['%s'] * len(fields))})")
        fields, sql = plan
        params = [f.get_db_prep_save(f.pre_save(rows[0], True), conn) for f in fields]
        if conn.vendor == "postgresql" and not SYNCHRONOUS_COMMIT and not conn.in_atomic_block:
            # one query, so one implicit transaction, which SET LOCAL lasts: the setting in force
            # when it commits applies, and the query still reads as the INSERT it is
            sql = f"{sql};\n{_ASYNC_COMMIT}"
        with conn.cursor() as cur:
            cur.execute(sql, params)
        return
    fields = [f for f in UsageEvent._meta.concrete_fields if not f.primary_key]
    size = max(conn.ops.bulk_batch_size(fields, rows) or len(rows), 1)
    if len(rows) <= size:
        UsageEvent.objects._insert(rows, fields=fields, using=db)  # type: ignore[attr-defined]
        return
    with transaction.atomic(using=db, savepoint=False):
        for start in range(0, len(rows), size):
            UsageEvent.objects._insert(rows[start:start + size], fields=fields, using=db)  # type: ignore[attr-defined]


def attribute_events(upto: int | None = None) -> int:
    """ANL-1: give every event not yet attributed (up to id ``upto``) its course and the reader's
    role, as they are now (the reader's enrolment, teaching, editing or library role).  A fixed
    number of reads per batch, one UPDATE per distinct (course, role) of a batch.  Returns the
    number of events attributed."""
    pending = UsageEvent.objects.filter(role=UNATTRIBUTED)
    if upto is not None:
        pending = pending.filter(id__lte=upto)
    done = 0
    last = 0
    while True:
        rows = list(pending.filter(id__gt=last).order_by("id").values_list("id", "user_id", "resource_list_id", "institution_id")[:5000])
        if not rows:
            return done
        last = rows[-1][0]
        readers = _readers({(u, lst, inst) for _id, u, lst, inst in rows if u is not None and lst})
        groups: dict[tuple[int | None, str], list[int]] = {}
        for pk, user_id, list_id, _inst in rows:
            course_id, role = readers.get((user_id, list_id or 0), (None, ReaderRole.OTHER))
            groups.setdefault((course_id, role), []).append(pk)
        for (course_id, role), ids in groups.items():
            for start in range(0, len(ids), 900):
                UsageEvent.objects.filter(pk__in=ids[start:start + 900]).update(course_id=course_id, role=role)
        done += len(rows)


GROUP = ("day", "institution_id", "course_id", "resource_list_id", "citation_id", "kind", "role", "user_group_id")


def roll_up_usage(now: dt.datetime | None = None) -> int:
    """Fold every event recorded since the last rollup into ``DailyUsage`` (idempotent).

    The days that received new events are counted again from their raw events (so the
    distinct readers of a day stay exact), then the watermark moves. Returns the number of new
    events folded in."""
    now = now or clock.now()
    with transaction.atomic():
        state = Rollup.objects.select_for_update().first() or Rollup.objects.create()
        top = UsageEvent.objects.aggregate(m=Max("id"))["m"] or 0
        if top <= state.last_event_id:
            return 0
        attribute_events(top)
        fresh = UsageEvent.objects.filter(id__gt=state.last_event_id, id__lte=top)
        moved = fresh.count()
        days = sorted(set(fresh.values_list("day", flat=True).distinct()))
        for start in range(0, len(days), 100):
            chunk = days[start:start + 100]
            DailyUsage.objects.filter(day__in=chunk).delete()
            counts = (UsageEvent.objects.filter(day__in=chunk, id__lte=top).values(*GROUP)
                      .annotate(events=Count("id"), readers=Count("user_id", distinct=True)).order_by())
            DailyUsage.objects.bulk_create((DailyUsage(**row) for row in counts.iterator()), batch_size=2000)
        firsts = (fresh.filter(kind=Kind.LIST_VIEW, role=ReaderRole.STUDENT, user_id__isnull=False)
                  .values("resource_list_id", "course_id", "user_id").annotate(first=Min("day")).order_by())
        ListReader.objects.bulk_create(
            (ListReader(resource_list_id=r["resource_list_id"], course_id=r["course_id"], user_id=r["user_id"],
                        first_day=r["first"]) for r in firsts.iterator()),
            batch_size=2000, ignore_conflicts=True)
        state.last_event_id = top
        state.rolled_up_at = now
        state.save()
    return moved


def retention_days(institution) -> int:
    days = config.get("analytics_retention_days", institution=institution)
    return max(1, min(int(days or 1), MAX_RETENTION_DAYS))


def expire_events(now: dt.datetime | None = None) -> int:
    """Delete raw events older than each institution's retention (ANL-1), once they are rolled up."""
    now = now or clock.now()
    state = Rollup.objects.first()
    if state is None:
        return 0
    removed = 0
    inst_ids = UsageEvent.objects.values_list("institution_id", flat=True).distinct()
    for inst in Institution.objects.filter(pk__in=list(inst_ids)).select_related("consortium"):
        cutoff = now.date() - dt.timedelta(days=retention_days(inst))
        removed += UsageEvent.objects.filter(institution_id=inst.pk, day__lt=cutoff,
                                             id__lte=state.last_event_id).delete()[0]
    return removed
