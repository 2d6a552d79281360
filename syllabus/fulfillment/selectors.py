"""Reads of digitization requests and configuration shared by pages and the API."""
from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from syllabus.org.permissions import is_superuser
from syllabus.core.errors import NotFound
from syllabus.org.models import User
from syllabus.org.roles import Role, Scope

from . import services
from .models import OPEN_STATUSES, DigitizationRequest, Status, TaskStatus

BASE = ("institution", "requester", "requester__user_group", "created_by", "record", "item", "library", "department",
        "desk__library", "course", "representation")


def requests_qs() -> QuerySet[DigitizationRequest]:
    return DigitizationRequest.objects.select_related(*BASE)


def request_for(user: User, pk: int) -> DigitizationRequest:
    """The request if ``user`` may see it; else NotFound (the API's and pages' 404)."""
    req = requests_qs().filter(pk=pk).first()
    if req is None or not services.can_view(user, req):
        raise NotFound("NOT-FOUND", "no such digitization request")
    return req


def my_requests(user: User) -> QuerySet[DigitizationRequest]:
    return requests_qs().filter(Q(requester=user) | Q(created_by=user) | Q(course__instructors=user)).distinct()


def _operated_departments(user: User) -> tuple[bool, set[str], set[int]]:
    """(everything in the institution?, department codes, desk library ids) the user works for."""
    everywhere, codes, libs = False, set(), set()
    for ra in user.role_assignments_cached():
        if ra.role not in (Role.WORK_ORDER_OPERATOR, Role.FULFILLMENT_SERVICES_MANAGER, Role.REQUESTS_OPERATOR,
                           Role.FULFILLMENT_ADMINISTRATOR, Role.GENERAL_SYSTEM_ADMINISTRATOR):
            continue
        if ra.scope == Scope.INSTITUTION:
            everywhere = True
        elif ra.scope == Scope.DEPARTMENT:
            codes.add(ra.department)
        elif ra.scope == Scope.LIBRARY:
            libs.add(ra.library_id)
    return everywhere, codes, libs


def _queue_scope(user: User, qs: QuerySet[DigitizationRequest]) -> QuerySet[DigitizationRequest]:
    """The requests of the person's institution that their departments, libraries or desks handle."""
    qs = qs.filter(institution_id=user.institution_id)
    everywhere, codes, libs = _operated_departments(user)
    if not everywhere and not is_superuser(user):
        qs = qs.filter(Q(department__code__in=codes) | Q(library_id__in=libs) | Q(desk__library_id__in=libs))
    return qs


def _queue_tab(tab: str) -> Q:
    """Which requests a tab of the work queue holds (DIG-10); an unknown tab: all open ones."""
    return {
        "pick": Q(status=Status.PICK_FROM_SHELF),
        "approval": Q(approval=TaskStatus.PENDING, status__in=OPEN_STATUSES),
        "copyright": Q(copyright=TaskStatus.PENDING, status__in=OPEN_STATUSES),
        "digitization": Q(status__in=(Status.IN_DIGITIZATION, Status.FILE_ATTACHED)),
        "delivered": Q(status=Status.DELIVERED),
        "closed": ~Q(status__in=OPEN_STATUSES + (Status.DELIVERED,)),
    }.get(tab, Q(status__in=OPEN_STATUSES))


#: the work queue's tabs (DIG-10), in the order the page shows them
QUEUE_TABS = ("open", "pick", "approval", "copyright", "digitization", "delivered", "closed")


def work_queue(user: User, tab: str = "open") -> QuerySet[DigitizationRequest]:
    """The back office's request lists (DIG-10): pick from shelf, approval and copyright tasks..."""
    qs = _queue_scope(user, requests_qs()).filter(_queue_tab(tab))
    return qs.order_by("due_at", "created_at", "id") if tab != "closed" else qs.order_by("-closed_at", "-id")


def work_queue_counts(user: User) -> dict[str, int]:
    """How many requests each tab of the work queue holds (DIG-10): one aggregate query."""
    qs = _queue_scope(user, DigitizationRequest.objects.all())
    return qs.aggregate(**{tab: Count("id", filter=_queue_tab(tab)) for tab in QUEUE_TABS})


def requests_for_citations(citation_ids) -> dict[int, list[DigitizationRequest]]:
    """The instructor's view under each item: requests by citation id, newest first (one query)."""
    out: dict[int, list[DigitizationRequest]] = {}
    for req in requests_qs().filter(citation_id__in=list(citation_ids)).order_by("-created_at", "-id"):
        out.setdefault(req.citation_id, []).append(req)
    return out
