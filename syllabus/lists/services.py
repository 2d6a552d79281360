"""Every change of state of resource lists (LST-1..8), as verbs.

Each verb runs in one transaction, checks who may do it (:mod:`.permissions`) and the rules,
moves statuses only along the tables of :mod:`.workflow`, writes the audit trail (ORG-6) and
raises librarian tasks (LST-6).  Other apps build on these verbs, e.g. the catalog's import and
"add from search" call :func:`add_citation` with a ``record`` or with imported CSL-JSON.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F

from syllabus.citations import bibliography
from syllabus.citations.validate import merge_patch
from syllabus.core import audit, clock
from syllabus.core.errors import PermissionDenied, RuleViolation
from syllabus.core.workflow import StateMachine
from syllabus.courses.models import Course
from syllabus.notify.services import queue_letter
from syllabus.org import config
from syllabus.org.models import User

from . import copyright_policy
from . import metadata as md
from . import tags as tag_vocabulary
from . import uploads
from .models import Citation, CitationType, CopyrightStatus, LibrarianTask, ResourceList, Section
from .permissions import Access, ensure_edit, ensure_process, ensure_view, is_librarian_for
from .selectors import ensure_section_of, section_of_list
from .workflow import (
    INSTRUCTOR, ITEM_WORKFLOW, LIBRARIAN, LIST_WORKFLOW, OPEN_ITEM_STATUSES, ItemStatus, ListStatus, Visibility,
)

# --- helpers ------------------------------------------------------------------------------


def _locked(lst: ResourceList) -> ResourceList:
    """Re-read the list row under a lock (PostgreSQL ``FOR UPDATE``; SQLite serialises writers)."""
    return ResourceList.objects.select_for_update().select_related("institution").get(pk=lst.pk)


@contextmanager
def _in_locked_list(obj: Section | Citation) -> Iterator[ResourceList]:
    """One transaction with the list of ``obj`` (a section or a citation) locked, ``obj`` re-read
    under the lock: what every edit of a list's content starts with."""
    with transaction.atomic():
        lst = _locked(obj.resource_list)
        obj.refresh_from_db()
        yield lst


def _sides(acc: Access) -> set[str]:
    sides = set()
    if acc.instructor:
        sides.add(INSTRUCTOR)
    if acc.process:
        sides.add(LIBRARIAN)
    return sides


def _check_move(workflow: StateMachine, current: str, target: str, acc: Access) -> None:
    kind, labels = workflow.name, workflow.label
    if not _sides(acc):
        raise PermissionDenied("LST-4", f"only the list's instructors and the library change a {kind}'s status")
    if current == target:
        raise RuleViolation("LST-4", f"the {kind} is already {labels(current)}", status=409)
    move = workflow.between(current, target)
    who = move.permission if move is not None else None
    if who is None:
        article = "an" if kind[0] in "aeiou" else "a"
        raise RuleViolation("LST-4", f"{article} {kind} cannot go from {labels(current)} to {labels(target)}", status=409)
    if who not in _sides(acc):
        side = "the list's instructors" if who == INSTRUCTOR else "the library"
        raise PermissionDenied("LST-4", f"only {side} move {'an' if kind[0] in 'aeiou' else 'a'} {kind} from {labels(current)} to {labels(target)}")


def _valid_status(choices, value: str, kind: str) -> str:
    if value not in choices.values:
        raise RuleViolation("LST-4", f"unknown {kind} status {value!r}; use one of {', '.join(choices.values)}", field="status")
    return value


def _touch(lst: ResourceList) -> None:
    """The list changed: its time, and the revision that keys the cached student view."""
    ResourceList.objects.filter(pk=lst.pk).update(updated_at=clock.now(), revision=F("revision") + 1)


def _is_library_change(actor, lst: ResourceList) -> bool:
    return is_librarian_for(actor, lst.institution_id)


def raise_task(lst: ResourceList, kind: str, *, actor=None, citation: Citation | None = None, detail: str = "") -> LibrarianTask:
    """Put something on the librarians' task list (LST-6); an open task of the same kind on the
    same list/item gathers the new change (its ``count`` grows) instead of adding a duplicate."""
    now = clock.now()
    task = (LibrarianTask.objects.select_for_update()
            .filter(resource_list=lst, citation=citation, kind=kind, resolved_at__isnull=True).first())
    if task is not None:
        task.count += 1
        task.detail = detail or task.detail
        task.updated_at = now
        task.created_by = actor if getattr(actor, "pk", None) else task.created_by
        task.save(update_fields=["count", "detail", "updated_at", "created_by"])
        return task
    return LibrarianTask.objects.create(resource_list=lst, citation=citation, kind=kind, detail=detail,
                                        created_by=actor if getattr(actor, "pk", None) else None,
                                        created_at=now, updated_at=now)


def _no_action_default(lst: ResourceList) -> str:
    return config.get("citation_default_status_no_action", institution=lst.institution)


def _has_no_action_default(lst: ResourceList, citation: Citation) -> bool:
    """LST-5: the item got the configured no-action status automatically (it was never sent) and
    that status keeps it away from the library (e.g. Complete)."""
    default = _no_action_default(lst)
    return (citation.sent_at is None and citation.status == default
            and default != ItemStatus.BEING_PREPARED and default not in OPEN_ITEM_STATUSES)


def library_has(lst: ResourceList, citation: Citation) -> bool:
    """The library already has the item (LST-6): it was sent (with the list or on its own), or
    it waits for or is in the library's processing."""
    return (citation.sent_at is not None or citation.status in OPEN_ITEM_STATUSES
            or citation.status == ItemStatus.DECLINED)


def _instructor_changed(actor, lst: ResourceList, detail: str, citation: Citation | None = None, *,
                        library_has_item: bool = False) -> None:
    """LST-6: every instructor change to something the library already has — a sent list, or an
    item sent on its own or in the library's hands on a list still being prepared — creates a
    task for the librarians."""
    if _is_library_change(actor, lst):
        return
    if lst.status != ListStatus.BEING_PREPARED or library_has_item or (citation is not None and library_has(lst, citation)):
        raise_task(lst, LibrarianTask.CHANGED, actor=actor, citation=citation, detail=detail)


def _style_name(style) -> str:
    if bibliography.style_exists(style):
        return bibliography.style_name(style)
    return bibliography.DEFAULT_STYLE


def citation_style(lst: ResourceList) -> str:
    """The institution's style for formatted citations, resolved as the export resolves it
    (``harvard`` → ``harvard-cite-them-right``); APA when the configured name is no style."""
    return _style_name(config.get("citation_style", institution=lst.institution))


def citation_style_and_language(lst: ResourceList) -> tuple[str, str]:
    """:func:`citation_style` and :func:`stored_language` in one configuration query."""
    values = config.get_many(["citation_style", "default_language"], institution=lst.institution)
    return _style_name(values["citation_style"]), str(values["default_language"] or "en")


def view_settings(lst: ResourceList) -> tuple[str, str, bool]:
    """The student view's citation style, language and whether links to external resources show
    (``external_links_enabled``, ORG-4/CON-1), read in one query."""
    values = config.get_many(["citation_style", "default_language", "external_links_enabled"], institution=lst.institution)
    return _style_name(values["citation_style"]), str(values["default_language"] or "en"), bool(values["external_links_enabled"])


def stored_language(lst: ResourceList) -> str:
    """The language of the formatted citations a list stores: the institution's default
    language (a reader in another language gets them re-rendered in hers, :func:`localize_formatted`)."""
    return str(config.get("default_language", institution=lst.institution) or "en")


def _stored_style(style: str, language: str) -> str:
    """``formatted_style`` names the style and, when not English, the language ("apa@fr"), so
    that a change of either re-renders the stored entries."""
    return style if language == "en" else f"{style}@{language}"


def _format(lst: ResourceList, metadata: dict) -> tuple[str, str]:
    style, language = citation_style_and_language(lst)
    return bibliography.format_citation(metadata, style, locale=language), _stored_style(style, language)


def _initial_status(lst: ResourceList, ctype: str, open_access: bool) -> str:
    """LST-5: items that need no library action get the configured default status; items added
    to a list already sent go to the library at once; the rest are being prepared."""
    no_action_types = config.get("citation_types_no_action", institution=lst.institution)
    if ctype in no_action_types or (open_access and config.get("citation_open_access_no_action", institution=lst.institution)):
        return config.get("citation_default_status_no_action", institution=lst.institution)
    if lst.status != ListStatus.BEING_PREPARED:
        return ItemStatus.READY_FOR_PROCESSING
    return ItemStatus.BEING_PREPARED


def _users(institution_id: int, usernames: Iterable[str], field: str) -> list[User]:
    names = [n.strip() for n in usernames if n and n.strip()]
    found = {u.username.lower(): u for u in User.objects.filter(institution_id=institution_id, username__in=names)}
    missing = [n for n in names if n.lower() not in found]
    if missing:
        raise RuleViolation("LST-8", f"unknown user {', '.join(missing)}", field=field)
    return list(dict.fromkeys(found[n.lower()] for n in names))


def _renumber(rows: list, moved, position: int | None) -> list:
    """Put ``moved`` at ``position`` (0-based, clamped; ``None`` = last) and renumber 0..n-1."""
    rows = [r for r in rows if r.pk != moved.pk]
    position = len(rows) if position is None else max(0, min(int(position), len(rows)))
    rows.insert(position, moved)
    changed = []
    for n, row in enumerate(rows):
        if row.position != n or row.pk == moved.pk:
            row.position = n
            changed.append(row)
    return changed


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
            _instructor_changed(actor, lst, f"list details changed: {', '.join(sorted(changes))}")
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
        _instructor_changed(actor, lst, "list published" if visibility == Visibility.PUBLISHED else "list unpublished")
    return lst


def publish_list(actor: User, lst: ResourceList) -> ResourceList:
    return set_visibility(actor, lst, Visibility.PUBLISHED)


def unpublish_list(actor: User, lst: ResourceList) -> ResourceList:
    return set_visibility(actor, lst, Visibility.DRAFT)


def send_list(actor: User, lst: ResourceList) -> ResourceList:
    """The instructor sends the list to the library (LST-4): the list becomes Sent to library,
    its items Being prepared become Ready for processing, and the librarians get a task."""
    acc = ensure_edit(actor, lst)
    with transaction.atomic():
        lst = _locked(lst)
        _check_move(LIST_WORKFLOW, lst.status, ListStatus.SENT_TO_LIBRARY, acc)
        now = clock.now()
        audit.update(actor, lst, status=ListStatus.SENT_TO_LIBRARY, sent_at=now)
        items = list(lst.citations.filter(status=ItemStatus.BEING_PREPARED))
        for item in items:
            item.status, item.sent_at, item.updated_at = ItemStatus.READY_FOR_PROCESSING, now, now
        Citation.objects.bulk_update(items, ["status", "sent_at", "updated_at"])
        audit.event(actor, lst, "sent", note=f"sent to the library with {len(items)} item(s) ready for processing")
        raise_task(lst, LibrarianTask.LIST_SENT, actor=actor, detail=f"{len(items)} item(s) ready for processing")
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

    courses = ", ".join(lst.courses.values_list("code", flat=True))
    for owner in lst.owners.all():
        queue_letter("list_complete", owner,
                     {"owner": owner.get_full_name() or owner.username, "list_title": lst.title, "courses": courses,
                      "link": reverse("lists:edit", args=[lst.pk])},
                     key=f"lists:{lst.pk}:complete:{lst.completed_at.isoformat()}:{owner.pk}", institution=lst.institution)


def assign_list(actor: User, lst: ResourceList, username: str | None) -> ResourceList:
    """Assign the list to a librarian of its institution (self or another), or unassign (LST-7)."""
    ensure_process(actor, lst)
    with transaction.atomic():
        lst = _locked(lst)
        assignee = None
        if username:
            assignee = User.objects.filter(username=username, institution_id=lst.institution_id, is_active=True).first()
            if assignee is None or not is_librarian_for(assignee, lst.institution_id):
                raise RuleViolation("LST-7", f"{username} is not a course reserves operator of this institution", field="username")
        if lst.assignee_id != (assignee.pk if assignee else None):
            audit.update(actor, lst, assignee=assignee)
            audit.event(actor, lst, "assigned" if assignee else "unassigned", note=assignee.username if assignee else "")
    return lst


# --- sections -----------------------------------------------------------------------------


def _section_values(title=None, description=None, start_date=None, end_date=None, *, partial: bool) -> dict:
    values = {}
    if title is not None or not partial:
        if not (title or "").strip():
            raise RuleViolation("LST-1", "a section needs a title", field="title")
        values["title"] = title.strip()[:300]
    if description is not None:
        values["description"] = description
    return values


def _check_dates(start: dt.date | None, end: dt.date | None) -> None:
    if start and end and end < start:
        raise RuleViolation("LST-1", "the section ends before it starts", field="end_date")


def add_section(actor: User, lst: ResourceList, *, title: str, description: str = "", start_date: dt.date | None = None,
                end_date: dt.date | None = None, position: int | None = None) -> Section:
    """A new section (LST-1), at the end unless ``position`` (0-based) says where."""
    ensure_edit(actor, lst)
    values = _section_values(title, description, partial=False)
    _check_dates(start_date, end_date)
    with transaction.atomic():
        lst = _locked(lst)
        section = Section(resource_list=lst, start_date=start_date, end_date=end_date, **values)
        rows = list(lst.sections.all())
        section.position = len(rows)
        section.save()
        changed = _renumber(rows, section, position)
        Section.objects.bulk_update(changed, ["position"])
        audit.created(actor, section)
        _touch(lst)
        _instructor_changed(actor, lst, f"section added: {section.title}")
    return section


def update_section(actor: User, section: Section, **values) -> dict:
    lst = section.resource_list
    ensure_edit(actor, lst)
    clean = _section_values(values.get("title"), values.get("description"), partial=True)
    for key in ("start_date", "end_date"):
        if key in values:
            clean[key] = values[key]
    _check_dates(clean.get("start_date", section.start_date), clean.get("end_date", section.end_date))
    with _in_locked_list(section) as lst:
        changes = audit.update(actor, section, **clean)
        if changes:
            _touch(lst)
            _instructor_changed(actor, lst, f"section changed: {section.title}")
    return changes


def move_section(actor: User, section: Section, position: int) -> Section:
    lst = section.resource_list
    ensure_edit(actor, lst)
    with transaction.atomic():
        lst = _locked(lst)
        rows = list(lst.sections.all())
        before = next(r.position for r in rows if r.pk == section.pk)
        changed = _renumber(rows, section, position)
        Section.objects.bulk_update(changed, ["position"])
        if section.position != before:
            audit.event(actor, section, "moved", changes={"position": [before, section.position]})
            _touch(lst)
            _instructor_changed(actor, lst, f"section moved: {section.title}")
    return section


def delete_section(actor: User, section: Section) -> None:
    lst = section.resource_list
    ensure_edit(actor, lst)
    with transaction.atomic():
        lst = _locked(lst)
        if section.citations.exists():
            raise RuleViolation("LST-1", "the section still has items: move or delete them first", status=409)
        audit.deleted(actor, section)
        section.delete()
        rows = list(lst.sections.all())
        for n, row in enumerate(rows):
            row.position = n
        Section.objects.bulk_update(rows, ["position"])
        _touch(lst)
        _instructor_changed(actor, lst, f"section deleted: {section.title}")


def _default_section(actor, lst: ResourceList) -> Section:
    section = lst.sections.order_by("-position", "-id").first()
    if section is None:
        section = Section.objects.create(resource_list=lst, title="Readings", position=0)
        audit.created(actor, section)
    return section


# --- citations ----------------------------------------------------------------------------

CITATION_FIELDS = ("type", "metadata", "tags", "public_note", "library_note", "copyright_status", "personal_copy",
                   "personal_copy_owner", "open_access", "record")


def _record_open_access(record) -> bool:
    return bool(record is not None and record.eresources.filter(open_access=True).exists())


def editor_copyright_statuses(lst: ResourceList) -> set[str]:
    """DIG-3: the copyright statuses the list's editors may choose themselves (the institution's
    copyright options that need no clearance, and "not determined")."""
    return copyright_policy.editor_statuses(lst.institution)


def copyright_choices(acc, lst: ResourceList) -> list[tuple[str, str]]:
    """The copyright statuses to offer in the editor: all for the library, the free ones for editors."""
    if acc.process:
        return list(CopyrightStatus.choices)
    allowed = editor_copyright_statuses(lst)
    return [(value, label) for value, label in CopyrightStatus.choices if value in allowed]


def _ensure_may_set_copyright(acc, lst: ResourceList, wanted: str, *, current: str = "") -> None:
    """DIG-3: waiting / approved / declined belong to the library's clearance workflow (and the
    library); the list's editors only pick one of the institution's copyright options."""
    if wanted not in CopyrightStatus.values:
        raise RuleViolation("LST-3", f"unknown copyright status {wanted!r}", field="copyright_status")
    if acc.process:
        return
    decided = (CopyrightStatus.WAITING, CopyrightStatus.APPROVED, CopyrightStatus.DECLINED)
    if current in decided:
        raise PermissionDenied("DIG-3", f"the copyright status {CopyrightStatus(current).label} "
                                        "is the library's clearance decision: only the library changes it "
                                        "(a new file starts the clearance again)")
    if wanted not in editor_copyright_statuses(lst):
        raise PermissionDenied("DIG-3", f"an instructor cannot set the copyright status {CopyrightStatus(wanted).label}: "
                                        "choose one of the institution's copyright options, or request copyright clearance")


def add_citation(actor: User, lst: ResourceList, section: Section | None = None, type: str | None = None,
                 metadata: dict | None = None, record=None, *, tags: Iterable[str] = (), public_note: str = "",
                 library_note: str = "", position: int | None = None, open_access: bool | None = None,
                 copyright_status: str = "", personal_copy: bool = False, personal_copy_owner: str = "",
                 note: str = "") -> Citation:
    """Add an item to a list (LST-1..3, LST-5).

    ``metadata`` is CSL-JSON; with a catalog ``record`` and no metadata, the record's CSL-JSON is
    copied.  ``type`` is ours (``book_chapter``) or CSL's (``chapter``); by default it follows the
    metadata's CSL type.  ``section`` defaults to the list's last section (one is made if none).
    Importers pass ``note`` (e.g. "imported from RIS") for the audit trail."""
    acc = ensure_edit(actor, lst)
    if record is not None and record.institution.consortium_id != lst.institution.consortium_id:
        raise RuleViolation("LST-2", "the record belongs to another consortium", field="record_id")
    if not metadata and record is not None:
        metadata = dict(record.csl or {})
        metadata.setdefault("title", record.title)
    ctype = md.citation_type(type or (metadata or {}).get("type") or (record.type if record is not None else "") or "book")
    clean = md.clean_metadata(ctype, metadata)
    tag_codes = tag_vocabulary.clean_tags(tags, may_set_system=acc.process)
    if copyright_status:
        _ensure_may_set_copyright(acc, lst, copyright_status)
    if open_access is None:
        open_access = _record_open_access(record)
    owner = None
    if personal_copy:
        owner = personal_copy_owner_of(actor, lst, ctype, personal_copy_owner)
        personal_copy_owner = owner.username
    formatted, style = _format(lst, clean)
    with transaction.atomic():
        lst = _locked(lst)
        if section is None:
            section = _default_section(actor, lst)
        else:
            ensure_section_of(lst.pk, section)
        status = _initial_status(lst, ctype, open_access)
        now = clock.now()
        citation = Citation(
            resource_list=lst, section=section, type=ctype, metadata=clean, title=clean["title"][:1000], record=record,
            status=status, tags=tag_codes, public_note=public_note or "", library_note=library_note or "",
            copyright_status=copyright_status, personal_copy=bool(personal_copy), personal_copy_owner=personal_copy_owner or "",
            open_access=bool(open_access), formatted=formatted, formatted_style=style, created_by=actor,
            created_at=now, updated_at=now, sent_at=now if status == ItemStatus.READY_FOR_PROCESSING else None,
        )
        rows = list(section.citations.all())
        citation.position = len(rows)
        citation.save()
        Citation.objects.bulk_update(_renumber(rows, citation, position), ["position"])
        audit.created(actor, citation, note=note)
        _touch(lst)
        _instructor_changed(actor, lst, f"item added: {citation.title[:200]}", citation)
        if owner is not None:
            _personal_copy_set(actor, lst, citation, owner)
    return citation


def personal_copy_owner_of(actor: User, lst: ResourceList, ctype: str, name: str) -> User:
    """SRV-1: the list owner who provides a personal copy (by username, e-mail or full name;
    empty: the actor, when an owner), for an item type the library accepts as personal copies."""
    allowed = config.get("personal_copy_item_types", institution=lst.institution) or []
    if ctype not in allowed:
        label = dict(CitationType.choices).get(ctype, ctype)
        raise RuleViolation("SRV-1", f"the library does not take personal copies of this item type ({label}); "
                                     f"accepted: {', '.join(str(dict(CitationType.choices).get(t, t)) for t in allowed) or 'none'}",
                            field="personal_copy")
    owners = list(lst.owners.all())
    wanted = " ".join((name or "").split()).casefold()
    if not wanted:
        if any(o.pk == actor.pk for o in owners):
            return actor
        raise RuleViolation("SRV-1", "name the list owner the personal copy belongs to", field="personal_copy_owner")
    for o in owners:
        if wanted in {o.username.casefold(), (o.email or "").casefold(), " ".join(o.get_full_name().split()).casefold()} - {""}:
            return o
    names = ", ".join(o.get_full_name() or o.username for o in owners) or "none"
    raise RuleViolation("SRV-1", f"{name!r} is not an owner of this list: a personal copy belongs to one of its owners ({names})",
                        field="personal_copy_owner")


def _personal_copy_set(actor, lst: ResourceList, citation: Citation, owner: User | None) -> None:
    """SRV-1: tell the owner to bring the copy (a letter), and the apps above (circulation)."""
    from django.urls import reverse

    from .signals import personal_copy_changed

    if owner is not None:
        courses = ", ".join(c.code for c in lst.courses.all())
        queue_letter("personal_copy_bring", owner,
                     {"owner": owner.get_full_name() or owner.username, "title": citation.title, "list_title": lst.title,
                      "courses": courses or "—", "link": reverse("lists:edit", args=[lst.pk]) + f"#item-{citation.pk}"},
                     key=f"personal_copy:{citation.pk}:{owner.pk}:{int(clock.now().timestamp())}", institution=lst.institution)
    personal_copy_changed.send(sender=Citation, citation=citation, owner=owner)


def update_citation(actor: User, citation: Citation, **values) -> dict:
    """Change an item's type, metadata (whole CSL-JSON), tags, notes, copyright status, personal
    copy or open-access flag.  Returns ``{field: [old, new]}``."""
    lst = citation.resource_list
    acc = ensure_edit(actor, lst)
    unknown = set(values) - set(CITATION_FIELDS)
    if unknown:
        raise RuleViolation("LST-2", f"cannot change {', '.join(sorted(unknown))} here")
    with _in_locked_list(citation) as lst:
        had = library_has(lst, citation)
        automatic = _has_no_action_default(lst, citation)
        clean = _clean_citation_values(lst, citation, acc, values, actor=actor)
        changes = audit.update(actor, citation, **clean)
        # LST-5: an item still being prepared, or one that got the no-action default status by
        # itself, follows its new type: a website made a book goes (back) to the library's side
        # (Being prepared, or Ready for processing on a sent list), a book made a website gets
        # the no-action default.
        if (citation.status == ItemStatus.BEING_PREPARED or automatic) and ("type" in changes or "open_access" in changes):
            status = _initial_status(lst, citation.type, citation.open_access)
            if status != citation.status:
                moved = {"status": status}
                if status == ItemStatus.READY_FOR_PROCESSING:
                    moved["sent_at"] = clock.now()
                audit.update(actor, citation, note="LST-5 default status", **moved)
        if "personal_copy" in changes or ("personal_copy_owner" in changes and citation.personal_copy):
            owner = lst.owners.filter(username=citation.personal_copy_owner).first() if citation.personal_copy else None
            _personal_copy_set(actor, lst, citation, owner)
        if changes:
            _touch(lst)
            fields = sorted(k for k in changes if k not in ("formatted", "formatted_style", "title"))
            _instructor_changed(actor, lst, f"item changed ({', '.join(fields)}): {citation.title[:200]}", citation,
                                library_has_item=had)
    return changes


def _clean_citation_values(lst: ResourceList, citation: Citation, acc: Access, values: dict, *, actor=None) -> dict:
    clean: dict = {}
    ctype = md.citation_type(values["type"]) if values.get("type") is not None else citation.type
    if "type" in values and values["type"] is not None:
        clean["type"] = ctype
    if values.get("metadata") is not None or "type" in clean:
        meta = md.clean_metadata(ctype, values.get("metadata") if values.get("metadata") is not None else citation.metadata)
        clean["metadata"] = meta
        clean["title"] = meta["title"][:1000]
    if values.get("tags") is not None:
        clean["tags"] = tag_vocabulary.clean_tags(values["tags"], previous=citation.tags, may_set_system=acc.process)
    for key in ("public_note", "library_note", "personal_copy_owner"):
        if values.get(key) is not None:
            clean[key] = values[key]
    for key in ("personal_copy", "open_access"):
        if values.get(key) is not None:
            clean[key] = bool(values[key])
    wants_copy = clean.get("personal_copy", citation.personal_copy)
    if wants_copy and ("personal_copy" in clean or "personal_copy_owner" in clean or "type" in clean):
        owner = personal_copy_owner_of(actor, lst, ctype, clean.get("personal_copy_owner", citation.personal_copy_owner))
        clean["personal_copy_owner"] = owner.username
    elif "personal_copy" in clean and not wants_copy:
        clean["personal_copy_owner"] = ""
    if values.get("copyright_status") is not None:
        wanted = values["copyright_status"]
        if wanted != citation.copyright_status:
            _ensure_may_set_copyright(acc, lst, wanted, current=citation.copyright_status)
        clean["copyright_status"] = wanted
    if "record" in values:
        record = values["record"]
        if record is not None and record.institution.consortium_id != lst.institution.consortium_id:
            raise RuleViolation("LST-2", "the record belongs to another consortium", field="record_id")
        clean["record"] = record
    if "metadata" in clean and clean["metadata"] != citation.metadata:
        clean["formatted"], clean["formatted_style"] = _format(lst, clean["metadata"])
    return clean


def change_citation(actor: User, citation: Citation, *, section_id: int | None = None, position: int | None = None,
                    status: str | None = None, status_note: str | None = None, **fields) -> Citation:
    """One change of an item in one transaction: its fields (``metadata`` is a JSON merge patch,
    ``None`` removes a key), its place (section of the same list, LST-1, and position), its
    status (LST-4) or the library's note on it. Asking to change nothing still needs edit rights."""
    with transaction.atomic():
        fields = {k: v for k, v in fields.items() if v is not None}
        if "metadata" in fields:
            fields["metadata"] = merge_patch(citation.metadata, fields["metadata"])
        if fields:
            update_citation(actor, citation, **fields)
        if section_id is not None or position is not None:
            move_citation(actor, citation, section=section_of_list(citation.resource_list_id, section_id), position=position)
        if status is not None:
            set_item_status(actor, citation, status, note=status_note)
        elif status_note is not None:
            set_status_note(actor, citation, status_note)
        if not (fields or section_id is not None or position is not None or status or status_note is not None):
            ensure_edit(actor, citation.resource_list)
    return citation


def move_citation(actor: User, citation: Citation, *, section: Section | None = None, position: int | None = None) -> Citation:
    """Move an item within its section or to another section of the same list (LST-1)."""
    lst = citation.resource_list
    ensure_edit(actor, lst)
    target = ensure_section_of(lst.pk, section or citation.section)
    with _in_locked_list(citation) as lst:
        before = (citation.section_id, citation.position)
        if target.pk != citation.section_id:
            old_rows = [r for r in Citation.objects.filter(section_id=citation.section_id).order_by("position", "id") if r.pk != citation.pk]
            for n, row in enumerate(old_rows):
                row.position = n
            Citation.objects.bulk_update(old_rows, ["position"])
            citation.section = target
            citation.save(update_fields=["section", "updated_at"])
        rows = list(Citation.objects.filter(section=target).order_by("position", "id"))
        Citation.objects.bulk_update(_renumber(rows, citation, position), ["position"])
        after = (citation.section_id, citation.position)
        if before != after:
            audit.event(actor, citation, "moved", changes={"section": [before[0], after[0]], "position": [before[1], after[1]]})
            _touch(lst)
            _instructor_changed(actor, lst, f"item moved: {citation.title[:200]}", citation)
    return citation


def delete_citation(actor: User, citation: Citation) -> None:
    lst = citation.resource_list
    ensure_edit(actor, lst)
    with _in_locked_list(citation) as lst:
        had = library_has(lst, citation)
        audit.deleted(actor, citation)
        title, file_name = citation.title, citation.file.name
        section_id = citation.section_id
        citation.delete()
        rows = list(Citation.objects.filter(section_id=section_id).order_by("position", "id"))
        for n, row in enumerate(rows):
            row.position = n
        Citation.objects.bulk_update(rows, ["position"])
        _touch(lst)
        _instructor_changed(actor, lst, f"item deleted: {title[:200]}", library_has_item=had)
        if file_name:
            transaction.on_commit(lambda: default_storage.delete(file_name))


def send_citation(actor: User, citation: Citation) -> Citation:
    """The instructor sends a single item to the library, before or after the list (LST-4)."""
    lst = citation.resource_list
    acc = ensure_edit(actor, lst)
    with _in_locked_list(citation) as lst:
        _check_move(ITEM_WORKFLOW, citation.status, ItemStatus.READY_FOR_PROCESSING, acc)
        audit.update(actor, citation, status=ItemStatus.READY_FOR_PROCESSING, sent_at=clock.now())
        audit.event(actor, citation, "sent")
        raise_task(lst, LibrarianTask.ITEM_SENT, actor=actor, citation=citation, detail=citation.title[:200])
        _touch(lst)
    return citation


def set_item_status(actor: User, citation: Citation, status: str, *, note: str | None = None) -> Citation:
    """Move an item along LST-4 (the library processes; the instructor can only send).  The
    library's first move on a list Sent to library puts the list In process."""
    _valid_status(ItemStatus, status, "item")
    if status == ItemStatus.READY_FOR_PROCESSING:
        return send_citation(actor, citation)
    lst = citation.resource_list
    acc = ensure_view(actor, lst)
    with _in_locked_list(citation) as lst:
        _check_move(ITEM_WORKFLOW, citation.status, status, acc)
        values = {"status": status}
        if note is not None:
            values["status_note"] = note[:500]
        audit.update(actor, citation, **values)
        _resolve(actor, LibrarianTask.objects.filter(citation=citation, resolved_at__isnull=True))
        if lst.status == ListStatus.SENT_TO_LIBRARY and LIST_WORKFLOW.between(lst.status, ListStatus.IN_PROCESS):
            audit.update(actor, lst, note="the library started processing", status=ListStatus.IN_PROCESS)
            _resolve(actor, LibrarianTask.objects.filter(resource_list=lst, kind=LibrarianTask.LIST_SENT, resolved_at__isnull=True))
        _touch(lst)
    return citation


def set_status_note(actor: User, citation: Citation, note: str) -> Citation:
    """The library's note on an item's status (e.g. why it was declined)."""
    ensure_process(actor, citation.resource_list)
    with transaction.atomic():
        audit.update(actor, citation, status_note=(note or "")[:500])
    return citation


# --- files --------------------------------------------------------------------------------


def _uploads_as_instructor(actor: User, acc: Access) -> bool:
    return acc.process or actor.courses_taught.exists() or (
        actor.user_group_id is not None and actor.user_group.code in ("faculty", "staff"))


def _set_file(actor, citation: Citation, name: str, display: str, content_type: str, size: int) -> None:
    changes = {"file": [citation.file.name or "", name], "file_name": [citation.file_name, display],
               "file_type": [citation.file_type, content_type], "file_size": [citation.file_size, size]}
    citation.file.name, citation.file_name, citation.file_type, citation.file_size = name, display, content_type, size
    citation.save(update_fields=["file", "file_name", "file_type", "file_size", "updated_at"])
    audit.changed(actor, citation, {k: v for k, v in changes.items() if v[0] != v[1]})


def attach_file(actor: User, citation: Citation, upload) -> Citation:
    """Store a file on an item (LST-3): size limit per role from the configuration, content type
    sniffed from its bytes, kept under a generated name; replaces an earlier file."""
    lst = citation.resource_list
    acc = ensure_edit(actor, lst)
    max_mb = uploads.limit_mb(actor, lst.institution, as_instructor=_uploads_as_instructor(actor, acc))
    content_type = uploads.check(upload, institution=lst.institution, max_mb=max_mb)
    name = default_storage.save(uploads.storage_name(content_type), upload)
    try:
        with _in_locked_list(citation) as lst:
            old = citation.file.name
            _set_file(actor, citation, name, uploads.safe_display_name(upload.name), content_type, upload.size)
            # DIG-3: a clearance (or a declared status) was for the previous file: a new file starts
            # over.  After the library's clearance the new file waits for it again; otherwise the
            # instructor chooses a copyright option anew (the auto-triggered clearance form).
            cleared_by_library = citation.copyright_status in (CopyrightStatus.WAITING, CopyrightStatus.APPROVED,
                                                               CopyrightStatus.DECLINED)
            reset = CopyrightStatus.WAITING if cleared_by_library else CopyrightStatus.NOT_DETERMINED
            if citation.copyright_status != reset:
                audit.update(actor, citation, copyright_status=reset, note="new file: copyright clearance starts again (DIG-3)")
            _touch(lst)
            _instructor_changed(actor, lst, f"file attached: {citation.title[:200]}", citation)
    except Exception:
        default_storage.delete(name)
        raise
    if old and old != name:
        default_storage.delete(old)
    return citation


def remove_file(actor: User, citation: Citation) -> Citation:
    lst = citation.resource_list
    ensure_edit(actor, lst)
    with _in_locked_list(citation) as lst:
        old = citation.file.name
        if not old:
            return citation
        _set_file(actor, citation, "", "", "", 0)
        _touch(lst)
        _instructor_changed(actor, lst, f"file removed: {citation.title[:200]}", citation)
        transaction.on_commit(lambda: default_storage.delete(old))
    return citation


# --- tasks --------------------------------------------------------------------------------


def _resolve(actor, tasks) -> int:
    return tasks.update(resolved_at=clock.now(), resolved_by=actor if getattr(actor, "pk", None) else None)


def resolve_task(actor: User, task: LibrarianTask) -> LibrarianTask:
    """A librarian marks a task done."""
    ensure_process(actor, task.resource_list)
    with transaction.atomic():
        task = LibrarianTask.objects.select_for_update().get(pk=task.pk)
        if task.resolved_at is None:
            task.resolved_at, task.resolved_by = clock.now(), actor
            task.save(update_fields=["resolved_at", "resolved_by"])
            audit.event(actor, task.resource_list, "task done", note=f"{task.kind_label}: {task.detail[:200]}")
    return task


# --- formatted citations --------------------------------------------------------------------


def refresh_formatted(citations: list[Citation], style: str, language: str = "en") -> int:
    """Re-format items whose stored formatted entry is in another style or language (e.g. after
    the institution changed ``citation_style``); one bulk write.  Returns how many changed."""
    key = _stored_style(style, language)
    stale = [c for c in citations if c.formatted_style != key or not c.formatted]
    for c in stale:
        c.formatted, c.formatted_style = bibliography.format_citation(c.metadata, style, locale=language), key
    if stale:
        Citation.objects.bulk_update(stale, ["formatted", "formatted_style"])
    return len(stale)


def localize_formatted(citations: list[Citation], style: str, language: str) -> None:
    """LST-9: a reader whose language is not the stored one sees the entries with her
    language's terms ("éd.", "p.", "s. d."), rendered (memoised) without being stored."""
    for c in citations:
        c.formatted = bibliography.format_citation(c.metadata, style, locale=language)


__all__ = [
    "add_citation", "add_section", "assign_list", "attach_file", "create_list", "delete_citation", "delete_section",
    "move_citation", "move_section", "publish_list", "raise_task", "remove_file", "resolve_task", "send_citation",
    "send_list", "set_item_status", "citation_style_and_language", "localize_formatted", "refresh_formatted", "stored_language", "set_list_status",
    "set_visibility", "unpublish_list", "update_citation", "update_list", "update_section", "CitationType",
]
