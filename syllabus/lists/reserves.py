"""Course reserves in discovery (DSV-5): which catalog records the *published* lists of a
course cite, and which published lists cite a record.  The catalog's search, record page and
course reserves page ask through its lists port (:mod:`syllabus.catalog.lists_port`).
"""
from __future__ import annotations

from django.urls import reverse

from syllabus.catalog.selectors import courses_matching

from .models import Citation, ResourceList
from .permissions import is_librarian_for
from .selectors import lists_for_user

PUBLISHED = "published"


def _course_lists(course_ids) -> list[tuple[int, int]]:
    """(list id, course id) of the published lists linked to these courses."""
    through = ResourceList.courses.through
    return list(through.objects.filter(course_id__in=list(course_ids), resourcelist__visibility=PUBLISHED)
                .values_list("resourcelist_id", "course_id"))


def record_ids_for_courses(course_ids) -> list[int]:
    """Records cited by the published lists of these courses."""
    list_ids = {lid for lid, _cid in _course_lists(course_ids)}
    return list(Citation.objects.filter(resource_list_id__in=list_ids, record__isnull=False)
                .values_list("record_id", flat=True).distinct())


def lists_containing(record_ids, user=None) -> dict[int, list]:
    """``{record_id: [ResourceList, ...]}`` — the published lists that cite each record and that
    ``user`` may open (LST-3, LST-8: a student sees the published lists of their own courses
    only; the others are not shown), with their courses prefetched."""
    record_ids = list(record_ids)
    pairs = list(Citation.objects.filter(record_id__in=record_ids, resource_list__visibility=PUBLISHED)
                 .values_list("record_id", "resource_list_id").distinct())
    viewable = _viewable_ids(user, {p[1] for p in pairs})
    lists = {lst.pk: lst for lst in ResourceList.objects.filter(pk__in=viewable)
             .select_related("institution").prefetch_related("courses")}
    out: dict[int, list] = {}
    for record_id, list_id in pairs:
        if list_id not in lists:
            continue
        lst = lists[list_id]
        lst.can_view = True  # type: ignore[attr-defined]  # read by the record page
        lst.view_url = _view_url(lst)  # type: ignore[attr-defined]
        out.setdefault(record_id, []).append(lst)
    for value in out.values():
        value.sort(key=lambda lst: lst.title.lower())
    return out


def _view_url(lst) -> str:
    return reverse("lists:view", args=[lst.pk])


def _viewable_ids(user, list_ids) -> set[int]:
    """Which of these published lists ``user`` may open, in two queries whatever their number:
    the lists app's own selector (owned, collaborating, published lists of the user's courses)
    and its librarian rule (every list of the institutions where the user is a librarian)."""
    list_ids = set(list_ids)
    if user is None or not getattr(user, "is_authenticated", False) or not list_ids:
        return set()
    out = set(lists_for_user(user).filter(pk__in=list_ids).values_list("pk", flat=True))
    rest = ResourceList.objects.filter(pk__in=list_ids - out).values_list("pk", "institution_id")
    out.update(pk for pk, institution_id in rest if is_librarian_for(user, institution_id))
    return out


def course_reserves(user, text: str):
    """DSV-5: the courses matching ``text`` (name, code, instructor) that have published lists,
    each with the record ids their lists cite: ``[(course, [record_id, ...]), ...]``."""
    courses = list(courses_matching(user, text)[:200])
    links = _course_lists([c.pk for c in courses])
    if not links:
        return []
    rows = (Citation.objects.filter(resource_list_id__in={lid for lid, _ in links}, record__isnull=False)
            .order_by("resource_list_id", "section__position", "position").values_list("resource_list_id", "record_id"))
    by_list: dict[int, list[int]] = {}
    for list_id, record_id in rows:
        by_list.setdefault(list_id, []).append(record_id)
    by_course: dict[int, list[int]] = {}
    for list_id, course_id in links:
        ids = by_course.setdefault(course_id, [])
        ids.extend(r for r in by_list.get(list_id, []) if r not in ids)
    return [(c, by_course[c.pk]) for c in courses if c.pk in by_course][:50]
