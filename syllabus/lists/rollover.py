"""Term rollover: copy last term's resource lists to the new term's courses (issue 15).

``roll_over_lists(actor, institution, from_term=.., to_term=..)`` takes every list linked to a
course of ``from_term`` and copies it, one transaction per list, under these rules:

ROLL-1  For each course of the old term with lists, the new term's course of the same code and
        section is found, or created (name, department and instructors copied).  The copy is
        linked to the new courses of every old-term course its source was linked to.
ROLL-2  The copy keeps the sections and their order, and each section's items in their order.
ROLL-3  Dates move by the term offset: the new term's start minus the old term's (a term's start
        is the earliest start date of its courses, or the one given).  Section dates and the
        dates of created courses move by it; with dates to move and no offset, nothing runs.
ROLL-4  Notes (the note for students, the library's note) are kept, or cleared on request.
ROLL-5  Items that had digitization or copyright clearance are tagged "Re-check after
        rollover" (a system tag: librarians see and filter it; instructors cannot remove it);
        their requests are not copied and a copyright status that came from a clearance
        (waiting, approved, declined) starts over as not determined.
ROLL-6  Personal copies are not copied (the report names them as skipped).
ROLL-7  The copy starts again: list being prepared and unpublished (draft) until its instructor
        publishes it; items at their initial status (LST-5), no assignee, no tasks, no system
        tags of the old term's library work.
ROLL-8  Idempotent: a list copied to a term is never copied to it again (one ``copied`` entry
        per source list and term, by a database constraint — also under concurrent runs).
ROLL-9  A dry run reports what a run would do and changes nothing.
ROLL-10 Only the institution's course reserves operators run a rollover; inputs are bounded
        (term names, at most ``MAX_LISTS_PER_RUN`` lists per bounded run).
ROLL-11 A report per list (items copied, skipped with the reason, to re-check) and an audit
        entry on the source and on the copy; the run itself is kept with its counts.
ROLL-12 An LMS course copy (LMS-1): when an LMS copies a course for a new term and its launch
        names, in its signed context history, the LMS course an earlier course is linked to, the
        lists of that one earlier course are rolled over by these same rules into the new term's
        course (:func:`roll_over_course`) — for that course only, started by the instructor of
        the copied LMS course (the LTI app checks the launch) or at their launch when the
        institution's ``lms_course_copy_lists`` says ``automatic``.  An existing course keeps its
        dates; only the lists' section dates move by the term offset.

Other apps say which items had digitization or copyright clearance through
:func:`register_recheck` (the fulfillment app sits above this one)::

    from syllabus.lists.rollover import register_recheck
    register_recheck(lambda list_ids: {citation_id, ...})
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Min

from syllabus.core import audit, clock
from syllabus.core.errors import PermissionDenied, RuleViolation
from syllabus.core.registry import Hooks
from syllabus.courses.models import Course
from syllabus.org import config
from syllabus.org.models import Institution, User

from . import uploads
from .models import Citation, CopyrightStatus, ResourceList, RolloverEntry, RolloverRun, Section
from .permissions import is_librarian_for
from .tags import TAGS, declare_tag
from .workflow import ItemStatus, ListStatus, Visibility

logger = logging.getLogger(__name__)

RECHECK_TAG = "rollover_recheck"
# ROLL-10: one bounded run (the page and the API) copies at most this many lists; the next run
# goes on where it stopped (ROLL-8).  The command runs them all.
MAX_LISTS_PER_RUN = 500
MAX_TERM_LENGTH = 40
# ROLL-3: an offset beyond ten years is a typo, not a term
MAX_OFFSET_DAYS = 3650
# lists read at once (one query per relation per batch)
BATCH = 50
CLEARANCE_STATUSES = frozenset({CopyrightStatus.WAITING, CopyrightStatus.APPROVED, CopyrightStatus.DECLINED})

_RecheckProvider = Callable[[list[int]], Iterable[int]]
# ``provider(list_ids)`` → ids of the citations of those lists that had digitization or
# copyright clearance (ROLL-5).  Called once per batch of lists.
_RECHECK: Hooks[_RecheckProvider] = Hooks()
register_recheck = _RECHECK.register


def _declare_recheck_tag() -> None:
    from django.utils.translation import gettext_lazy as _

    if RECHECK_TAG not in TAGS:
        declare_tag(RECHECK_TAG, _("Re-check after rollover"), system=True)


_declare_recheck_tag()


def register_item_filter() -> None:
    """The librarian task list's filter "Re-check after rollover" (ROLL-5, LST-7)."""
    from django.db.models import Q
    from django.utils.translation import gettext_lazy as _

    from .selectors import register_item_filter as register

    register(RECHECK_TAG, _("Re-check after rollover"), lambda: Q(tags__icontains=f'"{RECHECK_TAG}"'))


# --- the report ---------------------------------------------------------------------------

@dataclass
class ListReport:
    """ROLL-11: what happened (or would happen) to one list."""

    source_id: int
    title: str
    outcome: str  # copied | would_copy | already_copied | failed
    courses: list[str] = field(default_factory=list)
    courses_created: list[str] = field(default_factory=list)
    copy_id: int | None = None
    items_copied: int = 0
    items_recheck: int = 0
    skipped: list[dict] = field(default_factory=list)
    rule: str = ""
    detail: str = ""

    @property
    def course_labels(self) -> str:
        return ", ".join(self.courses)

    def line(self) -> str:
        """One line of the command's report."""
        what = {"copied": "copied", "would_copy": "would copy", "already_copied": "already copied", "failed": "FAILED"}[self.outcome]
        head = f"list #{self.source_id} {self.title!r}: {what}"
        if self.outcome == "failed" or self.outcome == "already_copied":
            return f"{head} — {self.rule}: {self.detail}"
        parts = [f"to {', '.join(self.courses) or 'no course'}" + (f" as list #{self.copy_id}" if self.copy_id else ""),
                 f"{self.items_copied} items"]
        if self.courses_created:
            parts.append(f"course{'s' if len(self.courses_created) > 1 else ''} {', '.join(self.courses_created)} "
                         f"{'would be ' if self.outcome == 'would_copy' else ''}created")
        if self.items_recheck:
            parts.append(f"{self.items_recheck} to re-check")
        if self.skipped:
            parts.append(f"{len(self.skipped)} skipped ({'; '.join(s['title'][:60] + ': ' + s['reason'] for s in self.skipped[:3])}"
                         f"{'; …' if len(self.skipped) > 3 else ''})")
        return f"{head} {', '.join(parts)}"


def _total(part: Callable[[ListReport], int]) -> property:
    """A run's total of ``part`` over its lists, as a read-only property."""
    return property(lambda report: sum(part(r) for r in report.lists))


@dataclass
class RolloverReport:
    from_term: str
    to_term: str
    dry_run: bool
    keep_notes: bool
    offset_days: int | None
    run_id: int | None = None
    lists: list[ListReport] = field(default_factory=list)
    lists_already_copied: int = 0
    lists_remaining: int = 0

    def _count(self, outcome: str) -> int:
        return sum(1 for r in self.lists if r.outcome == outcome)

    @property
    def lists_copied(self) -> int:
        return self._count("would_copy" if self.dry_run else "copied")

    @property
    def lists_failed(self) -> int:
        return self._count("failed")

    courses_created = _total(lambda r: len(r.courses_created))
    items_copied = _total(lambda r: r.items_copied)
    items_skipped = _total(lambda r: len(r.skipped))
    items_recheck = _total(lambda r: r.items_recheck)

    def summary(self) -> str:
        verb = "would be copied" if self.dry_run else "copied"
        offset = "dates unchanged" if not self.offset_days else f"dates moved by {self.offset_days} days"
        return (f"{'DRY RUN (nothing changed): ' if self.dry_run else ''}{self.from_term} → {self.to_term}: "
                f"{self.lists_copied} lists {verb}, {self.lists_already_copied} already copied, {self.lists_failed} failed, "
                f"{self.lists_remaining} left for a next run; {self.courses_created} courses "
                f"{'would be ' if self.dry_run else ''}created; {self.items_copied} items {verb}, "
                f"{self.items_skipped} skipped, {self.items_recheck} to re-check; {offset}; "
                f"notes {'kept' if self.keep_notes else 'cleared'}")


# --- checks -------------------------------------------------------------------------------

def can_roll_over(user, institution: Institution) -> bool:
    return is_librarian_for(user, institution.pk)


def ensure_may_roll_over(user, institution: Institution | None = None) -> None:
    """ROLL-10: the institution's course reserves operators (the user's own institution by default)."""
    inst_id = institution.pk if institution is not None else getattr(user, "institution_id", None)
    if not is_librarian_for(user, inst_id):
        raise PermissionDenied("ROLL-10", "only the institution's course reserves operators roll lists over to a new term")


def _clean_term(value: str, name: str) -> str:
    value = (value or "").strip()
    if not value:
        raise RuleViolation("ROLL-10", f"give the {name.replace('_', ' ')}", field=name)
    if len(value) > MAX_TERM_LENGTH:
        raise RuleViolation("ROLL-10", f"a term name has at most {MAX_TERM_LENGTH} characters", field=name)
    return value


def _check(actor, institution: Institution, from_term: str, to_term: str, max_lists: int | None) -> tuple[str, str]:
    ensure_may_roll_over(actor, institution)
    from_term, to_term = _clean_term(from_term, "from_term"), _clean_term(to_term, "to_term")
    if from_term == to_term:
        raise RuleViolation("ROLL-10", "the new term must differ from the old one", field="to_term")
    if max_lists is not None and not 1 <= max_lists <= MAX_LISTS_PER_RUN:
        raise RuleViolation("ROLL-10", f"max_lists is from 1 to {MAX_LISTS_PER_RUN}", field="max_lists")
    return from_term, to_term


def _term_start(institution: Institution, term: str) -> dt.date | None:
    return Course.objects.filter(institution=institution, term=term).aggregate(s=Min("start_date"))["s"]


def term_offset(institution: Institution, from_term: str, to_term: str, to_term_start: dt.date | None = None) -> int | None:
    """ROLL-3: days from the old term's start to the new term's (``None`` when either is unknown)."""
    old = _term_start(institution, from_term)
    new = to_term_start or _term_start(institution, to_term)
    if old is None or new is None:
        return None
    days = (new - old).days
    if abs(days) > MAX_OFFSET_DAYS:
        raise RuleViolation("ROLL-3", f"the terms are {days} days apart: more than ten years", field="to_term_start")
    return days


def _shift(value: dt.date | None, offset: int | None, what: str = "a date") -> dt.date | None:
    if value is None or offset is None:
        return value
    try:
        return value + dt.timedelta(days=offset)
    except OverflowError:
        raise RuleViolation("ROLL-3", f"{what} ({value.isoformat()}) cannot move by {offset} days") from None


def _course_label(course: Course) -> str:
    return course.code + (f"-{course.section}" if course.section else "")


def _source_list_ids(institution: Institution, from_term: str, only_course: Course | None = None) -> list[int]:
    # two IN subqueries rather than the join (SQLite planned the join as a scan: 16 s at 10,000 lists)
    old = Course.objects.filter(institution=institution, term=from_term)
    if only_course is not None:   # ROLL-12
        old = old.filter(pk=only_course.pk)
    linked = ResourceList.courses.through.objects.filter(course_id__in=old.values("id")).values("resourcelist_id")
    return list(ResourceList.objects.filter(institution=institution, pk__in=linked).order_by("id").values_list("id", flat=True))


def _already_copied(list_ids: list[int], to_term: str) -> set[int]:
    found: set[int] = set()
    for n in range(0, len(list_ids), 500):
        found.update(RolloverEntry.objects.filter(outcome=RolloverEntry.COPIED, to_term=to_term,
                                                  source_id__in=list_ids[n:n + 500]).values_list("source_id", flat=True))
    return found


def _check_dates_can_move(institution: Institution, list_ids: list[int], from_term: str, offset: int | None,
                          only_course: Course | None = None, target: Course | None = None) -> None:
    if offset is not None or not list_ids:
        return
    old = Course.objects.filter(institution=institution, term=from_term, resource_lists__isnull=False)
    if only_course is not None:
        old = old.filter(pk=only_course.pk)
    # ROLL-12: an existing new course keeps its own dates; only sections' dates would move
    dated_courses = target is None and old.exclude(start_date__isnull=True, end_date__isnull=True).exists()
    dated_sections = any(
        Section.objects.filter(resource_list_id__in=list_ids[n:n + 500]).exclude(start_date__isnull=True, end_date__isnull=True).exists()
        for n in range(0, len(list_ids), 500))
    if dated_courses or dated_sections:
        raise RuleViolation("ROLL-3", "the new term's start date is unknown (it has no course with a start date yet): "
                                      "give the new term's start date so that dates move by the term offset",
                            field="to_term_start")


# --- the copy of one list -------------------------------------------------------------------

@dataclass
class _Context:
    actor: User | None
    institution: Institution
    from_term: str
    to_term: str
    keep_notes: bool
    dry_run: bool
    offset: int | None
    run: RolloverRun | None
    new_courses: dict[tuple[str, str], Course]  # the new term's courses by (code, section)
    no_action_types: list
    oa_no_action: bool
    no_action_status: str
    only_course_id: int | None = None   # ROLL-12: the one old course of an LMS course copy


def _initial_status(ctx: _Context, citation: Citation) -> str:
    """LST-5 on a list being prepared (ROLL-7): no-action items get the configured status."""
    if citation.type in ctx.no_action_types or (citation.open_access and ctx.oa_no_action):
        return ctx.no_action_status
    return ItemStatus.BEING_PREPARED


def _tags(old: list, recheck: bool) -> list[str]:
    tags = [t for t in (old or []) if t in TAGS and not TAGS[t].system]  # ROLL-7
    if recheck:
        tags.append(RECHECK_TAG)  # ROLL-5
    return tags


def _copy_file(name: str) -> str | None:
    """The file's bytes under a new name, so that the copy and the source never share one
    (a change of either deletes its old file).  ``None`` when the source file is gone."""
    ext = ("." + name.rsplit(".", 1)[-1]) if "." in name.rsplit("/", 1)[-1] else ""
    try:
        with default_storage.open(name, "rb") as fh:
            return default_storage.save(uploads.storage_name("application/octet-stream").rsplit(".", 1)[0] + ext, fh)
    except (FileNotFoundError, OSError):
        return None


def _new_course(ctx: _Context, old: Course, created: dict[tuple[str, str], Course]) -> tuple[Course, bool]:
    key = (old.code, old.section)
    course = ctx.new_courses.get(key) or created.get(key)
    if course is not None:
        return course, False
    course = Course(institution=ctx.institution, code=old.code, section=old.section, name=old.name,
                    department=old.department, term=ctx.to_term, start_date=_shift(old.start_date, ctx.offset),
                    end_date=_shift(old.end_date, ctx.offset))
    if not ctx.dry_run:
        course.save()
        course.instructors.set(list(old.instructors.all()))
        audit.created(ctx.actor, course, note=f"term rollover {ctx.from_term} → {ctx.to_term} (ROLL-1)")
    created[key] = course
    return course, True


def _copy_list(ctx: _Context, src: ResourceList, recheck_ids: set[int], created: dict[tuple[str, str], Course]) -> ListReport:
    report = ListReport(source_id=src.pk, title=src.title, outcome="would_copy" if ctx.dry_run else "copied")
    old_courses = [c for c in src.courses.all() if c.term == ctx.from_term
                   and (ctx.only_course_id is None or c.pk == ctx.only_course_id)]
    courses = []
    for old in old_courses:
        course, new = _new_course(ctx, old, created)
        courses.append(course)
        report.courses.append(_course_label(course))
        if new:
            report.courses_created.append(_course_label(course))
    sections = list(src.sections.all())
    dates = [(_shift(s.start_date, ctx.offset, f"section {s.title[:60]!r} starts"),
              _shift(s.end_date, ctx.offset, f"section {s.title[:60]!r} ends")) for s in sections]  # ROLL-3, also in a dry run
    citations = list(src.citations.all())
    kept = []
    for c in citations:
        if c.personal_copy:  # ROLL-6
            report.skipped.append({"citation_id": c.pk, "title": c.title[:300],
                                   "reason": "personal copy: not copied (ROLL-6)"})
        else:
            kept.append(c)
    report.items_copied = len(kept)
    report.items_recheck = sum(1 for c in kept if c.pk in recheck_ids or c.copyright_status in CLEARANCE_STATUSES)
    if ctx.dry_run:
        return report

    now = clock.now()
    actor = ctx.actor if getattr(ctx.actor, "pk", None) else None
    copy = ResourceList.objects.create(
        institution=ctx.institution, title=src.title, description=src.description, status=ListStatus.BEING_PREPARED,
        visibility=Visibility.DRAFT, created_by=actor, created_at=now, updated_at=now)  # ROLL-7
    report.copy_id = copy.pk
    ResourceList.courses.through.objects.bulk_create(
        [ResourceList.courses.through(resourcelist_id=copy.pk, course_id=c.pk) for c in {c.pk: c for c in courses}.values()])
    ResourceList.owners.through.objects.bulk_create(
        [ResourceList.owners.through(resourcelist_id=copy.pk, user_id=u.pk) for u in src.owners.all()])
    ResourceList.collaborators.through.objects.bulk_create(
        [ResourceList.collaborators.through(resourcelist_id=copy.pk, user_id=u.pk) for u in src.collaborators.all()])
    new_sections = Section.objects.bulk_create([  # ROLL-2, ROLL-3
        Section(resource_list=copy, title=s.title, description=s.description, position=s.position, start_date=start, end_date=end)
        for s, (start, end) in zip(sections, dates, strict=True)])
    section_of = {old.pk: new.pk for old, new in zip(sections, new_sections, strict=True)}
    files: list[str] = []
    rows = []
    for c in kept:
        recheck = c.pk in recheck_ids or c.copyright_status in CLEARANCE_STATUSES
        file_name = ""
        if c.file:
            file_name = _copy_file(c.file.name or "") or ""
            if file_name:
                files.append(file_name)
        rows.append(Citation(
            resource_list=copy, section_id=section_of[c.section_id], position=c.position, type=c.type,
            metadata=c.metadata, title=c.title, record_id=c.record_id, status=_initial_status(ctx, c),
            tags=_tags(c.tags, recheck), public_note=c.public_note if ctx.keep_notes else "",
            library_note=c.library_note if ctx.keep_notes else "",
            file=file_name, file_name=c.file_name if file_name else "", file_type=c.file_type if file_name else "",
            file_size=c.file_size if file_name else 0,
            copyright_status=CopyrightStatus.NOT_DETERMINED if recheck and c.copyright_status in CLEARANCE_STATUSES
            else c.copyright_status,
            open_access=c.open_access, formatted=c.formatted, formatted_style=c.formatted_style,
            created_by_id=c.created_by_id, created_at=now, updated_at=now))
    assert ctx.run is not None  # a real run has its row
    try:
        Citation.objects.bulk_create(rows)
        note = f"term rollover {ctx.from_term} → {ctx.to_term}"
        RolloverEntry.objects.create(
            run=ctx.run, to_term=ctx.to_term, source=src, copy=copy, source_title=src.title[:300],
            courses=", ".join(report.courses)[:500], outcome=RolloverEntry.COPIED, courses_created=report.courses_created,
            items_copied=report.items_copied, items_recheck=report.items_recheck, skipped=report.skipped)
        audit.save_all([
            audit.entry(actor, copy, "created", note=f"{note}: copy of list #{src.pk} (ROLL-11)",
                        changes={"courses": [None, report.courses], "items": [None, report.items_copied],
                                 "re-check": [None, report.items_recheck], "notes kept": [None, ctx.keep_notes]}),
            audit.entry(actor, src, "rolled over", note=f"{note}: copied as list #{copy.pk} (ROLL-11)"),
        ])
    except Exception:
        for name in files:
            default_storage.delete(name)
        raise
    return report


def _load(ids: list[int]) -> list[ResourceList]:
    from django.db.models import Prefetch

    return list(ResourceList.objects.filter(pk__in=ids).order_by("id").prefetch_related(
        Prefetch("courses", queryset=Course.objects.prefetch_related("instructors")),
        "owners", "collaborators",
        Prefetch("sections", queryset=Section.objects.order_by("position", "id")),
        Prefetch("citations", queryset=Citation.objects.order_by("section_id", "position", "id"))))


def _recheck_ids(list_ids: list[int]) -> set[int]:
    out: set[int] = set()
    for provider in _RECHECK:
        out.update(provider(list_ids))
    return out


# --- the verb -----------------------------------------------------------------------------

def roll_over_lists(actor: User | None, institution: Institution, *, from_term: str, to_term: str, keep_notes: bool = True,
                    dry_run: bool = False, to_term_start: dt.date | None = None, max_lists: int | None = None,
                    progress: Callable[[ListReport], None] | None = None) -> RolloverReport:
    """Copy the lists of ``from_term``'s courses to ``to_term``'s (ROLL-1..11, module docstring).

    ``max_lists`` bounds a run (the page and the API); the next run goes on where this one
    stopped.  ``actor`` ``None`` is the system (the command without ``--as``)."""
    if institution is None:
        raise PermissionDenied("ROLL-10", "a rollover runs for an institution: the user belongs to none")
    if actor is not None:
        from_term, to_term = _check(actor, institution, from_term, to_term, max_lists)
    else:
        from_term, to_term = _clean_term(from_term, "from_term"), _clean_term(to_term, "to_term")
        if from_term == to_term:
            raise RuleViolation("ROLL-10", "the new term must differ from the old one", field="to_term")
    return _run(actor, institution, from_term=from_term, to_term=to_term, keep_notes=keep_notes, dry_run=dry_run,
                to_term_start=to_term_start, max_lists=max_lists, progress=progress)


def roll_over_course(actor: User | None, source: Course, *, to_term: str, target: Course | None = None,
                     to_term_start: dt.date | None = None) -> RolloverReport:
    """ROLL-12: the rollover of one course's lists for an LMS course copy — ROLL-1..11 for the
    lists of ``source`` only, into ``target`` (the new term's course the copied LMS course is
    linked to) or, without one, into the course of ``to_term`` with its code and section, found or
    created (ROLL-1).  Who may start it is the caller's to check (the LTI app: the instructor of
    the copied LMS course, from their signed launch); idempotent like every rollover (ROLL-8)."""
    institution = source.institution
    from_term = _clean_term(source.term, "from_term")
    to_term = _clean_term(to_term, "to_term")
    if from_term == to_term:
        raise RuleViolation("ROLL-10", "the new term must differ from the old one", field="to_term")
    if target is not None:
        if target.institution_id != source.institution_id or target.term != to_term:
            raise RuleViolation("ROLL-12", "the new course is another institution's, or of another term")
        to_term_start = to_term_start or target.start_date
    return _run(actor, institution, from_term=from_term, to_term=to_term, keep_notes=True, dry_run=False,
                to_term_start=to_term_start, max_lists=None, progress=None, only_course=source, target=target)


def _run(actor: User | None, institution: Institution, *, from_term: str, to_term: str, keep_notes: bool, dry_run: bool,
         to_term_start: dt.date | None, max_lists: int | None, progress: Callable[[ListReport], None] | None,
         only_course: Course | None = None, target: Course | None = None) -> RolloverReport:
    offset = term_offset(institution, from_term, to_term, to_term_start)
    all_ids = _source_list_ids(institution, from_term, only_course)
    done = _already_copied(all_ids, to_term)
    pending = [i for i in all_ids if i not in done]
    _check_dates_can_move(institution, pending, from_term, offset, only_course, target)
    todo = pending[:max_lists] if max_lists else pending
    report = RolloverReport(from_term=from_term, to_term=to_term, dry_run=dry_run, keep_notes=keep_notes,
                            offset_days=offset, lists_already_copied=len(done), lists_remaining=len(pending) - len(todo))
    values = config.get_many(["citation_types_no_action", "citation_open_access_no_action",
                              "citation_default_status_no_action"], institution=institution)
    run = None
    if not dry_run:
        run = RolloverRun.objects.create(institution=institution, from_term=from_term, to_term=to_term, keep_notes=keep_notes,
                                         offset_days=offset, actor=actor if getattr(actor, "pk", None) else None)
        report.run_id = run.pk
    ctx = _Context(actor=actor, institution=institution, from_term=from_term, to_term=to_term, keep_notes=keep_notes,
                   dry_run=dry_run, offset=offset, run=run,
                   new_courses={(c.code, c.section): c for c in Course.objects.filter(institution=institution, term=to_term)},
                   no_action_types=list(values["citation_types_no_action"] or []),
                   oa_no_action=bool(values["citation_open_access_no_action"]),
                   no_action_status=str(values["citation_default_status_no_action"]),
                   only_course_id=only_course.pk if only_course is not None else None)
    if only_course is not None and target is not None:   # ROLL-12: the LMS says which course is the new one
        ctx.new_courses[(only_course.code, only_course.section)] = target
    for n in range(0, len(todo), BATCH):
        batch = todo[n:n + BATCH]
        recheck = _recheck_ids(batch)
        for src in _load(batch):
            item = _one(ctx, src, recheck)
            report.lists.append(item)
            if progress is not None:
                progress(item)
    if run is not None:
        _finish(actor, run, report)
    return report


def _one(ctx: _Context, src: ResourceList, recheck: set[int]) -> ListReport:
    """One list in its own transaction: a failure is reported with its rule and rolls back that
    list only (the courses it would have created included)."""
    created: dict[tuple[str, str], Course] = {}
    try:
        with transaction.atomic():
            item = _copy_list(ctx, src, recheck, created)
    except IntegrityError:
        # ROLL-8: another run copied it meanwhile (the constraint on copied entries)
        if RolloverEntry.objects.filter(source=src, to_term=ctx.to_term, outcome=RolloverEntry.COPIED).exists():
            return ListReport(source_id=src.pk, title=src.title, outcome="already_copied", rule="ROLL-8",
                              detail="copied by another run meanwhile")
        item = ListReport(source_id=src.pk, title=src.title, outcome="failed", rule="ROLL-8",
                          detail="the new term changed meanwhile (another rollover running?): run again to copy it")
    except RuleViolation as exc:
        item = ListReport(source_id=src.pk, title=src.title, outcome="failed", rule=exc.rule, detail=exc.detail)
    except Exception as exc:  # a batch job goes on: the list is rolled back, reported, and logged for the developers
        logger.exception("term rollover: list %s could not be copied", src.pk)
        item = ListReport(source_id=src.pk, title=src.title, outcome="failed", rule="ROLL-11",
                          detail=f"unexpected error ({type(exc).__name__}): the list was not copied; the error is in the server log")
    else:
        ctx.new_courses.update(created)  # committed (or, in a dry run, counted once): later lists find them
        return item
    if ctx.run is not None:
        RolloverEntry.objects.create(run=ctx.run, to_term=ctx.to_term, source=src, source_title=src.title[:300],
                                     outcome=RolloverEntry.FAILED, rule=item.rule, detail=item.detail)
    return item


def _finish(actor, run: RolloverRun, report: RolloverReport) -> None:
    run.finished_at = clock.now()
    run.lists_copied = report.lists_copied
    run.lists_already_copied = report.lists_already_copied + sum(1 for r in report.lists if r.outcome == "already_copied")
    run.lists_failed = report.lists_failed
    run.lists_remaining = report.lists_remaining
    run.courses_created = report.courses_created
    run.items_copied = report.items_copied
    run.items_skipped = report.items_skipped
    run.items_recheck = report.items_recheck
    run.save()
    audit.event(actor, run, "rolled over", note=(
        f"{run.from_term} → {run.to_term}: {run.lists_copied} lists copied, {run.lists_already_copied} already copied, "
        f"{run.lists_failed} failed, {run.courses_created} courses created (ROLL-11)"))
