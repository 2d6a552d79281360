"""Resource lists (LST-1..8): create, change, publish, send to the library, assign, statuses."""
from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Count, Q

from syllabus.core import audit, clock
from syllabus.core.errors import PermissionDenied, RuleViolation
from syllabus.courses.models import Course
from syllabus.notify.services import queue_letter
from syllabus.org.models import User, typed_username

from syllabus.lists.models import Citation, LibrarianTask, ResourceList
from syllabus.lists.permissions import ensure_edit, ensure_process, ensure_view, is_librarian_for
from syllabus.lists.task_details import Said
from syllabus.lists.workflow import (
    LIST_WORKFLOW, OPEN_ITEM_STATUSES, ItemStatus, ListStatus, Visibility,
)
from .common import _check_move, _instructor_changed, _locked, _touch, _users, _valid_status, raise_task
from .tasks import _resolve


# --- lists --------------------------------------------------------------------------------


def can_create_list(actor: User) -> bool:
    return bool(actor and actor.is_authenticated and actor.institution_id
                and (is_librarian_for(actor, actor.institution_id) or actor.courses_taught.exists()))


def _check_courses(actor: User, courses: list[Course], institution_id: int) -> None:
    librarian = is_librarian_for(actor, institution_id)
    for course in courses:
        if course.institution_id != institution_id:
            raise RuleViolation("CRS-3", f"course {course.code} belongs to another institution", field="course_ids")
        if not librarian and not course.instructors.filter(pk=actor.pk).exists():
            raise PermissionDenied("CRS-3", f"you do not teach {course.code}; only its instructors or the library link a list to it")


def create_list(actor: User, *, title: str, description: str = "", courses: Iterable[Course] = ()) -> ResourceList:
    """A new list (LST-1) linked to ``courses`` (CRS-3); the courses' instructors own it by default."""
    title = (title or "").strip()
    if not title:
        raise RuleViolation("LST-1", "a list needs a title", field="title")
    if not can_create_list(actor):
        raise PermissionDenied("LST-8", "only instructors and the library create resource lists")
    courses = list(courses)
    with transaction.atomic():
        _check_courses(actor, courses, actor.institution_id)
        lst = ResourceList.objects.create(institution_id=actor.institution_id, title=title[:300],
                                          description=description or "", created_by=actor)
        owners = {u.pk: u for c in courses for u in c.instructors.all()}
        if actor.pk not in owners and (not is_librarian_for(actor, lst.institution_id) or not owners):
            owners[actor.pk] = actor
        lst.courses.set(courses)
        lst.owners.set(owners.values())
        audit.created(actor, lst, note=f"courses: {', '.join(c.code for c in courses) or '—'}; "
                                       f"owners: {', '.join(sorted(u.username for u in owners.values()))}")
    return lst


def update_list(actor: User, lst: ResourceList, *, title: str | None = None, description: str | None = None,
                courses: Iterable[Course] | None = None, owners: Iterable[str] | None = None,
                collaborators: Iterable[str] | None = None) -> dict:
    """Change a list's title, description, linked courses, owners or collaborators (LST-8)."""
    acc = ensure_edit(actor, lst)
    with transaction.atomic():
        lst = _locked(lst)
        values = {}
        if title is not None:
            if not title.strip():
                raise RuleViolation("LST-1", "a list needs a title", field="title")
            values["title"] = title.strip()[:300]
        if description is not None:
            values["description"] = description
        changes = audit.update(actor, lst, **values) if values else {}
        if courses is not None:
            courses = list(courses)
            _check_courses(actor, courses, lst.institution_id)
            before = sorted(lst.courses.values_list("code", flat=True))
            lst.courses.set(courses)
            after = sorted(c.code for c in courses)
            if before != after:
                changes["courses"] = [before, after]
        for relation, names in (("owners", owners), ("collaborators", collaborators)):
            if names is None:
                continue
            if not (acc.owner or acc.process):
                raise PermissionDenied("LST-8", "only the list's owners (or the library) change who owns and edits it")
            people = _users(lst.institution_id, names, relation)
            if relation == "owners" and not people:
                raise RuleViolation("LST-8", "a list keeps at least one owner", field="owners")
            before = sorted(getattr(lst, relation).values_list("username", flat=True))
            getattr(lst, relation).set(people)
            after = sorted(u.username for u in people)
            if before != after:
                changes[relation] = [before, after]
        if set(changes) - {"title", "description"}:
            audit.changed(actor, lst, {k: v for k, v in changes.items() if k not in ("title", "description")})
        if changes:
            _touch(lst)
            _instructor_changed(actor, lst, Said("list_details_changed", fields=sorted(changes)))
    return changes


def change_list(actor: User, lst: ResourceList, *, courses: list | None = None, visibility: str | None = None,
                status: str | None = None, **details) -> ResourceList:
    """One change of a list in one transaction (the API's PATCH, any page that edits several
    things at once): its details (title, description, owners, collaborators, courses), then its
    visibility (LST-8), then its status (LST-4). Asking to change nothing still needs edit rights."""
    with transaction.atomic():
        details = {k: v for k, v in details.items() if v is not None}
        if courses is not None:
            ensure_edit(actor, lst)
            details["courses"] = courses
        if details:
            update_list(actor, lst, **details)
        if visibility is not None:
            set_visibility(actor, lst, visibility)
        if status is not None:
            set_list_status(actor, lst, status)
        if not (details or visibility or status):
            ensure_edit(actor, lst)
    return lst


def set_visibility(actor: User, lst: ResourceList, visibility: str) -> ResourceList:
    """Publish (students of the linked courses see it) or put back to draft (LST-8)."""
    if visibility not in Visibility.values:
        raise RuleViolation("LST-8", f"visibility is draft or published, not {visibility!r}", field="visibility")
    ensure_edit(actor, lst)
    with transaction.atomic():
        lst = _locked(lst)
        if lst.visibility == visibility:
            return lst
        values = {"visibility": visibility}
        if visibility == Visibility.PUBLISHED:
            values["published_at"] = clock.now()
        audit.update(actor, lst, **values)
        audit.event(actor, lst, "published" if visibility == Visibility.PUBLISHED else "unpublished")
        _instructor_changed(actor, lst, Said("list_published" if visibility == Visibility.PUBLISHED else "list_unpublished"))
    return lst


def publish_list(actor: User, lst: ResourceList) -> ResourceList:
    return set_visibility(actor, lst, Visibility.PUBLISHED)


def unpublish_list(actor: User, lst: ResourceList) -> ResourceList:
    return set_visibility(actor, lst, Visibility.DRAFT)


def send_list(actor: User, lst: ResourceList) -> ResourceList:
    """The instructor sends the list to the library (LST-4): the list becomes Sent to library,
    its items Being prepared become Ready for processing, and the librarians get a task.  An empty
    list is refused: the library would get a task with nothing to do."""
    acc = ensure_edit(actor, lst)
    with transaction.atomic():
        lst = _locked(lst)
        _check_move(LIST_WORKFLOW, lst.status, ListStatus.SENT_TO_LIBRARY, acc)
        if not lst.citations.exists():
            raise RuleViolation("LST-4", "the list has no items: add at least one before sending it to the library",
                                status=409)
        now = clock.now()
        audit.update(actor, lst, status=ListStatus.SENT_TO_LIBRARY, sent_at=now)
        items = list(lst.citations.filter(status=ItemStatus.BEING_PREPARED))
        for item in items:
            item.status, item.sent_at, item.updated_at = ItemStatus.READY_FOR_PROCESSING, now, now
        Citation.objects.bulk_update(items, ["status", "sent_at", "updated_at"])
        audit.event(actor, lst, "sent", note=f"sent to the library with {len(items)} item(s) ready for processing")
        raise_task(lst, LibrarianTask.LIST_SENT, actor=actor, detail=Said("list_sent", n=len(items)))
    return lst


def set_list_status(actor: User, lst: ResourceList, status: str) -> ResourceList:
    """Move a list along LST-4 (the library: In process, Complete, reopen; the instructor: send)."""
    _valid_status(ListStatus, status, "list")
    if status == ListStatus.SENT_TO_LIBRARY:
        return send_list(actor, lst)
    acc = ensure_view(actor, lst)
    with transaction.atomic():
        lst = _locked(lst)
        _check_move(LIST_WORKFLOW, lst.status, status, acc)
        values = {"status": status}
        if status == ListStatus.COMPLETE:
            values["completed_at"] = clock.now()
        audit.update(actor, lst, **values)
        open_tasks = LibrarianTask.objects.filter(resource_list=lst, resolved_at__isnull=True)
        if status == ListStatus.COMPLETE:
            _resolve(actor, open_tasks)
            _letter_complete(lst)
        elif status == ListStatus.IN_PROCESS:
            _resolve(actor, open_tasks.filter(kind=LibrarianTask.LIST_SENT))
    return lst


def _letter_complete(lst: ResourceList) -> None:
    from django.urls import reverse

    courses = ", ".join(c.label for c in lst.courses.all())
    # the librarian may complete a list with items still to do or declined: the letter says so (session 20:
    # it said "every item is now available" whatever the items' status)
    items = lst.citations.aggregate(waiting=Count("pk", filter=Q(status__in=OPEN_ITEM_STATUSES)),
                                    declined=Count("pk", filter=Q(status=ItemStatus.DECLINED)))
    for owner in lst.owners.all():
        queue_letter("list_complete", owner,
                     {"owner": owner.get_full_name() or owner.username, "list_title": lst.title, "courses": courses,
                      "link": reverse("lists:edit", args=[lst.pk]), **items},
                     key=f"lists:{lst.pk}:complete:{lst.completed_at.isoformat()}:{owner.pk}", institution=lst.institution)


def assign_list(actor: User, lst: ResourceList, username: str | None) -> ResourceList:
    """Assign the list to a librarian of its institution (self or another), or unassign (LST-7)."""
    ensure_process(actor, lst)
    with transaction.atomic():
        lst = _locked(lst)
        assignee = None
        if username:
            assignee = User.objects.filter(username=typed_username(username), institution_id=lst.institution_id, is_active=True).first()
            if assignee is None or not is_librarian_for(assignee, lst.institution_id):
                raise RuleViolation("LST-7", f"{username} is not a course reserves operator of this institution", field="username")
        if lst.assignee_id != (assignee.pk if assignee else None):
            audit.update(actor, lst, assignee=assignee)
            audit.event(actor, lst, "assigned" if assignee else "unassigned", note=assignee.username if assignee else "")
    return lst
