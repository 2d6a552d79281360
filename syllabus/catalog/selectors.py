"""Reads of the catalog shared by pages and the API: scopes (DSV-2), search with facets
(DSV-1), record pages with holdings and availability, course reserves (DSV-5), My collection.

Who sees what: every signed-in member of a consortium may search and read the catalogs of
all its members (DSV-2, CON-2); records of another consortium do not exist for them (404).
Inactive representations are shown to the institution's digital inventory operators only.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext_lazy as _

from syllabus.org.permissions import is_superuser
from syllabus.citations.csl import TYPE_LABELS
from syllabus.core.errors import RuleViolation
from syllabus.core.pagination import MAX_OFFSET
from syllabus.courses import selectors as course_selectors
from syllabus.courses.models import Course
from syllabus.org.models import Institution, Library, User

from . import availability, lists_port
from .models import CollectionEntry, EResource, Item, Record, Representation
from .search import ParsedQuery, SearchParams, parse_query, search
from .services import can_manage_representations

SCOPE_MINE = "mine"
SCOPE_CONSORTIUM = "consortium"
AVAILABILITY_LABELS = {"available": _("Available on the shelf"), "online": _("Available online"),
                       "unavailable": _("Not available")}
SORTS = ("relevance", "title", "year_desc", "year_asc")


# --- scopes (DSV-2) -------------------------------------------------------------------------

def consortium_institutions(user: User) -> QuerySet[Institution]:
    if user.institution_id is None:
        return Institution.objects.all() if is_superuser(user) else Institution.objects.none()
    return Institution.objects.filter(consortium_id=user.institution.consortium_id)


def scope_choices(user: User) -> list[tuple[str, str]]:
    """The scopes a user may search: their own library, each other member, the whole consortium."""
    choices = []
    if user.institution_id:
        choices.append((SCOPE_MINE, str(_("My library (%(name)s)") % {"name": user.institution.short_name or user.institution.name})))
    for inst in consortium_institutions(user).exclude(pk=user.institution_id).order_by("name"):
        choices.append((inst.code, str(_("Another member: %(name)s") % {"name": inst.name})))
    choices.append((SCOPE_CONSORTIUM, str(_("The whole consortium"))))
    return choices


def scope_institution_ids(user: User, scope: str) -> list[int]:
    scope = (scope or SCOPE_MINE).strip()
    members = consortium_institutions(user)
    if scope == SCOPE_CONSORTIUM:
        return list(members.values_list("pk", flat=True))
    if scope == SCOPE_MINE:
        if user.institution_id is None:
            return list(members.values_list("pk", flat=True))
        return [user.institution_id]
    inst = members.filter(code=scope).first()
    if inst is None:
        raise RuleViolation("DSV-2", f"unknown search scope {scope!r}: use mine, consortium or the code of a member", field="scope")
    return [inst.pk]


def visible_records(user: User) -> QuerySet[Record]:
    return Record.objects.filter(institution__in=consortium_institutions(user))


# --- records ----------------------------------------------------------------------------------

def _record_qs(user: User | None = None) -> QuerySet[Record]:
    return Record.objects.select_related("institution").prefetch_related(
        Prefetch("items", queryset=Item.objects.select_related("library").order_by("library__code", "barcode")),
        Prefetch("eresources", queryset=EResource.objects.order_by("id")),
        Prefetch("representations", queryset=Representation.objects.select_related("library")
                 .prefetch_related("extra_files", "related_items").order_by("id")),
    )


def record_for(user: User, pk: int) -> Record | None:
    record = _record_qs(user).filter(institution__in=consortium_institutions(user), pk=pk).first()
    if record is not None:
        _decorate([record], user)
    return record


@dataclass
class LibraryAvailability:
    library: Library
    total: int = 0
    available: int = 0
    locations: list[str] = field(default_factory=list)
    #: a copy here on the hold shelf for the reader who looks (their ``Held``: collect by ``until``)
    yours: availability.Held | None = None

    @property
    def is_available(self) -> bool:
        return self.available > 0


def _decorate(records: list[Record], user: User) -> None:
    """Attach ``availability`` (per library), ``online`` links and the visible
    representations to each record (from the prefetched rows: no query per record).  A copy
    held for someone (the hold shelf, ``catalog.availability``) is not available: one query for
    all the records."""
    staff_of = {}
    availability.mark_held(item for r in records for item in r.items.all())
    user_id = getattr(user, "pk", None) if getattr(user, "is_authenticated", False) else None
    for r in records:
        by_lib: dict[int, LibraryAvailability] = {}
        for item in r.items.all():
            entry = by_lib.setdefault(item.library_id, LibraryAvailability(item.library))
            entry.total += 1
            entry.available += int(item.is_available)
            if item.held is not None and user_id is not None and item.held.patron_id == user_id:
                entry.yours = item.held
            if item.location and item.location not in entry.locations:
                entry.locations.append(item.location)
        r.availability = sorted(by_lib.values(), key=lambda a: a.library.code)
        if r.institution_id not in staff_of:
            staff_of[r.institution_id] = user is not None and can_manage_representations(user, r.institution)
        discoverable = [rep for rep in r.representations.all() if rep.discoverable]
        r.visible_representations = [rep for rep in discoverable if rep.active or staff_of[r.institution_id]]
        r.active_representations = [rep for rep in discoverable if rep.active]
        r.is_online = bool(r.eresources.all()) or bool(r.active_representations)
        r.available_count = sum(a.available for a in r.availability)
        r.type_label = TYPE_LABELS.get(r.type, r.type)


def records_by_ids(user: User, ids: list[int]) -> list[Record]:
    found = {r.pk: r for r in _record_qs(user).filter(pk__in=ids)}
    records = [found[i] for i in ids if i in found]
    _decorate(records, user)
    return records


def other_editions(record: Record, user: User, limit: int = 10) -> list[Record]:
    """Other records of the same work (``work_key``) in the user's consortium (SRV-3 uses it too)."""
    if not record.work_key:
        return []
    return list(visible_records(user).filter(work_key=record.work_key).exclude(pk=record.pk)
                .select_related("institution").order_by("-year", "id")[:limit])


def lists_containing(record: Record, user: User) -> list:
    """DSV-5: the published lists that cite this record (each with ``can_view``)."""
    return lists_port.lists_containing([record.pk], user).get(record.pk, [])


# --- search -----------------------------------------------------------------------------------

@dataclass
class SearchPage:
    records: list[Record]
    count: int
    facets: dict[str, list[dict]]
    page: int
    page_size: int
    scope: str
    courses: list = field(default_factory=list)  # courses whose code was found in the query
    # issue 19: beyond CATALOG_FACETS_EXACT_LIMIT matches the count and/or facets are estimates
    # ("about 12,000"); ``has_more`` then tells whether a next page exists
    count_estimated: bool = False
    facets_estimated: bool = False
    has_more: bool | None = None

    @property
    def estimated(self) -> bool:
        return self.count_estimated or self.facets_estimated

    @property
    def pages(self) -> int:
        return max(1, -(-self.count // self.page_size))

    @property
    def has_next(self) -> bool:
        return self.has_more if self.has_more is not None else self.page < self.pages


def _year_range(year: str) -> tuple[int | None, int | None]:
    year = (year or "").strip()
    if not year:
        return None, None
    m = re.fullmatch(r"(\d{1,4})?\s*-\s*(\d{1,4})?", year)
    if m:
        return (int(m.group(1)) if m.group(1) else None, int(m.group(2)) if m.group(2) else None)
    if year.isdigit() and len(year) <= 4:  # a year of 20 digits is no year (and no SQL integer)
        return int(year), int(year)
    raise RuleViolation("DSV-1", "year must be a year (2015) or a range (2010-2015)", field="year")


def _split_course_codes(user: User, text: str) -> tuple[str, list]:
    """Words of the query that are the code of a course of the user's institution: the search
    then looks among the records that course's published lists cite (DSV-5)."""
    if not text:
        return text, []
    words, courses = [], []
    for word in text.split():
        if re.search(r"\d", word) and re.search(r"[A-Za-z]", word) and len(word) <= 60:
            found = list(courses_matching(user, word, exact_code=True))
            if found:
                courses.extend(found)
                continue
        words.append(word)
    return " ".join(words), courses


def search_records(user: User, q: str = "", *, scope: str = SCOPE_MINE, types: list[str] | None = None, year: str = "",
                   libraries: list[str] | None = None, availability: str = "", course: str = "", page: int = 1,
                   page_size: int = 20, sort: str = "relevance", facets: bool = True,
                   offset: int | None = None) -> SearchPage:
    if (max(1, page) - 1) * max(1, page_size) > MAX_OFFSET or (offset or 0) > MAX_OFFSET:
        # a page past the last one a search can reach (20 digits overflowed the SQL OFFSET: a 500)
        raise RuleViolation("DSV-1", f"page: at most the first {MAX_OFFSET} results can be paged through", field="page")
    institution_ids = scope_institution_ids(user, scope)
    year_from, year_to = _year_range(year)
    library_ids = []
    if libraries:
        library_ids = list(Library.objects.filter(code__in=libraries, institution_id__in=institution_ids).values_list("pk", flat=True))
        if not library_ids:
            raise RuleViolation("DSV-2", "none of these libraries is in the chosen scope", field="library")
    if availability and availability not in AVAILABILITY_LABELS:
        raise RuleViolation("DSV-1", "availability must be available, online or unavailable", field="availability")
    query = parse_query(q)
    restrict = None
    code_courses = []
    if query.terms:
        rest, code_courses = _split_course_codes(user, q)
        if code_courses:
            restrict = lists_port.record_ids_for_courses([c.pk for c in code_courses])
            query = parse_query(rest) if rest else ParsedQuery()
    if course.strip():
        course_ids = [c.pk for c in courses_matching(user, course)]
        ids = lists_port.record_ids_for_courses(course_ids)
        restrict = ids if restrict is None else [i for i in restrict if i in set(ids)]
    result = search(SearchParams(query=query, institution_ids=institution_ids, types=list(types or []),
                                 year_from=year_from, year_to=year_to, library_ids=library_ids, availability=availability,
                                 restrict_ids=restrict, page=page, page_size=page_size, offset=offset,
                                 sort=sort if sort in SORTS else "relevance", facets=facets))
    records = records_by_ids(user, result.ids)
    return SearchPage(records=records, count=result.count, facets=_label_facets(result.facets), page=max(1, page),
                      page_size=max(1, min(page_size, 200)), scope=scope or SCOPE_MINE, courses=code_courses,
                      count_estimated=result.count_estimated, facets_estimated=result.facets_estimated,
                      has_more=result.has_more)


def _label_facets(raw: dict[str, list[tuple]]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    if "type" in raw:
        out["type"] = [{"value": v, "label": str(TYPE_LABELS.get(v, v)), "count": n} for v, n in raw["type"]]
    if "year" in raw:
        out["year"] = [{"value": str(v), "label": str(v), "count": n} for v, n in raw["year"]]
    if "library" in raw:
        libs = {lib.pk: lib for lib in Library.objects.filter(pk__in=[v for v, _n in raw["library"]])}
        out["library"] = [{"value": libs[v].code, "label": libs[v].name, "count": n} for v, n in raw["library"] if v in libs]
    if "availability" in raw:
        out["availability"] = [{"value": v, "label": str(AVAILABILITY_LABELS[v]), "count": n} for v, n in raw["availability"]]
    return out


# --- course reserves (DSV-5) ---------------------------------------------------------------

def courses_matching(user: User, text: str, *, exact_code: bool = False):
    """Courses of the user's institution whose code (exactly, case-insensitive, when
    ``exact_code``) or name/code/instructor (every word) match ``text``."""
    text = (text or "").strip()
    if not text:
        return Course.objects.none()
    if exact_code:
        return course_selectors.courses_visible_to(user).filter(code__iexact=text)
    return course_selectors.search_courses(user, text)


def course_reserves(user: User, text: str) -> list[tuple]:
    """``[(course, [Record, ...]), ...]`` for courses matching ``text`` by name, code or instructor."""
    found = lists_port.course_reserves(user, text)
    all_ids = list(dict.fromkeys(i for _c, ids in found for i in ids))
    visible = set(visible_records(user).filter(pk__in=all_ids).values_list("pk", flat=True))
    records = {r.pk: r for r in records_by_ids(user, [i for i in all_ids if i in visible])}
    return [(course, [records[i] for i in ids if i in records]) for course, ids in found]


# --- My collection (DSV-3) ------------------------------------------------------------------

def collection_of(user: User) -> QuerySet[CollectionEntry]:
    return CollectionEntry.objects.filter(user=user).select_related("record", "record__institution")


def collection_record_ids(user: User) -> set[int]:
    if not user.is_authenticated:
        return set()
    return set(CollectionEntry.objects.filter(user=user, record__isnull=False).values_list("record_id", flat=True))
