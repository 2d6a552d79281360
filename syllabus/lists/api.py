"""API v1 of resource lists (LST-1..8): lists, sections, citations, workflow, librarian task list.

A list the user may not see answers 404; a list they see but may not change, 403; a broken rule,
4xx with ``{"rule", "detail"}``.  Statuses: list ``being_prepared | sent_to_library | in_process |
complete``; item ``being_prepared | ready_for_processing | in_process | complete | declined``.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.urls import reverse
from ninja import Field, File, Router, Schema, Status
from ninja.files import UploadedFile

from syllabus.api.fields import ITEMS, Code, Id, JsonObject, Position, Search, Term, Username, column
from syllabus.api.preconditions import Versioned
from syllabus.core.pagination import Page, PageQuery, paginate
from syllabus.api.schemas import ANSWERED_ERRORS, AuditOut, audit_out
from syllabus.api.steps import Resource
from syllabus.core import audit
from syllabus.core.errors import NotFound, RuleViolation
from syllabus.courses.models import Course

from syllabus.catalog.api import ImportOut
from syllabus.org.ratelimit import Throttle

from . import catalog_link, file_guards, item_access, selectors, services
from .models import Citation, CitationType, CopyrightStatus, LibrarianTask, ResourceList, Section
from .permissions import Access, ensure_edit, is_librarian_for, require_process
from .tags import TAGS, public_tags
from .workflow import ITEM_WORKFLOW, LIST_WORKFLOW, ItemStatus, ListStatus

router = Router(tags=["lists"])
ERRORS = ANSWERED_ERRORS


# --- schemas --------------------------------------------------------------------------------

class CourseRef(Schema):
    id: int
    code: str
    section: str
    name: str
    term: str


class FileOut(Schema):
    name: str
    size: int
    content_type: str
    url: str


class CitationOut(Schema):
    id: int
    list_id: int
    section_id: int
    position: int
    type: str
    metadata: dict[str, Any]
    record_id: int | None
    status: str
    status_note: str
    tags: list[str]
    public_note: str
    library_note: str | None = None
    file: FileOut | None = None
    copyright_status: str
    personal_copy: bool
    personal_copy_owner: str
    open_access: bool
    formatted: str
    sent_at: dt.datetime | None
    updated_at: dt.datetime
    access: dict[str, Any] | None = Field(None, description=(
        "where the item is and whether it can be had now (SRV-5, DSV-6): physical copies by library, "
        "online access, Find it link, holdability, and the caller's own hold/queue place under 'mine'"))


class SectionOut(Schema):
    id: int
    title: str
    description: str
    position: int
    start_date: dt.date | None
    end_date: dt.date | None
    citations: list[CitationOut]


class TaskOut(Schema):
    id: int
    list_id: int
    kind: str
    label: str
    citation_id: int | None
    detail: str = Field(..., description="what happened, said in the request's language (Accept-Language; LST-7)")
    detail_code: str = Field("", description="what happened, as a code (item_changed, list_sent, batch...); "
                                             "empty for a task older than session 21 whose text is in detail")
    detail_params: dict[str, Any] = Field({}, description="the code's parameters (fields, title, n...)")
    count: int
    created_by: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    resolved_at: dt.datetime | None


class PermissionsOut(Schema):
    edit: bool
    process: bool


class ListSummary(Schema):
    id: int
    title: str
    status: str
    visibility: str
    institution: str
    courses: list[CourseRef]
    assignee: str | None
    items: int = 0
    ready_for_processing: int = 0
    open_tasks: int = 0
    updated_at: dt.datetime


class ListOut(Schema):
    id: int
    title: str
    description: str
    institution: str
    status: str
    visibility: str
    courses: list[CourseRef]
    owners: list[str]
    collaborators: list[str]
    assignee: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    sent_at: dt.datetime | None
    published_at: dt.datetime | None
    completed_at: dt.datetime | None
    permissions: PermissionsOut
    sections: list[SectionOut]
    open_tasks: list[TaskOut]


class ListIn(Schema):
    title: str = Field(..., max_length=column(ResourceList, "title"))
    description: str = Field("", max_length=column(ResourceList, "description"))
    course_ids: list[Id] = Field([], max_length=ITEMS)


class ListPatch(Schema):
    title: str = Field(None, max_length=column(ResourceList, "title"))  # type: ignore[assignment]  # may be left out, never null
    description: str = Field(None, max_length=column(ResourceList, "description"))  # type: ignore[assignment]  # may be left out, never null
    course_ids: list[Id] = Field(None, max_length=ITEMS)  # type: ignore[arg-type]  # may be left out, never null
    owners: list[Username] = Field(None, max_length=ITEMS)  # type: ignore[arg-type]  # may be left out, never null
    collaborators: list[Username] = Field(None, max_length=ITEMS)  # type: ignore[arg-type]  # may be left out, never null
    visibility: Term = None  # type: ignore[assignment]  # may be left out, never null
    status: Term = None  # type: ignore[assignment]  # may be left out, never null


class SectionIn(Schema):
    title: str = Field(..., max_length=column(Section, "title"))
    description: str = Field("", max_length=column(Section, "description"))
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    position: Position | None = None


class SectionPatch(Schema):
    title: str = Field(None, max_length=column(Section, "title"))  # type: ignore[assignment]  # may be left out, never null
    description: str = Field(None, max_length=column(Section, "description"))  # type: ignore[assignment]  # may be left out, never null
    start_date: dt.date | None = None
    end_date: dt.date | None = None


#: LST-3 (session 23): the API takes a tag as the pages and the spreadsheet import do
TAGS_HELP = ("LST-3: each tag by its code (`essential`) or by its name in any language of the site, any case "
             "(`Essential`, `ESSENTIEL`, `New Edition Available`): GET /api/v1/list-vocabulary lists the codes and "
             "names; the item stores and answers codes. An unknown tag is refused (400 LST-3), a system tag set by "
             "anyone but the library too (403 LST-3).")


class CitationIn(Schema):
    section_id: Id | None = None
    type: Term | None = None
    metadata: JsonObject = {}
    record_id: Id | None = None
    tags: list[Term] = Field([], max_length=ITEMS, description=TAGS_HELP)
    public_note: str = Field("", max_length=column(Citation, "public_note"))
    library_note: str = Field("", max_length=column(Citation, "library_note"))
    position: Position | None = None
    open_access: bool | None = None
    copyright_status: Term = ""
    personal_copy: bool = False
    personal_copy_owner: str = Field("", max_length=column(Citation, "personal_copy_owner"))


class CitationPatch(Schema):
    type: Term = None  # type: ignore[assignment]  # may be left out, never null
    metadata: JsonObject | None = None
    tags: list[Term] = Field(None, max_length=ITEMS, description=TAGS_HELP)  # type: ignore[arg-type]  # may be left out, never null
    public_note: str = Field(None, max_length=column(Citation, "public_note"))  # type: ignore[assignment]  # may be left out, never null
    library_note: str = Field(None, max_length=column(Citation, "library_note"))  # type: ignore[assignment]  # may be left out, never null
    open_access: bool | None = None
    copyright_status: Term = None  # type: ignore[assignment]  # may be left out, never null
    personal_copy: bool = None  # type: ignore[assignment]  # may be left out, never null
    personal_copy_owner: str | None = Field(None, max_length=column(Citation, "personal_copy_owner"))
    status: Term = None  # type: ignore[assignment]  # may be left out, never null
    status_note: str = Field(None, max_length=column(Citation, "status_note"))  # type: ignore[assignment]  # may be left out, never null
    section_id: Id | None = None
    position: Position = None  # type: ignore[assignment]  # may be left out, never null


class MoveIn(Schema):
    section_id: Id | None = None
    position: Position | None = None


class PositionIn(Schema):
    position: Position


class AssignIn(Schema):
    username: Username | None = None


class StatusIn(Schema):
    status: Term
    note: str | None = Field(None, max_length=column(Citation, "status_note"))


TaskPage = Page(ListSummary, name="LibrarianListPage", tab_counts=dict[str, int])



class Vocabulary(Schema):
    citation_types: dict[str, str]
    tags: list[dict[str, Any]]
    list_statuses: dict[str, str]
    item_statuses: dict[str, str]
    list_transitions: list[dict[str, str]]
    item_transitions: list[dict[str, str]]
    item_filters: dict[str, str]
    copyright_statuses: dict[str, str]


# --- output helpers ---------------------------------------------------------------------------

def course_ref(c: Course) -> dict:
    return {"id": c.pk, "code": c.code, "section": c.section, "name": c.name, "term": c.term}


def citation_out(c: Citation, acc: Access, access: dict | None = None) -> dict:
    file = None
    if c.file:
        file = {"name": c.file_name, "size": c.file_size, "content_type": c.file_type,
                "url": reverse("api-v1:lists_citation_file", kwargs={"citation_id": c.pk})}
    return {
        "id": c.pk, "list_id": c.resource_list_id, "section_id": c.section_id, "position": c.position, "type": c.type,
        "metadata": c.metadata, "record_id": c.record_id, "status": c.status, "status_note": c.status_note,
        "tags": c.tags if (acc.edit or acc.process) else public_tags(c.tags),  # LST-3: readers see the public ones
        "public_note": c.public_note, "library_note": c.library_note if acc.edit else None,
        "file": file, "copyright_status": c.copyright_status, "personal_copy": c.personal_copy,
        "personal_copy_owner": c.personal_copy_owner, "open_access": c.open_access, "formatted": c.formatted,
        "sent_at": c.sent_at, "updated_at": c.updated_at, "access": access,
    }


def task_out(t: LibrarianTask) -> dict:
    return {"id": t.pk, "list_id": t.resource_list_id, "kind": t.kind, "label": t.kind_label, "citation_id": t.citation_id,
            "detail": t.detail_text, "detail_code": t.detail_code, "detail_params": t.detail_params or {}, "count": t.count, "created_by": t.created_by.username if t.created_by_id else None,
            "created_at": t.created_at, "updated_at": t.updated_at, "resolved_at": t.resolved_at}


def list_out(user, pk: int) -> dict:
    lst, acc = selectors.list_with_items(user, pk)
    found = item_access.access_for(user, [c for s in lst.section_list for c in s.items])
    return {
        "id": lst.pk, "title": lst.title, "description": lst.description, "institution": lst.institution.code,
        "status": lst.status, "visibility": lst.visibility,
        "courses": [course_ref(c) for c in lst.courses.all()],
        "owners": [u.username for u in lst.owners.all()],
        "collaborators": [u.username for u in lst.collaborators.all()],
        "assignee": lst.assignee.username if lst.assignee_id else None,
        "created_at": lst.created_at, "updated_at": lst.updated_at, "sent_at": lst.sent_at,
        "published_at": lst.published_at, "completed_at": lst.completed_at,
        "permissions": {"edit": acc.edit, "process": acc.process},
        "sections": [
            {"id": s.pk, "title": s.title, "description": s.description, "position": s.position, "start_date": s.start_date,
             "end_date": s.end_date, "citations": [citation_out(c, acc, found.get(c.pk)) for c in s.items]}
            for s in lst.section_list
        ],
        "open_tasks": [task_out(t) for t in selectors.open_tasks(lst)] if acc.process else [],
    }


def summary_out(lst: ResourceList) -> dict:
    return {"id": lst.pk, "title": lst.title, "status": lst.status, "visibility": lst.visibility,
            "institution": lst.institution.code if "institution" in lst._state.fields_cache else "",
            "courses": [course_ref(c) for c in lst.courses.all()],
            "assignee": lst.assignee.username if lst.assignee_id else None,
            "items": getattr(lst, "n_items", 0), "ready_for_processing": getattr(lst, "n_ready", 0),
            "open_tasks": getattr(lst, "n_open_tasks", 0), "updated_at": lst.updated_at}


def _courses(user, ids: list[int]) -> list[Course]:
    found = {c.pk: c for c in Course.objects.filter(pk__in=ids, institution_id=user.institution_id).prefetch_related("instructors")}
    missing = [str(i) for i in ids if i not in found]
    if missing:
        raise RuleViolation("CRS-3", f"unknown course id {', '.join(missing)}", field="course_ids")
    return [found[i] for i in dict.fromkeys(ids)]


def _record(user, record_id: int | None):
    """The catalog record of the user's consortium; another consortium's records do not exist
    for the user (404, as on GET /api/v1/records/{id}; DSV-2, CON-2)."""
    if record_id is None:
        return None
    from syllabus.catalog.selectors import visible_records

    record = visible_records(user).select_related("institution").filter(pk=record_id).first()
    if record is None:
        raise NotFound("LST-2", f"unknown catalog record {record_id}", field="record_id")
    return record


# --- versions (ETag / If-Match, API-ETAG) ----------------------------------------------------------

def _lock_list(pk: int) -> None:
    list(ResourceList.objects.select_for_update().filter(pk=pk).only("pk"))


def _lock_list_of_citation(pk: int) -> None:
    list(ResourceList.objects.select_for_update(of=("self",)).filter(citations__pk=pk).only("pk"))


def _list_of_section(section_id: int) -> int | None:
    return Section.objects.filter(pk=section_id).values_list("resource_list_id", flat=True).first()


# a list's version covers its sections and citations: any change to them changes its ETag
LIST = Versioned("list", render=list_out, lock=_lock_list)


# --- lists ------------------------------------------------------------------------------------

@router.get("/lists", response=Page(ListSummary), summary="My lists: owned, collaborating, and published lists of my courses (LST-8)")
def my_lists(request, page: PageQuery, course_id: Id | None = None):
    return paginate(request, selectors.lists_for_user(request.user, course_id=course_id), page, summary_out)


@router.post("/lists", response={201: ListOut, **ERRORS}, summary="Create a list linked to courses (LST-1, CRS-3)")
@LIST.tagged()
def create_list(request, payload: ListIn):
    lst = services.create_list(request.user, title=payload.title, description=payload.description,
                               courses=_courses(request.user, payload.course_ids))
    return Status(201, list_out(request.user, lst.pk))


def _list(user, list_id: int) -> ResourceList:
    return selectors.list_for(user, list_id)[0]


def _change_list(user, lst: ResourceList, payload: ListPatch) -> None:
    data = payload.dict(exclude_unset=True)
    courses = None
    if data.get("course_ids") is not None:
        ensure_edit(user, lst)  # who may not edit hears 403 before the course ids are checked
        courses = _courses(user, data["course_ids"])
    services.change_list(user, lst, courses=courses, visibility=data.get("visibility"), status=data.get("status"),
                         **{k: data.get(k) for k in ("title", "description", "owners", "collaborators")})


# the steps on a list answer the list with its ETag and honour If-Match
LISTS = Resource(router, "list_id", find=_list, render=list_out, response=ListOut, errors=ERRORS,
                 edits=(LIST.guarded("list_id"),), answers=(LIST.tagged(),))
LISTS.read("/lists/{list_id}", name="get_list",
           summary="A list with its sections and their citations (ids, statuses, tags, notes)")
LISTS.step("patch", "/lists/{list_id}", name="patch_list", act=_change_list, inputs={"payload": ListPatch},
           summary="Change title, description, courses, owners, collaborators, visibility or status (LST-4, LST-8)")
LISTS.step("post", "/lists/{list_id}/publish", name="publish", act=services.publish_list,
           summary="Publish: students of the linked courses see it (LST-8)")
LISTS.step("post", "/lists/{list_id}/unpublish", name="unpublish", act=services.unpublish_list, summary="Back to draft (LST-8)")
LISTS.step("post", "/lists/{list_id}/send", name="send", act=services.send_list, summary="Send the list to the library (LST-4)")
LISTS.step("post", "/lists/{list_id}/assign", name="assign", inputs={"payload": AssignIn},
           act=lambda user, lst, payload: services.assign_list(user, lst, payload.username),
           summary="Assign the list to a librarian (username), or unassign (null) (LST-7)")


@router.get("/lists/{list_id}/history", response={200: Page(AuditOut), **ERRORS},
            summary="Audit trail of a list (editors and the library) (ORG-6)")
def history(request, list_id: Id, page: PageQuery):
    lst, _ = selectors.list_for(request.user, list_id)
    ensure_edit(request.user, lst)
    return paginate(request, audit.trail(lst), page, audit_out)


# --- sections --------------------------------------------------------------------------------

@router.post("/lists/{list_id}/sections", response={201: SectionOut, **ERRORS}, summary="Add a section (LST-1)")
@LIST.guarded("list_id")
def add_section(request, list_id: Id, payload: SectionIn):
    lst, acc = selectors.list_for(request.user, list_id)
    section = services.add_section(request.user, lst, title=payload.title, description=payload.description,
                                   start_date=payload.start_date, end_date=payload.end_date, position=payload.position)
    return Status(201, {"id": section.pk, "title": section.title, "description": section.description, "position": section.position,
                        "start_date": section.start_date, "end_date": section.end_date, "citations": []})


def _section_out(user, section_id: int) -> dict:
    section, acc = selectors.section_for(user, section_id)
    items = list(section.citations.order_by("position", "id"))
    return {"id": section.pk, "title": section.title, "description": section.description, "position": section.position,
            "start_date": section.start_date, "end_date": section.end_date, "citations": [citation_out(c, acc) for c in items]}


def _section(user, section_id: int) -> Section:
    return selectors.section_for(user, section_id)[0]


# a section belongs to its list: an If-Match names the list's ETag
SECTIONS = Resource(router, "section_id", find=_section, render=_section_out, response=SectionOut, errors=ERRORS,
                    edits=(LIST.guarded("section_id", resolve=_list_of_section),))
SECTIONS.step("patch", "/sections/{section_id}", name="patch_section", inputs={"payload": SectionPatch},
              act=lambda user, section, payload: services.update_section(user, section, **payload.dict(exclude_unset=True)),
              summary="Change a section's title, description or dates")
SECTIONS.step("post", "/sections/{section_id}/move", name="move_section", inputs={"payload": PositionIn},
              act=lambda user, section, payload: services.move_section(user, section, payload.position),
              summary="Move a section to a position (0-based)")
SECTIONS.step("delete", "/sections/{section_id}", name="delete_section", act=services.delete_section, empty=True,
              summary="Delete an empty section")


# --- citations -------------------------------------------------------------------------------

def _citation_response(user, citation_id: int) -> dict:
    citation, acc = selectors.citation_for(user, citation_id)
    return citation_out(citation, acc, item_access.access_for(user, [citation]).get(citation.pk))


CITATION = Versioned("citation", render=_citation_response, lock=_lock_list_of_citation)


@router.post("/lists/{list_id}/citations", response={201: CitationOut, **ERRORS},
             summary="Add a citation: section id, type, CSL-JSON metadata (or a catalog record id) (LST-2, LST-3)")
@CITATION.tagged()
@LIST.guarded("list_id")
def add_citation(request, list_id: Id, payload: CitationIn):
    lst, _ = selectors.list_for(request.user, list_id)
    ensure_edit(request.user, lst)
    citation = services.add_citation(
        request.user, lst, selectors.section_of_list(lst.pk, payload.section_id), payload.type, payload.metadata,
        _record(request.user, payload.record_id), tags=payload.tags, public_note=payload.public_note,
        library_note=payload.library_note, position=payload.position, open_access=payload.open_access,
        copyright_status=payload.copyright_status, personal_copy=payload.personal_copy,
        personal_copy_owner=payload.personal_copy_owner)
    return Status(201, _citation_response(request.user, citation.pk))


def _citation(user, citation_id: int) -> Citation:
    return selectors.citation_for(user, citation_id)[0]


def _move_citation(user, citation: Citation, payload: MoveIn) -> None:
    services.move_citation(user, citation, section=selectors.section_of_list(citation.resource_list_id, payload.section_id),
                           position=payload.position)


# the steps on a citation answer it with its ETag and honour If-Match
CITATIONS = Resource(router, "citation_id", find=_citation, render=_citation_response, response=CitationOut, errors=ERRORS,
                     edits=(CITATION.guarded("citation_id"),), answers=(CITATION.tagged(),))
CITATIONS.read("/citations/{citation_id}", name="get_citation", summary="One citation")
CITATIONS.step("patch", "/citations/{citation_id}", name="patch_citation", inputs={"payload": CitationPatch},
               act=lambda user, citation, payload: services.change_citation(user, citation, **payload.dict(exclude_unset=True)),
               summary="Change a citation; metadata is a JSON merge patch (null removes a field); status moves along LST-4")
CITATIONS.step("delete", "/citations/{citation_id}", name="delete_citation", act=services.delete_citation, empty=True,
               summary="Delete a citation")
CITATIONS.step("post", "/citations/{citation_id}/move", name="move_citation", act=_move_citation, inputs={"payload": MoveIn},
               summary="Move a citation to a position (0-based) in its section or another section of the list (LST-1)")
CITATIONS.step("post", "/citations/{citation_id}/send", name="send_citation", act=services.send_citation,
               summary="Send a single item to the library (LST-4)")
CITATIONS.step("post", "/citations/{citation_id}/status", name="citation_status", inputs={"payload": StatusIn},
               act=lambda user, citation, payload: services.set_item_status(user, citation, payload.status, note=payload.note),
               summary="Move an item's status (the library: in_process, complete, declined) (LST-4)")
CITATIONS.step("post", "/citations/{citation_id}/file", name="upload_file", inputs={"file": File[UploadedFile]},
               act=lambda user, citation, file: services.attach_file(user, citation, file),
               summary="Upload a file on a citation (size limit per role, type sniffed) (LST-3)")
CITATIONS.step("delete", "/citations/{citation_id}/file", name="remove_file", act=services.remove_file,
               summary="Remove a citation's file")


@router.get("/citations/{citation_id}/file", response={200: None, **ERRORS}, url_name="lists_citation_file",
            summary="Download a citation's file (whoever may see the list)")
def download_file(request, citation_id: Id):
    citation, _ = selectors.citation_for(request.user, citation_id)
    return file_guards.file_response(request.user, citation)


# --- librarian --------------------------------------------------------------------------------

@router.get("/librarian/lists", response={200: TaskPage, **ERRORS},
            summary="Librarian task list: tab=mine|unassigned|others, filters and sort (LST-7)")
def librarian_lists(request, page: PageQuery, tab: Term = "unassigned", status: Term = "", course: Code = "", term: Term = "",
                    department: Code = "", item_status: Term = "", open_tasks: bool = False, q: Search = "",
                    sort: Term = "name"):
    qs = selectors.task_list(request.user, tab=tab, status=status, course=course, term=term, department=department,
                             item_status=item_status, open_tasks_only=open_tasks, q=q, sort=sort)
    code = request.user.institution.code if request.user.institution_id else ""

    def out(lst):
        return {**summary_out(lst), "institution": code}

    return paginate(request, qs, page, out, tab_counts=selectors.tab_counts(request.user))


@router.get("/lists/{list_id}/tasks", response={200: Page(TaskOut), **ERRORS}, summary="Open librarian tasks of a list (LST-6)")
def list_tasks(request, list_id: Id, page: PageQuery):
    lst, acc = selectors.list_for(request.user, list_id)
    require_process(acc)
    return paginate(request, selectors.open_tasks(lst), page, task_out)


@router.post("/librarian/tasks/{task_id}/done", response={200: TaskOut, **ERRORS}, summary="Mark a librarian task done")
def task_done(request, task_id: Id):
    task = LibrarianTask.objects.select_related("resource_list", "created_by").filter(pk=task_id).first()
    if task is None or not is_librarian_for(request.user, task.resource_list.institution_id):
        raise NotFound("LST-7", "no such task")
    return task_out(services.resolve_task(request.user, task))


@router.get("/list-vocabulary", response=Vocabulary, summary="Citation types, tags, statuses and the workflow tables")
def vocabulary(request):
    return {
        "citation_types": {c.value: str(c.label) for c in CitationType},
        "tags": [{"code": t.code, "label": str(t.label), "system": t.system, "public": t.public} for t in TAGS.values()],
        "list_statuses": {s.value: str(s.label) for s in ListStatus},
        "item_statuses": {s.value: str(s.label) for s in ItemStatus},
        "list_transitions": [{"from": t.source, "to": t.target, "by": t.permission, "action": t.action}
                             for t in LIST_WORKFLOW.transitions],
        "item_transitions": [{"from": t.source, "to": t.target, "by": t.permission, "action": t.action}
                             for t in ITEM_WORKFLOW.transitions],
        "item_filters": {k: str(f.label) for k, f in selectors.ITEM_FILTERS.items()},
        "copyright_statuses": {c.value: str(c.label) for c in CopyrightStatus},
    }


# --- term rollover (ROLL-1..11) ---------------------------------------------------------------

class RolloverIn(Schema):
    from_term: str = Field(..., min_length=1, max_length=40, description="the old term, as its courses name it (e.g. 2026S)")
    to_term: str = Field(..., min_length=1, max_length=40, description="the new term (e.g. 2026F)")
    to_term_start: dt.date | None = Field(None, description=(
        "the new term's first day, when none of its courses has a start date yet: dates move by the difference "
        "to the old term's first day (ROLL-3)"))
    keep_notes: bool = Field(True, description="keep the items' notes (ROLL-4); false clears them in the copies")
    dry_run: bool = Field(False, description="report what would happen and change nothing (ROLL-9)")
    max_lists: int = Field(100, ge=1, le=500, description=(
        "lists copied by this call; the report's lists_remaining says how many are left for the next call (ROLL-8, ROLL-10)"))


class SkippedOut(Schema):
    citation_id: int
    title: str
    reason: str


class RolloverListOut(Schema):
    source_id: int | None
    title: str
    outcome: str = Field(..., description="copied | would_copy | already_copied | failed")
    courses: list[str]
    courses_created: list[str]
    copy_id: int | None
    items_copied: int
    items_recheck: int = Field(..., description="items tagged rollover_recheck: they had digitization or copyright clearance (ROLL-5)")
    skipped: list[SkippedOut] = Field(..., description="items not copied, with the reason (personal copies, ROLL-6)")
    rule: str
    detail: str


class RolloverRunOut(Schema):
    id: int | None
    from_term: str
    to_term: str
    dry_run: bool = False
    keep_notes: bool
    offset_days: int | None
    actor: str | None = None
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    lists_copied: int
    lists_already_copied: int
    lists_failed: int
    lists_remaining: int
    courses_created: int
    items_copied: int
    items_skipped: int
    items_recheck: int


class RolloverOut(RolloverRunOut):
    summary: str
    lists: list[RolloverListOut]


def _run_out(run) -> dict:
    return {"id": run.pk, "from_term": run.from_term, "to_term": run.to_term, "keep_notes": run.keep_notes,
            "offset_days": run.offset_days, "actor": run.actor.username if run.actor_id else None, "started_at": run.started_at,
            "finished_at": run.finished_at, "lists_copied": run.lists_copied, "lists_already_copied": run.lists_already_copied,
            "lists_failed": run.lists_failed, "lists_remaining": run.lists_remaining, "courses_created": run.courses_created,
            "items_copied": run.items_copied, "items_skipped": run.items_skipped, "items_recheck": run.items_recheck}


def _entry_out(e) -> dict:
    return {"source_id": e.source_id, "title": e.source_title, "outcome": e.outcome, "courses": [c for c in e.courses.split(", ") if c],
            "courses_created": e.courses_created, "copy_id": e.copy_id, "items_copied": e.items_copied,
            "items_recheck": e.items_recheck, "skipped": e.skipped, "rule": e.rule, "detail": e.detail}


def _report_out(report) -> dict:
    from dataclasses import asdict

    return {"id": report.run_id, "from_term": report.from_term, "to_term": report.to_term, "dry_run": report.dry_run,
            "keep_notes": report.keep_notes, "offset_days": report.offset_days, "lists_copied": report.lists_copied,
            "lists_already_copied": report.lists_already_copied, "lists_failed": report.lists_failed,
            "lists_remaining": report.lists_remaining, "courses_created": report.courses_created,
            "items_copied": report.items_copied, "items_skipped": report.items_skipped, "items_recheck": report.items_recheck,
            "summary": report.summary(), "lists": [asdict(r) for r in report.lists]}


@router.post("/rollovers", response={200: RolloverOut, 201: RolloverOut, **ERRORS},
             summary="Term rollover: copy the old term's lists to the new term's courses (ROLL-1..11); "
                     "dry_run reports (200) without changing anything, a run answers 201 with its report")
def roll_over(request, payload: RolloverIn):
    from .rollover import roll_over_lists

    report = roll_over_lists(request.user, request.user.institution, from_term=payload.from_term, to_term=payload.to_term,
                             keep_notes=payload.keep_notes, dry_run=payload.dry_run, to_term_start=payload.to_term_start,
                             max_lists=payload.max_lists)
    body = _report_out(report)
    return body if payload.dry_run else Status(201, body)


@router.get("/rollovers", response={200: Page(RolloverRunOut), **ERRORS}, summary="Past rollover runs of my institution (ROLL-11)")
def rollover_runs(request, page: PageQuery):
    return paginate(request, selectors.rollover_runs(request.user), page, _run_out)


@router.get("/rollovers/{rollover_id}", response={200: RolloverRunOut, **ERRORS}, summary="One rollover run and its counts (ROLL-11)")
def rollover_run(request, rollover_id: Id):
    return _run_out(selectors.rollover_run(request.user, rollover_id))


@router.get("/rollovers/{rollover_id}/lists", response={200: Page(RolloverListOut), **ERRORS},
            summary="The report of each list of a rollover run (ROLL-11)")
def rollover_run_lists(request, rollover_id: Id, page: PageQuery):
    run = selectors.rollover_run(request.user, rollover_id)
    return paginate(request, selectors.rollover_entries(run), page, _entry_out)


# --- citations pasted into a list (LST-2, LST-9, session 22) --------------------------------

class PasteIn(Schema):
    text: str = Field(..., max_length=catalog_link.PASTE_CHARS, description=(
        "one or several formatted references (APA, Harvard, Chicago, MLA... as copied from a bibliography or Google "
        "Scholar), one a line or parted by blank lines; or a RIS, BibTeX or CSL-JSON record; or DOIs or ISBNs, one a "
        "line. Headings (\"Week 2\") name sections; instructions to students become notes"))


class PasteAddIn(PasteIn):
    section_id: Id | None = Field(None, description="the section to add to; empty: the sections the pasted headings "
                                                    "name, else the list's last section")


class PastedOut(Schema):
    line: int = Field(..., description="where it starts in the pasted text (a line, a paragraph, an entry), 1-based")
    kind: Literal["citation", "section", "list"] = Field(..., description=(
        "a citation; or instructions to students: under a heading (section), that section's note for students; "
        "before every heading and reference (list), the list's description"))
    title: str
    csl: dict[str, Any] = Field(..., description="the fields read, as CSL-JSON (a DOI or ISBN alone: looked up when added)")
    read: str = Field("", description="the fields read, as a line: \"Authors: …; Year: …; Title: …\"")
    section: str = Field("", description="the section a pasted heading names (by title)")
    public_note: str = Field("", description="the note for students it brings (instructions pasted below it)")
    identifier: str = Field("", description="the DOI or ISBN it will be looked up by")
    review: bool = Field(False, description="its authors, year and title were not all found: added with its text as the "
                                            "title and tagged 'Needs review'")
    refused: bool = False
    problems: list[str]


class PastePreviewOut(Schema):
    """LST-9: what adding the pasted text would add; nothing is added."""
    format: Literal["text", "ris", "bibtex", "csl-json"] = Field(..., description="text: formatted references, DOIs or ISBNs")
    format_name: str
    total: int = Field(..., description="citations read")
    review: int = Field(..., description="of which tagged 'Needs review'")
    refused: int
    rows: list[PastedOut]


@router.post("/lists/{list_id}/paste/preview", response={200: PastePreviewOut, **ERRORS}, throttle=Throttle("lookup"),
             summary="Preview pasted citations (LST-2, LST-9): which format was detected and the fields read from each "
                     "reference, record or identifier; nothing is added")
def preview_paste(request, list_id: Id, payload: PasteIn):
    return catalog_link.preview_pasted(request.user, list_id, payload.text)


@router.post("/lists/{list_id}/paste", response={201: ImportOut, **ERRORS}, throttle=Throttle("lookup"),
             summary="Add pasted citations to a list (LST-2, LST-9): formatted references, a RIS/BibTeX/CSL-JSON record, "
                     "DOIs or ISBNs (looked up); a report per entry — a reference whose authors, year and title were not "
                     "all read is added tagged 'Needs review'")
def add_paste(request, list_id: Id, payload: PasteAddIn):
    report = catalog_link.add_pasted(request.user, list_id, payload.text, section_id=payload.section_id)
    return Status(201, {"format": report.format, "read": report.read, "created": report.created,
                        "rejected": len(report.rejected), "dropped": report.dropped,
                        "entries": [vars(e) for e in report.entries]})
