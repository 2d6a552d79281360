"""Reads of resource lists shared by the API and the pages, with their prefetching: a list with
200 items costs the same number of queries as one with 20 (LST acceptance 5).

Item filters are a registry so that other apps can add their own (LST-7), e.g. the
digitization app::

    from syllabus.lists.selectors import register_item_filter
    register_item_filter("digitization_requested", _("Digitization requested"),
                         lambda: Q(digitization_requests__status="open"))
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace

from asgiref.local import Local
from django.core.cache import cache
from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value, prefetch_related_objects
from django.db.models.functions import Coalesce

from syllabus.core.errors import NotFound, PermissionDenied, RuleViolation
from syllabus.courses.models import Course
from syllabus.org.models import User
from syllabus.org.roles import Role

from .models import Citation, LibrarianTask, ResourceList, Section
from syllabus.core.prepared import Prepared
from .permissions import Access, ensure_librarian, ensure_view, reads_a_linked_course
from .tags import TAGS
from .workflow import ItemStatus, ListStatus, Visibility

# --- item filters (LST-7) -----------------------------------------------------------------


@dataclass(frozen=True)
class ItemFilter:
    key: str
    label: object
    q: Callable[[], Q]  # a condition on Citation


ITEM_FILTERS: dict[str, ItemFilter] = {}


def _tag_label(code: str):
    return TAGS[code].label


def register_item_filter(key: str, label, q: Callable[[], Q]) -> ItemFilter:
    f = ItemFilter(key, label, q)
    ITEM_FILTERS[key] = f
    return f


for _status in ItemStatus:
    register_item_filter(_status.value, _status.label, lambda s=_status.value: Q(status=s))

# LST-9 (session 20): the items a Word import kept as their reference's text, for the library to check
register_item_filter("needs_review", _tag_label("needs_review"), lambda: Q(tags__icontains='"needs_review"'))


def item_filter(key: str) -> ItemFilter:
    try:
        return ITEM_FILTERS[key]
    except KeyError:
        raise RuleViolation("LST-7", f"unknown item filter {key!r}; use one of {', '.join(ITEM_FILTERS)}", field="item_status") from None


# --- one list -----------------------------------------------------------------------------


def _citations_qs() -> QuerySet[Citation]:
    return Citation.objects.order_by("position", "id")


def list_queryset() -> QuerySet[ResourceList]:
    return (ResourceList.objects.select_related("institution__consortium", "assignee")
            .prefetch_related(Prefetch("courses", queryset=Course.objects.order_by("code", "section")),
                              Prefetch("owners", queryset=User.objects.order_by("username")),
                              Prefetch("collaborators", queryset=User.objects.order_by("username"))))


COURSES_PREFETCH = Prefetch("courses", queryset=Course.objects.order_by("code", "section"))


def reader_list_queryset(user, *, courses: bool = True) -> QuerySet[ResourceList]:
    """A list for the page a reader sees (the student view): with its courses (unless
    ``courses`` is false), and instead of every owner and collaborator, whether *this* user is
    one and is enrolled in a linked course (``viewer_flags``, read by
    :func:`permissions.access_for` — the same rules, in the list's own query: three queries
    fewer per view, issue 19)."""
    qs = ResourceList.objects.select_related("institution__consortium", "assignee")
    if courses:
        qs = qs.prefetch_related(COURSES_PREFETCH)
    if user is None or not user.is_authenticated:
        return qs
    through_owner = ResourceList.owners.through.objects.filter(resourcelist_id=OuterRef("pk"), user_id=user.pk)
    through_collab = ResourceList.collaborators.through.objects.filter(resourcelist_id=OuterRef("pk"), user_id=user.pk)
    return qs.annotate(viewer_owner=Exists(through_owner), viewer_collaborator=Exists(through_collab),
                       viewer_enrolled=reads_a_linked_course(user.pk))


def reader_list(user, pk: int) -> tuple[ResourceList, Access, tuple | None]:
    """The list for the student view, in ONE query (issue 19): the list, this reader's flags,
    and the stamps of everything the shared part of their page shows besides the list itself
    — the list's change stamp kept by triggers (lists.changes: its courses, items and their
    records' services), and what each item-access provider reads beyond it (lists.item_access:
    ``stamps``), with
    whether the reader has anything of their own on it (``mine_<provider>``).  Neither its
    courses nor its items are loaded (:func:`load_items` does, when the page is not cached).
    The query is compiled once per process (core.prepared).  Returns ``(list, access,
    stamp)``; ``stamp`` is ``None`` when a provider has none for this reader or it does not hold
    now (the page is then computed the full way)."""
    from syllabus.core import clock

    from . import changes, item_access

    signed = user is not None and user.is_authenticated
    found = item_access.stamps(user) if signed else None
    if found is None:
        lst = reader_list_queryset(user, courses=False).filter(pk=pk).first()
    else:
        columns, parts, shape = found
        read = getattr(_with, "read", None)
        if read is not None and read[0] == (user.pk, pk, shape):
            rows = read[1]   # read with this request's session, in its round trip (issue 19, session 12)
            _with.read = None
        else:
            rows = _READER_LIST.fetch(ResourceList.objects.db, shape, {"user_id": user.pk, "list_id": pk, "now": clock.now(),
                                                                       "columns": columns})
            _learn(user.pk, shape)
        lst = rows[0] if rows else None
    if lst is None:
        raise NotFound("LST-8", "no such list")
    _flag_viewer(user, lst)
    acc = ensure_view(user, lst)
    stamp = None
    if found is not None:
        values = item_access.stamp_values(lst, found[1])
        if values is not None:
            stamp = (changes.stamp_of(lst), values)
    return lst, acc, stamp


def _reader_list_query(values: dict):
    from . import changes

    reader = SimpleNamespace(pk=values["user_id"], is_authenticated=True)
    return (reader_list_queryset(reader, courses=False)
            .annotate(**values["columns"](values), **changes.stamp_columns())
            .filter(pk=values["list_id"]))


def _share_list_records(vendor: str, sql: str, params: list) -> tuple[str, list]:
    """PostgreSQL: the records of the list's items (item_access.list_records), which the
    providers' stamps and ``mine_`` columns each read again (nine sub-plans on the bench list),
    read once — a materialized ``WITH`` of the same rows for the list asked for (the query
    reads that one list).  Measured 0.71–0.85 → 0.58–0.65 ms of database CPU (issue 19,
    session 11).  A query where the text does not appear is sent as it is."""
    from syllabus.core.prepared import MARKERS

    if vendor != "postgresql":
        return sql, params
    marker = MARKERS["list_id"]
    table, column = Citation._meta.db_table, Citation._meta.get_field("resource_list").column
    text = (f'SELECT U0."record_id" AS "record_id" FROM "{table}" U0 WHERE (U0."{column}" = '
            f'("{ResourceList._meta.db_table}"."id") AND U0."record_id" IS NOT NULL)')
    if text not in sql or params.count(marker) != 1 or not sql.startswith("SELECT "):
        return sql, params
    shared = (f'WITH "syllabus_list_records" AS MATERIALIZED (SELECT U0."record_id" FROM "{table}" U0 '
              f'WHERE U0."{column}" = %s AND U0."record_id" IS NOT NULL) ')
    return shared + sql.replace(text, 'SELECT "record_id" FROM "syllabus_list_records"'), [marker, *params]


_READER_LIST = Prepared(_reader_list_query, prefix="lst", rewrite=_share_list_records)


# --- the list read with the session (issue 19, session 12) -------------------------------------
# On PostgreSQL a kept student view was two round trips: the session (with the person and the
# configuration, org.backends), then the list query. A GET of the student view now sends the list
# query in the session's round trip (core.sessions.read_with_session) when this process has seen
# the same session key view a list before: the list is the one the request's path names (resolved
# as the URL configuration resolves it); the reader and the query's shape (which providers' stamps
# it reads) are guessed from that earlier view. What is read is read fresh, in the session's
# implicit transaction, at this request's time; :func:`reader_list` takes the rows only for that
# very reader, list and shape, else reads as before (and learns).

_GUESSES_LIMIT = 20_000   # session keys remembered per process (then forgotten all at once)
_guesses: dict[str, tuple[int, tuple]] = {}   # session key -> (reader's id, shape) of its last view
_with = Local()           # this request: its path (a GET's), its session key, the rows read with it
_VIEW_PATH: dict[str, tuple[str, str]] = {}   # script prefix -> the view's path around the list's id
_ID = 999_999_999


def _started(*, environ=None, **kwargs) -> None:
    from django.core.handlers.wsgi import get_path_info

    environ = environ or {}
    _with.path = get_path_info(environ) if environ.get("REQUEST_METHOD") in ("GET", "HEAD") else ""
    _with.session_key = None
    _with.read = None


def _finished(**kwargs) -> None:
    _with.path = ""
    _with.session_key = None
    _with.read = None


def _learn(user_id: int, shape) -> None:
    key = getattr(_with, "session_key", None)
    if key is None or _guesses.get(key) == (user_id, shape):
        return
    if len(_guesses) >= _GUESSES_LIMIT:
        _guesses.clear()
    _guesses[key] = (user_id, shape)


_RESOLVED: dict[tuple, int | None] = {}
_RESOLVED_LIMIT = 10_000


def _list_in_path(path: str) -> int | None:
    """The list whose student view ``path`` (a path info) is, as the URL configuration resolves it
    (resolved once per path, URL configuration and prefix in this process: issue 19, session 14)."""
    from django.conf import settings
    from django.urls import Resolver404, get_script_prefix, get_urlconf, resolve, reverse

    prefix = get_script_prefix()
    around = _VIEW_PATH.get(prefix)
    if around is None:
        url = reverse("lists:view", kwargs={"pk": _ID})
        before, after = url.split(str(_ID))
        around = _VIEW_PATH[prefix] = ("/" + before[len(prefix):], after)
    if not (path.startswith(around[0]) and path.endswith(around[1])):
        return None   # (no other page pays for a resolution)
    key = (path, get_urlconf() or settings.ROOT_URLCONF, prefix)
    if key in _RESOLVED:
        return _RESOLVED[key]
    try:
        match = resolve(path)
    except Resolver404:
        match = None
    pk = match.kwargs.get("pk") if match is not None and match.url_name == "view" and match.namespace == "lists" else None
    if len(_RESOLVED) >= _RESOLVED_LIMIT:
        _RESOLVED.clear()
    _RESOLVED[key] = pk
    return pk


def _with_session(db: str, session_key: str) -> list:
    """core.sessions companion: the list query of the student view this GET asks for, for the
    reader and shape this session key's last view had."""
    path = getattr(_with, "path", "")
    if not path:
        return []
    _with.session_key = session_key
    guess = _guesses.get(session_key)
    if guess is None or ResourceList.objects.db != db:
        return []
    user_id, shape = guess
    if not _READER_LIST.compiled(db, shape):
        return []
    pk = _list_in_path(path)
    if pk is None:
        return []
    from syllabus.core import clock

    def got(rows, mark=(user_id, pk, shape)) -> None:
        _with.read = (mark, rows)

    return [(_READER_LIST, shape, {"user_id": user_id, "list_id": pk, "now": clock.now()}, got)]


def install() -> None:
    """Send the student view's list query with the session (from the lists app's ``ready``)."""
    from django.core.signals import request_finished, request_started

    from syllabus.core import sessions

    request_started.connect(_started, dispatch_uid="lists-session-reads-start")
    request_finished.connect(_finished, dispatch_uid="lists-session-reads-finish")
    sessions.read_with_session(_with_session)


def load_items(lst: ResourceList) -> None:
    """The courses, sections and items of a list read by :func:`reader_list` (as
    :func:`list_with_items` gives them)."""
    prefetch_related_objects([lst], COURSES_PREFETCH)
    _attach_items(lst, *_sections_and_items(lst, _citations_qs(), cached=True))


def _attach_items(lst: ResourceList, sections, by_section) -> None:
    cached_section = Citation._meta.get_field("section")
    cached_list = Citation._meta.get_field("resource_list")
    for s in sections:
        s.items = by_section[s.pk]
        for c in s.items:
            cached_section.set_cached_value(c, s)
            if c.resource_list_id == lst.pk:
                cached_list.set_cached_value(c, lst)
    lst.section_list = sections


def list_with_items(user, pk: int, *, item_filter_key: str = "", reader: bool = False) -> tuple[ResourceList, Access]:
    """The list with its courses, people, sections and their items (in order), or 404 when the
    user may not see it.  ``section.items`` holds the section's citations.  ``reader``: the list
    as :func:`reader_list_queryset` reads it (no owners/collaborators prefetched)."""
    if reader:
        lst = reader_list_queryset(user).filter(pk=pk).first()
        if lst is not None:
            _flag_viewer(user, lst)
    else:
        lst = list_queryset().filter(pk=pk).first()
    if lst is None:
        raise NotFound("LST-8", "no such list")
    acc = ensure_view(user, lst)
    citations = _citations_qs()
    if item_filter_key:
        citations = citations.filter(item_filter(item_filter_key).q())
    _attach_items(lst, *_sections_and_items(lst, citations, cached=reader and not item_filter_key))
    return lst, acc


#: seconds a list's sections and items are kept by revision (see :func:`_sections_and_items`)
ITEMS_CACHE_SECONDS = 600


def _sections_and_items(lst: ResourceList, citations: QuerySet[Citation], *, cached: bool):
    """The list's sections in order and ``{section id: [its citations in order]}``: two plain
    queries (a prefetch costs as much again in Python, issue 19).  ``cached``: kept in the cache
    under the list's ``revision`` — which every change of the list, a section or an item bumps in
    its own transaction (lists.signals), and which the caller has just read from the database —
    so every worker sees a change at once; what the cache gives back is a fresh copy."""
    key = f"lists:items:{lst.pk}:{lst.revision}"
    if cached:
        found = cache.get(key)
        if found is not None:
            return found
    sections = list(Section.objects.filter(resource_list=lst).order_by("position", "id"))
    by_section: dict[int, list[Citation]] = {s.pk: [] for s in sections}
    for c in citations.filter(section__in=[s.pk for s in sections]):
        by_section[c.section_id].append(c)
    if cached:
        cache.set(key, (sections, by_section), ITEMS_CACHE_SECONDS)
    return sections, by_section


def list_with_item_page(user, pk: int, *, item_filter_key: str = "", page: int = 1,
                        per_page: int = 50) -> tuple[ResourceList, Access, dict]:
    """The list with one page of its items (in list order: section, then position), grouped
    into ``lst.section_list`` like :func:`list_with_items` — the librarian's page of a long
    list.  An empty section shows on the page where it falls in the list's order.

    Returns ``(lst, access, paging)``; ``paging`` has ``number``, ``count``, ``pages``,
    ``first``/``last`` (1-based item numbers) and ``page_of`` (item id → its page)."""
    lst = list_queryset().filter(pk=pk).first()
    if lst is None:
        raise NotFound("LST-8", "no such list")
    acc = ensure_view(user, lst)
    citations = Citation.objects.filter(resource_list=lst)
    if item_filter_key:
        citations = citations.filter(item_filter(item_filter_key).q())
    order = ("section__position", "section_id", "position", "id")
    rows = list(citations.order_by(*order).values_list("id", "section_id"))  # ids only: cheap for 1,000s of items
    count = len(rows)
    pages = max(1, -(-count // per_page))
    number = min(max(1, page), pages)
    start = (number - 1) * per_page
    chosen = [cid for cid, _ in rows[start:start + per_page]]
    items = {c.pk: c for c in _citations_qs().filter(pk__in=chosen)}
    per_section: dict[int, list[Citation]] = {}
    for cid in chosen:
        per_section.setdefault(items[cid].section_id, []).append(items[cid])
    in_section: dict[int, int] = {}
    for _cid, sid in rows:
        in_section[sid] = in_section.get(sid, 0) + 1
    shown, ahead = [], 0  # ahead: items of the list before this section
    for section in Section.objects.filter(resource_list=lst).order_by("position", "id"):
        section.items = per_section.get(section.pk, [])
        if section.items:
            shown.append(section)
        elif not in_section.get(section.pk) and max(0, ahead - 1) // per_page + 1 == number:
            shown.append(section)  # an empty section: on the page of the item before it
        ahead += in_section.get(section.pk, 0)
    lst.section_list = shown
    paging = {"number": number, "count": count, "pages": pages, "per_page": per_page, "first": start + 1 if count else 0,
              "last": start + len(chosen), "page_of": {cid: i // per_page + 1 for i, (cid, _) in enumerate(rows)}}
    return lst, acc, paging


def all_items(lst: ResourceList) -> list[Citation]:
    return [c for s in lst.section_list for c in s.items]


def list_for(user, pk: int) -> tuple[ResourceList, Access]:
    """The list (no items) or 404."""
    lst = list_queryset().filter(pk=pk).first()
    if lst is None:
        raise NotFound("LST-8", "no such list")
    return lst, ensure_view(user, lst)


def citation_for(user, pk: int) -> tuple[Citation, Access]:
    """The item and this user's access to its list: two queries — the item, then its list with
    whether the user owns, collaborates on or reads it (``viewer_flags``), instead of its owners,
    its collaborators and the enrolment asked one by one (session 21: Find it's way back to
    the item, an item's pages)."""
    citation = Citation.objects.select_related("section").filter(pk=pk).first()
    if citation is None:
        raise NotFound("LST-8", "no such item")
    lst = reader_list_queryset(user, courses=False).filter(pk=citation.resource_list_id).first()
    if lst is None:
        raise NotFound("LST-8", "no such item")
    _flag_viewer(user, lst)
    citation.resource_list = lst
    return citation, ensure_view(user, lst)


def _flag_viewer(user, lst: ResourceList) -> None:
    """``viewer_flags`` from :func:`reader_list_queryset`'s annotations, for :func:`permissions.access_for`."""
    if user is not None and user.is_authenticated:
        lst.viewer_flags = (user.pk, bool(lst.viewer_owner), bool(lst.viewer_collaborator), bool(lst.viewer_enrolled))


def place_of(citation_id: int) -> tuple[Citation, int]:
    """The item (with its section) and how many items its section holds — its place is
    ``position + 1`` of that (positions are renumbered from 0 on every move, LST-1)."""
    citation = Citation.objects.select_related("section").get(pk=citation_id)
    return citation, Citation.objects.filter(resource_list_id=citation.resource_list_id, section_id=citation.section_id).count()


def citation_seen_by(user, pk: int | None) -> Citation | None:
    """The item ``pk`` when ``user`` sees its list, else None — for a page that only mentions an
    item it was opened from (Find it's way back, DSV-6) and must say nothing of one it may not see."""
    if not pk:
        return None
    try:
        return citation_for(user, pk)[0]
    except (NotFound, PermissionDenied):
        return None


def section_for(user, pk: int) -> tuple[Section, Access]:
    section = Section.objects.select_related("resource_list__institution").filter(pk=pk).first()
    if section is None:
        raise NotFound("LST-8", "no such section")
    return section, ensure_view(user, section.resource_list)


def ensure_section_of(list_id: int, section: Section) -> Section:
    """LST-1: a list's items go only into that list's sections (the one place this is said)."""
    if section.resource_list_id != list_id:
        raise RuleViolation("LST-1", f"section {section.pk} is not a section of this list", field="section_id")
    return section


def section_of_list(list_id: int, section_id: int | None) -> Section | None:
    """The section ``section_id`` of the list, ``None`` for none; LST-1 for any other id."""
    if section_id is None:
        return None
    section = Section.objects.filter(pk=section_id).first()
    if section is None:
        raise RuleViolation("LST-1", f"section {section_id} is not a section of this list", field="section_id")
    return ensure_section_of(list_id, section)


def open_tasks(lst: ResourceList) -> list[LibrarianTask]:
    return list(LibrarianTask.objects.filter(resource_list=lst, resolved_at__isnull=True)
                .select_related("citation", "created_by").order_by("-updated_at", "-id"))


def status_counts(lst: ResourceList) -> dict[str, int]:
    rows = Citation.objects.filter(resource_list=lst).values("status").annotate(n=Count("id"))
    counts = {s: 0 for s in ItemStatus.values}
    counts.update({r["status"]: r["n"] for r in rows})
    return counts


# --- lists of a user ------------------------------------------------------------------------


def lists_for_user(user, *, course_id: int | None = None, related: bool = True) -> QuerySet[ResourceList]:
    """Lists the user owns or collaborates on, and published lists of the courses they are
    enrolled in or teach (LST-8).  Each is annotated with ``n_items`` and ``viewer_edits`` (the
    user owns or collaborates on it).  Librarians use :func:`task_list` for the rest of their
    institution.  ``related=False``: the lists' own rows only, without their institution,
    assignee, courses, owners and collaborators (four queries fewer — the course page's panel
    shows titles and counts, session 22)."""
    if not user.is_authenticated:
        return ResourceList.objects.none()
    qs = ResourceList.objects.filter(
        Q(owners=user) | Q(collaborators=user) | (Q(visibility=Visibility.PUBLISHED) & reads_a_linked_course(user.pk))
    )
    if course_id:
        qs = qs.filter(courses=course_id)
    ids = qs.values("id")
    return ((list_queryset() if related else ResourceList.objects.all()).filter(id__in=ids)
            .annotate(n_items=Coalesce(Subquery(_count_items()), Value(0), output_field=IntegerField()),
                      viewer_edits=_edits(user.pk))
            .order_by("title", "id"))


def _edits(user_id: int):
    owner = ResourceList.owners.through.objects.filter(resourcelist_id=OuterRef("pk"), user_id=user_id)
    collaborator = ResourceList.collaborators.through.objects.filter(resourcelist_id=OuterRef("pk"), user_id=user_id)
    return Exists(owner) | Exists(collaborator)


#: why a course's reader sees no list (:func:`why_no_list`)
NO_LIST_DRAFT, NO_LIST_ROLLED_OVER = "draft", "rolled_over"


def why_no_list(course_id: int) -> str:
    """Why a reader of the course finds no list there (LST-8, ROLL-7), for the page that says so:
    ``"rolled_over"`` — a copy of last term's list waits for its instructor to publish it;
    ``"draft"`` — a list is being prepared (unpublished); ``""`` — the course has no list.  Says
    that one exists, never what it is."""
    from .models import RolloverEntry

    drafts = ResourceList.objects.filter(courses=course_id).exclude(visibility=Visibility.PUBLISHED)
    if RolloverEntry.objects.filter(copy__in=drafts, outcome=RolloverEntry.COPIED).exists():
        return NO_LIST_ROLLED_OVER
    return NO_LIST_DRAFT if drafts.exists() else ""


def find_lists_to_join(user, *, course_id: int | None = None) -> QuerySet[ResourceList]:
    """The lists of courses the user teaches that they cannot open: drafts they neither own nor
    collaborate on (LST-8: only owners and collaborators edit, and a published list of a course
    they teach is in :func:`lists_for_user`).  Their title, status, visibility and owners only —
    so that a co-instructor learns the course has a list, and whom to ask to be added as a
    collaborator, instead of creating a second one (LMS-1).  Only ``course_id``'s, when given."""
    if not user.is_authenticated or not user.institution_id:
        return ResourceList.objects.none()
    teaching = Course.instructors.through.objects.filter(user_id=user.pk, course__resource_lists=OuterRef("pk"))
    if course_id:
        teaching = teaching.filter(course_id=course_id)
    return (ResourceList.objects.filter(Exists(teaching), institution_id=user.institution_id)
            .exclude(visibility=Visibility.PUBLISHED).exclude(_edits(user.pk))
            .prefetch_related(COURSES_PREFETCH,
                              Prefetch("owners", queryset=User.objects.order_by("last_name", "first_name", "username")))
            .order_by("title", "id"))


def _count_items(q: Q | None = None):
    sub = Citation.objects.filter(resource_list=OuterRef("pk"))
    if q is not None:
        sub = sub.filter(q)
    return sub.order_by().values("resource_list").annotate(n=Count("id")).values("n")


# --- librarian task list (LST-7) -------------------------------------------------------------

TABS = ("mine", "unassigned", "others")
SORTS = {
    "name": ("title", "id"), "-name": ("-title", "-id"),
    "status": ("status_rank", "title", "id"), "-status": ("-status_rank", "title", "id"),
    "code": ("course_code", "title", "id"), "-code": ("-course_code", "title", "id"),
    "updated": ("-updated_at", "-id"),
}
STATUS_RANK = {s: n for n, s in enumerate(ListStatus.values)}


def librarians(institution_id: int) -> QuerySet[User]:
    """Course Reserves Operators of the institution (who a list can be assigned to)."""
    return (User.objects.filter(is_active=True, role_assignments__role=Role.COURSE_RESERVES_OPERATOR,
                                role_assignments__institution_id=institution_id)
            .distinct().order_by("last_name", "first_name", "username"))


def task_list(user, *, tab: str = "unassigned", status: str = "", course: str = "", term: str = "", department: str = "",
              item_status: str = "", open_tasks_only: bool = False, q: str = "", sort: str = "name") -> QuerySet[ResourceList]:
    """The lists of the librarian's institution on one tab — Assigned to me, Unassigned, Assigned
    to others — filtered by list status, course (code), term, department, items by status (or any
    registered item filter), and sorted by name, status or course code.  Each row is annotated
    with ``n_items``, ``n_ready``, ``n_open_tasks``, ``course_code``."""
    from django.db.models import Case, When

    ensure_librarian(user, user.institution_id)
    if tab not in TABS:
        raise RuleViolation("LST-7", f"tab is one of {', '.join(TABS)}", field="tab")
    if sort not in SORTS:
        raise RuleViolation("LST-7", f"sort is one of {', '.join(SORTS)}", field="sort")
    qs = ResourceList.objects.filter(institution_id=user.institution_id)
    if tab == "mine":
        qs = qs.filter(assignee=user)
    elif tab == "unassigned":
        qs = qs.filter(assignee__isnull=True)
    else:
        qs = qs.filter(assignee__isnull=False).exclude(assignee=user)
    if status:
        statuses = [s for s in status.split(",") if s]
        bad = [s for s in statuses if s not in ListStatus.values]
        if bad:
            raise RuleViolation("LST-7", f"unknown list status {bad[0]!r}", field="status")
        qs = qs.filter(status__in=statuses)
    course_links = ResourceList.courses.through.objects.filter(resourcelist_id=OuterRef("pk"))
    if course:
        qs = qs.filter(Exists(course_links.filter(Q(course__code__iexact=course.strip())
                                                  | Q(course__code__istartswith=course.strip()))))
    if term:
        qs = qs.filter(Exists(course_links.filter(course__term=term.strip())))
    if department:
        qs = qs.filter(Exists(course_links.filter(course__department__iexact=department.strip())))
    if item_status:
        flt = item_filter(item_status)
        qs = qs.filter(Exists(Citation.objects.filter(resource_list=OuterRef("pk")).filter(flt.q())))
    open_task_q = LibrarianTask.objects.filter(resource_list=OuterRef("pk"), resolved_at__isnull=True)
    if open_tasks_only:
        qs = qs.filter(Exists(open_task_q))
    for word in (q or "").split():
        qs = qs.filter(Q(title__icontains=word) | Exists(course_links.filter(Q(course__code__icontains=word)
                                                                             | Q(course__name__icontains=word))))
    first_code = course_links.order_by("course__code").values("course__code")[:1]
    n_tasks = open_task_q.order_by().values("resource_list").annotate(n=Count("id")).values("n")
    return (qs.select_related("assignee")
            .prefetch_related(Prefetch("courses", queryset=Course.objects.order_by("code", "section")))
            .annotate(
                course_code=Coalesce(Subquery(first_code), Value("")),
                n_items=Coalesce(Subquery(_count_items()), Value(0), output_field=IntegerField()),
                n_ready=Coalesce(Subquery(_count_items(Q(status=ItemStatus.READY_FOR_PROCESSING))), Value(0),
                                 output_field=IntegerField()),
                n_open_tasks=Coalesce(Subquery(n_tasks), Value(0), output_field=IntegerField()),
                status_rank=Case(*[When(status=s, then=Value(n)) for s, n in STATUS_RANK.items()],
                                 default=Value(99), output_field=IntegerField()),
            )
            .order_by(*SORTS[sort]))


def tab_counts(user) -> dict[str, int]:
    """How many lists are on each tab (one query)."""
    qs = ResourceList.objects.filter(institution_id=user.institution_id)
    return qs.aggregate(
        mine=Count("id", filter=Q(assignee=user)),
        unassigned=Count("id", filter=Q(assignee__isnull=True)),
        others=Count("id", filter=Q(assignee__isnull=False) & ~Q(assignee=user)),
    )


def terms_and_departments(institution_id: int) -> tuple[list[str], list[str]]:
    courses = Course.objects.filter(institution_id=institution_id, resource_lists__isnull=False)
    terms = sorted({t for t in courses.order_by().values_list("term", flat=True).distinct() if t})
    departments = sorted({d for d in courses.order_by().values_list("department", flat=True).distinct() if d})
    return terms, departments


# --- term rollover (ROLL-10, ROLL-11) ---------------------------------------------------------


def rollover_runs(user) -> QuerySet:
    """The rollover runs of the user's institution, newest first (its course reserves operators only)."""
    from .models import RolloverRun
    from .rollover import ensure_may_roll_over

    ensure_may_roll_over(user)
    return RolloverRun.objects.filter(institution_id=user.institution_id).select_related("actor").order_by("-started_at", "-id")


def rollover_run(user, run_id: int):
    run = rollover_runs(user).filter(pk=run_id).first()
    if run is None:
        raise NotFound("ROLL-11", "no such rollover run")
    return run


def rollover_entries(run) -> QuerySet:
    return run.entries.order_by("id")


def rollover_terms(institution_id: int) -> list[str]:
    """The terms of the institution's courses that have lists (for the rollover form)."""
    return sorted(set(Course.objects.filter(institution_id=institution_id, resource_lists__isnull=False)
                      .exclude(term="").values_list("term", flat=True)), reverse=True)
