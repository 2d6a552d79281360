"""The reports of ANL-2: each one a read over the daily counts (never the raw events) and the
other apps' rows, answering a :class:`Report` of tables that pages, CSV, XLSX and the API all
render the same way.

Privacy (ANL-1): no report names a student; a count of readers or of reader actions below the
``analytics_small_count`` threshold (default 5) is replaced by "fewer than 5" — in the page,
the exports and the API alike. Counts of the library's own work (lists sent, requests,
waitlists) are not readers' behaviour and are shown as they are.
"""
from __future__ import annotations

import datetime as dt
import functools
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.utils.translation import ngettext
from django_stubs_ext import StrOrPromise

from syllabus.acquisitions.models import AcquisitionTask
from syllabus.courses.models import Course, Enrollment
from syllabus.fulfillment.models import DigitizationRequest, Kind as RequestKind, OPEN_STATUSES, TaskStatus
from syllabus.lending.models import LoanRequest, Status as LoanStatus, Step as LoanStep
from syllabus.lists.models import Citation, ResourceList
from syllabus.lists.workflow import Visibility
from syllabus.org import config

from .models import DailyUsage, Kind, ListReader, Rollup

MAX_SMALL_COUNT = 100


@dataclass(frozen=True)
class Filters:
    """The filters of every report (ANL-2): term, (academic) department and course code of the
    courses concerned, and the library code where the report's rows belong to a library."""

    term: str = ""
    department: str = ""
    course: str = ""
    library: str = ""

    @classmethod
    def from_query(cls, q) -> Filters:
        return cls(**{k: (q.get(k) or "").strip()[:120] for k in ("term", "department", "course", "library")})

    def as_dict(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if v}

    @property
    def on_courses(self) -> bool:
        return bool(self.term or self.department or self.course)


@dataclass
class Column:
    """A column of a table: its key in the rows, its heading (declared lazily translated, a
    string in a built report) and how its values show."""

    key: str
    label: StrOrPromise
    kind: str = "text"       # text | count | number | money | share | date
    small: bool = False      # a count of readers or reader actions: the small-count rule applies


@dataclass
class Table:
    title: str
    columns: list[Column]
    rows: list[dict]
    caption: str = ""


@dataclass
class Chart:
    """A bar chart of the first table: ``x`` labels each bar group, ``series`` are the bars."""

    x: str
    series: list[str]
    unit: StrOrPromise = ""


@dataclass
class Report:
    code: str
    title: str
    tables: list[Table]
    chart: Chart | None = None
    note: str = ""
    rolled_up_at: dt.datetime | None = None
    filters: Filters = field(default_factory=Filters)


@dataclass(frozen=True)
class Definition:
    code: str
    title: Any
    audience: str          # library | admin
    build: Callable[..., Report]
    description: Any = ""


REPORTS: dict[str, Definition] = {}

#: what a declared report's function answers: the rows of its table
Rows = list[dict]


def report(code: str, title, audience: str, description, *, table, columns: list[Column], chart: Chart):
    """Declare the decorated ``rows(institution, filters) -> rows`` as report ``code`` (listed in
    the order of declaration) for ``audience`` (library | admin), shown as one table (``table``,
    its ``columns``) and a chart of it.  The name becomes the function that answers the whole
    :class:`Report`: what it shows is the declaration's, said once, translated when it is built."""

    def declare(rows: Callable[[Any, Filters], Rows]) -> Callable[..., Report]:
        @functools.wraps(rows)
        def build(institution, f: Filters = Filters()) -> Report:
            shown = [replace(c, label=str(c.label)) for c in columns]
            found = [Table(str(table), shown, rows(institution, f))]
            return Report(code, str(title), found, chart=replace(chart, unit=str(chart.unit)), filters=f)

        REPORTS[code] = Definition(code, title, audience, build, description)
        return build

    return declare


def small_threshold(institution) -> int:
    value = config.get("analytics_small_count", institution=institution)
    return max(1, min(int(value or 1), MAX_SMALL_COUNT))


def fewer_than(n: int) -> str:
    return ngettext("fewer than %(n)d", "fewer than %(n)d", n) % {"n": n}


def suppress(tables: Iterable[Table], threshold: int) -> None:
    """The small-count rule: every ``small`` count in 1..threshold-1 becomes "fewer than N";
    a share computed from such a count goes too."""
    label = fewer_than(threshold)
    for table in tables:
        smalls = [c.key for c in table.columns if c.small]
        for row in table.rows:
            hidden = False
            for key in smalls:
                value = row.get(key)
                if isinstance(value, int) and 0 < value < threshold:
                    row[key] = label
                    hidden = True
            if hidden:
                for c in table.columns:
                    if c.kind == "share" and row.get(c.key) is not None:
                        row[c.key] = label


def last_rollup() -> dt.datetime | None:
    state = Rollup.objects.first()
    return state.rolled_up_at if state else None


def _courses(institution, f: Filters) -> QuerySet[Course]:
    qs = Course.objects.filter(institution=institution)
    if f.term:
        qs = qs.filter(term=f.term)
    if f.department:
        qs = qs.filter(department=f.department)
    if f.course:
        qs = qs.filter(code=f.course)
    return qs


def _days(a: dt.datetime | None, b: dt.datetime | None) -> float | None:
    if a is None or b is None:
        return None
    return round((b - a).total_seconds() / 86400, 1)


def _summary(values: list[float]) -> dict:
    if not values:
        return {"average": None, "median": None, "longest": None}
    return {"average": round(sum(values) / len(values), 1), "median": round(statistics.median(values), 1),
            "longest": max(values)}


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


USAGE_COLUMNS = [(Kind.LIST_VIEW, _("List views")), (Kind.ITEM_OPEN, _("Item opens")),
                 (Kind.FILE_DOWNLOAD, _("File downloads")), (Kind.FINDIT_CLICK, _("Find it clicks")),
                 (Kind.MARKED_DONE, _("Marked as done"))]


ITEM_KINDS = [str(Kind.ITEM_OPEN), str(Kind.FILE_DOWNLOAD), str(Kind.FINDIT_CLICK), str(Kind.MARKED_DONE)]


# --- instructors ---------------------------------------------------------------------------------

def list_engagement(lst: ResourceList, f: Filters = Filters()) -> Report:
    """ANL-2 for a list's owners: reader actions per week, and every item from the most to the
    least used (opens, downloads, Find it, done)."""
    usage = DailyUsage.objects.filter(resource_list=lst)
    if f.on_courses:
        usage = usage.filter(course__in=_courses(lst.institution, f))
    weekly: dict[dt.date, dict] = {}
    for day, kind, n in usage.values_list("day", "kind").annotate(n=Sum("events")).order_by("day"):
        week = weekly.setdefault(_monday(day), {"week": _monday(day).isoformat(), **{k: 0 for k, _l in USAGE_COLUMNS}})
        week[kind] += n
    per_item: dict[int, dict[str, int]] = defaultdict(lambda: {str(k): 0 for k, _l in USAGE_COLUMNS})
    for cid, kind, n in (usage.filter(citation__isnull=False).values_list("citation_id", "kind")
                         .annotate(n=Sum("events")).order_by()):
        per_item[cid][kind] += n
    items = []
    for c in Citation.objects.filter(resource_list=lst).order_by("section__position", "position", "id"):
        counts = per_item.get(c.pk) or {str(k): 0 for k, _l in USAGE_COLUMNS}
        row: dict[str, Any] = {"item": c.title or str(_("(untitled)")), "citation_id": c.pk}
        for k in ITEM_KINDS:
            row[k] = counts[k]
        row["total"] = sum(counts[k] for k in ITEM_KINDS)
        items.append(row)
    items.sort(key=lambda r: (-r["total"], r["citation_id"]))
    week_cols = [Column("week", str(_("Week of"))), *[Column(k, str(label), "count", small=True) for k, label in USAGE_COLUMNS]]
    item_cols = [Column("item", str(_("Item"))), *[Column(k, str(label), "count", small=True) for k, label in USAGE_COLUMNS[1:]],
                 Column("total", str(_("All actions")), "count", small=True)]
    report = Report("list-engagement", str(_("Engagement with “%(title)s”") % {"title": lst.title}), [
        Table(str(_("Reader actions per week")), week_cols, [weekly[w] for w in sorted(weekly)]),
        Table(str(_("Items from the most to the least used")), item_cols, items),
    ], chart=Chart("week", [Kind.LIST_VIEW, Kind.ITEM_OPEN]), filters=f)
    return report


# --- librarians ----------------------------------------------------------------------------------

@report("lists-workflow", _("Lists sent and processed per week"), "library",
        _("Lists sent to the library and completed each week; days from sent to complete."),
        table=_("Lists per week"), chart=Chart("week", ["sent", "completed"]),
        columns=[Column("week", _("Week of")), Column("sent", _("Lists sent to the library"), "count"),
                 Column("completed", _("Lists completed"), "count"),
                 Column("average_days", _("Average days from sent to complete"), "number"),
                 Column("median_days", _("Median days from sent to complete"), "number")])
def lists_workflow(institution, f: Filters = Filters()) -> Rows:
    """Lists sent to the library and completed per week, and the days from sent to complete."""
    lists = ResourceList.objects.filter(institution=institution, sent_at__isnull=False)
    if f.on_courses:
        lists = lists.filter(courses__in=_courses(institution, f)).distinct()
    weeks: dict[dt.date, dict] = {}

    def week(d: dt.datetime | None) -> dict:
        assert d is not None
        monday = _monday(d.date())
        return weeks.setdefault(monday, {"week": monday.isoformat(), "sent": 0, "completed": 0, "_days": []})

    for sent_at, completed_at in lists.values_list("sent_at", "completed_at"):
        week(sent_at)["sent"] += 1
        if completed_at:
            row = week(completed_at)
            row["completed"] += 1
            row["_days"].append(_days(sent_at, completed_at))
    rows = []
    for monday in sorted(weeks):
        row = weeks[monday]
        s = _summary(row.pop("_days"))
        rows.append({**row, "average_days": s["average"], "median_days": s["median"]})
    return rows


def _requests(institution, f: Filters) -> QuerySet[DigitizationRequest]:
    qs = DigitizationRequest.objects.filter(institution=institution)
    if f.on_courses:
        qs = qs.filter(course__in=_courses(institution, f))
    if f.library:
        qs = qs.filter(library__code=f.library)
    return qs


@report("digitization-turnaround", _("Digitization turnaround by department"), "library",
        _("Days from a digitization request to its delivery, per digitization department."),
        table=_("Turnaround per department"), chart=Chart("department", ["average_days", "median_days"], unit=_("days")),
        columns=[Column("department", _("Digitization department")), Column("requests", _("Requests"), "count"),
                 Column("delivered", pgettext_lazy("requests", "Delivered"), "count"), Column("open", _("Still open"), "count"),
                 Column("average_days", _("Average days to delivery"), "number"),
                 Column("median_days", _("Median days to delivery"), "number"),
                 Column("longest_days", _("Longest days to delivery"), "number")])
def digitization_turnaround(institution, f: Filters = Filters()) -> Rows:
    """Days from request to delivery of digitization requests, per digitization department."""
    groups: dict[str, dict] = {}
    qs = _requests(institution, f).filter(kind=RequestKind.DIGITIZATION).select_related("department")
    for r in qs.only("created_at", "delivered_at", "status", "department__name"):
        name = r.department.name if r.department else str(_("No department"))
        g = groups.setdefault(name, {"department": name, "requests": 0, "delivered": 0, "open": 0, "_days": []})
        g["requests"] += 1
        if r.status in OPEN_STATUSES:
            g["open"] += 1
        if r.delivered_at:
            g["delivered"] += 1
            g["_days"].append(_days(r.created_at, r.delivered_at))
    rows = []
    for name in sorted(groups):
        g = groups[name]
        s = _summary(g.pop("_days"))
        rows.append({**g, "average_days": s["average"], "median_days": s["median"], "longest_days": s["longest"]})
    return rows


@report("copyright", _("Copyright requests by outcome"), "library",
        _("Copyright clearance requests: pending, approved, rejected."),
        table=_("Outcomes"), chart=Chart("outcome", ["requests"]),
        columns=[Column("outcome", _("Outcome")), Column("requests", _("Requests"), "count"),
                 Column("share", _("Share (%)"), "share")])
def copyright_outcomes(institution, f: Filters = Filters()) -> Rows:
    """Copyright clearance requests by outcome (pending, approved, rejected)."""
    qs = _requests(institution, f).filter(Q(kind=RequestKind.COPYRIGHT) | ~Q(copyright=TaskStatus.NOT_REQUIRED))
    counts = dict(qs.values_list("copyright").annotate(n=Count("id")).order_by())
    total = sum(counts.values())
    rows = []
    for status, label in TaskStatus.choices:
        if status == TaskStatus.NOT_REQUIRED and not counts.get(status):
            continue
        n = counts.get(status, 0)
        rows.append({"outcome": str(label), "requests": n, "share": round(100 * n / total, 1) if total else None})
    return rows


@report("waitlists", _("Digital loan waitlists per title"), "library",
        _("Who waits now for a long-term digital loan, and how long requests waited."),
        table=_("Waitlists"), chart=Chart("title", ["waiting"]),
        columns=[Column("title", _("Title")), Column("waiting", _("Waiting now"), "count"),
                 Column("requests", _("Requests"), "count"), Column("served", _("Handed over"), "count"),
                 Column("average_days", _("Average days waited"), "number"),
                 Column("longest_days", _("Longest days waited"), "number")])
def waitlists(institution, f: Filters = Filters()) -> Rows:
    """Long-term digital loans: who waits now and how long requests waited, per title."""
    qs = LoanRequest.objects.filter(representation__library__institution=institution)
    if f.library:
        qs = qs.filter(representation__library__code=f.library)
    groups: dict[int, dict] = {}
    for r in qs.select_related("representation__record").only(
            "status", "step", "requested_at", "handed_over_at", "representation__label", "representation__record__title"):
        rep = r.representation
        g = groups.setdefault(rep.pk, {"title": rep.record.title or rep.label, "waiting": 0, "requests": 0,
                                       "served": 0, "_days": []})
        g["requests"] += 1
        if r.status == LoanStatus.READY and r.step == LoanStep.IN_WAITLIST:
            g["waiting"] += 1
        if r.handed_over_at:
            g["served"] += 1
            g["_days"].append(_days(r.requested_at, r.handed_over_at))
    rows = []
    for g in sorted(groups.values(), key=lambda g: (-g["waiting"], g["title"])):
        s = _summary(g.pop("_days"))
        rows.append({**g, "average_days": s["average"], "longest_days": s["longest"]})
    return rows


@report("costs", _("Cost per course and per student"), "library",
        _("Acquisition costs recorded on the items of each course's lists."),
        table=_("Costs per course"), chart=Chart("course", ["total"]),
        columns=[Column("course", _("Course")), Column("name", _("Name")), Column("term", _("Term")),
                 Column("department", _("Department")), Column("items", _("Items with a cost"), "count"),
                 Column("total", _("Cost"), "money"), Column("currency", _("Currency")),
                 Column("students", _("Students"), "count"),
                 Column("per_student", _("Cost per student"), "money")])
def costs(institution, f: Filters = Filters()) -> Rows:
    """Acquisition costs recorded on the items of each course's lists, per course and per student
    (zero where none). A list shared by two courses counts for both."""
    course_qs = _courses(institution, f)
    courses = list(course_qs.order_by("code", "section", "term"))
    ids = course_qs.values("pk")
    wanted = {c.pk for c in courses}
    # the institution's rows, joined in Python: SQLite plans a large IN list or an m2m subquery badly
    links: dict[int, list[int]] = defaultdict(list)          # list → the filtered courses it serves
    for list_id, course_id in ResourceList.courses.through.objects.filter(
            resourcelist__institution=institution).values_list("resourcelist_id", "course_id"):
        if course_id in wanted:
            links[list_id].append(course_id)
    tasks = AcquisitionTask.objects.filter(institution=institution, cost_amount__isnull=False)
    if f.library:
        tasks = tasks.filter(library__code=f.library)
    spent: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    items: dict[int, set] = defaultdict(set)
    for list_id, currency, amount, citation_id in tasks.values_list(
            "citation__resource_list_id", "cost_currency", "cost_amount", "citation_id"):
        for course_id in links.get(list_id, ()):
            spent[(course_id, currency or "")] += amount or Decimal("0")
            items[course_id].add(citation_id)
    enrolled = dict(Enrollment.objects.filter(course_id__in=ids).values_list("course_id").annotate(n=Count("id")).order_by())
    by_course: dict[int, set[str]] = defaultdict(set)
    for cid, cur in spent:
        by_course[cid].add(cur)
    rows = []
    for c in courses:
        students = enrolled.get(c.pk) or c.number_of_students
        currencies = sorted(by_course.get(c.pk, ())) or [""]
        for cur in currencies:
            total = spent.get((c.pk, cur), Decimal("0"))
            rows.append({"course": f"{c.code}{'-' + c.section if c.section else ''}", "name": c.name, "term": c.term,
                         "department": c.department, "items": len(items.get(c.pk, ())), "total": float(total),
                         "currency": cur, "students": students,
                         "per_student": round(float(total) / students, 2) if students else None})
    return rows


# --- administrators ----------------------------------------------------------------------------

@report("adoption", _("Adoption"), "admin",
        _("Courses with lists, published lists, and the share of students who opened a list."),
        table=_("Adoption per department"), chart=Chart("department", ["course_share", "share"], unit="%"),
        columns=[Column("department", _("Department")), Column("courses", _("Courses"), "count"),
                 Column("with_list", _("Courses with a list"), "count"),
                 Column("course_share", _("Courses with a list (%)"), "number"),
                 Column("published_lists", _("Published lists"), "count"),
                 Column("students", _("Students in courses with a published list"), "count", small=True),
                 Column("opened", _("Students who opened a list"), "count", small=True),
                 Column("share", _("Students who opened a list (%)"), "share")])
def adoption(institution, f: Filters = Filters()) -> Rows:
    """Courses with a list, published lists, and the share of enrolled students who opened a list, per department."""
    courses = list(_courses(institution, f).values_list("pk", "department"))
    dept_of = dict(courses)
    ids = _courses(institution, f).values("pk")
    links = ResourceList.courses.through.objects.filter(course_id__in=ids)
    with_list = set(links.values_list("course_id", flat=True))
    published = set(links.filter(resourcelist__visibility=Visibility.PUBLISHED).values_list("course_id", "resourcelist_id"))
    published_qs = ResourceList.courses.through.objects.filter(
        course_id__in=ids, resourcelist__visibility=Visibility.PUBLISHED).values("course_id")
    students = set(Enrollment.objects.filter(course_id__in=published_qs).values_list("course_id", "user_id"))
    opened = set(ListReader.objects.filter(course_id__in=published_qs).values_list("course_id", "user_id"))
    rows: dict[str, dict] = {}
    for course_id, dept in courses:
        name = dept or str(_("No department"))
        r = rows.setdefault(name, {"department": name, "courses": 0, "with_list": 0, "published_lists": set(),
                                   "students": set(), "opened": set()})
        r["courses"] += 1
        r["with_list"] += course_id in with_list
        r["published_lists"] |= {lst for c, lst in published if c == course_id}
    for course_id, user_id in students:
        rows[dept_of[course_id] or str(_("No department"))]["students"].add(user_id)
    for course_id, user_id in opened & students:
        rows[dept_of[course_id] or str(_("No department"))]["opened"].add(user_id)
    out = []
    total = {"department": str(_("All departments")), "courses": 0, "with_list": 0, "published_lists": set(),
             "students": set(), "opened": set()}
    for name in sorted(rows):
        r = rows[name]
        for k in ("courses", "with_list"):
            total[k] += r[k]
        for k in ("published_lists", "students", "opened"):
            total[k] |= r[k]
        out.append(r)
    if len(out) != 1:
        out.append(total)
    table_rows = [{"department": r["department"], "courses": r["courses"], "with_list": r["with_list"],
                   "course_share": round(100 * r["with_list"] / r["courses"], 1) if r["courses"] else None,
                   "published_lists": len(r["published_lists"]), "students": len(r["students"]),
                   "opened": len(r["opened"]),
                   "share": round(100 * len(r["opened"]) / len(r["students"]), 1) if r["students"] else None}
                  for r in out]
    return table_rows




def build(code: str, institution, f: Filters) -> Report:
    report = REPORTS[code].build(institution, f)
    finish(report, institution)
    return report


def finish(report: Report, institution) -> Report:
    suppress(report.tables, small_threshold(institution))
    report.rolled_up_at = last_rollup()
    return report
