"""Reads of analytics shared by pages and API: what is recorded about a person, the
instructor's lists with their totals, the filter choices."""
from __future__ import annotations

from django.db.models import Q, Sum

from syllabus.courses.models import Course
from syllabus.lists.models import ResourceList
from syllabus.org.models import Library

from .models import DailyUsage, Kind, ListReader, UsageEvent


def recorded_about(user, limit: int = 200) -> dict:
    """ANL-1: every raw event kept about ``user`` (newest first) and the lists they are counted as
    having opened; the daily counts hold no person."""
    events = (UsageEvent.objects.filter(user=user).select_related("resource_list", "citation", "course")
              .order_by("-at", "-id"))
    return {"events": list(events[:limit]), "count": events.count(),
            "lists": list(ListReader.objects.filter(user=user).select_related("resource_list", "course")
                          .order_by("-first_day"))}


def my_lists(user) -> list[ResourceList]:
    """The lists the user owns or works on, with their rolled-up list views and item actions."""
    lists = list(ResourceList.objects.filter(Q(owners=user) | Q(collaborators=user)).distinct().order_by("title")[:200])
    totals = {row["resource_list_id"]: row for row in DailyUsage.objects.filter(resource_list__in=[x.pk for x in lists])
              .values("resource_list_id").annotate(views=Sum("events", filter=Q(kind=Kind.LIST_VIEW)),
                                                  actions=Sum("events", filter=~Q(kind=Kind.LIST_VIEW))).order_by()}
    for lst in lists:
        row: dict = dict(totals.get(lst.pk) or {})
        setattr(lst, "usage_views", row.get("views") or 0)  # noqa: B010
        setattr(lst, "usage_actions", row.get("actions") or 0)  # noqa: B010
    return lists


def filter_choices(institution) -> dict:
    courses = Course.objects.filter(institution=institution)
    return {
        "terms": sorted(t for t in courses.values_list("term", flat=True).distinct() if t),
        "departments": sorted(d for d in courses.values_list("department", flat=True).distinct() if d),
        "courses": sorted(c for c in courses.values_list("code", flat=True).distinct() if c)[:500],
        "libraries": list(Library.objects.filter(institution=institution).order_by("name").values_list("code", "name")),
    }


