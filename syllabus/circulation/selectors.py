"""Reads of circulation shared by pages and API, with their prefetching.  Reads first expire
what is due (one indexed query, a write only when something is overdue), so no page shows a
hold shelf whose pickup period has passed."""
from __future__ import annotations

from django.db.models import Count, F, Q, QuerySet, Window
from django.db.models.functions import RowNumber

from syllabus.org.permissions import is_superuser
from syllabus.core import clock
from syllabus.core.errors import NotFound, RuleViolation

from . import permissions, services
from .models import AccessibleRequest, Hold, PersonalCopy
from .workflow import AccessibleStatus, HoldStatus, PersonalCopyStatus

MAX_PAGE = 200


def settle() -> None:
    now = clock.now()
    if Hold.objects.filter(Q(status=HoldStatus.ON_HOLD_SHELF, pickup_by__lt=now)
                           | Q(status=HoldStatus.WAITING, not_needed_after__lt=clock.today())).exists():
        services.expire_due_holds(now)


def _related(qs: QuerySet[Hold]) -> QuerySet[Hold]:
    return qs.select_related("patron", "record", "pickup_library", "item", "citation__resource_list")


def attach_places(holds: list[Hold]) -> list[Hold]:
    """``place`` on each hold: 1..n among the waiting holds of its title at its pickup library
    (earliest first), 0 when not waiting — one query for the page."""
    keys = {h.record_id for h in holds if h.status == HoldStatus.WAITING}
    places = {}
    if keys:
        places = dict(Hold.objects.filter(record_id__in=keys, status=HoldStatus.WAITING)
                      .annotate(rank=Window(RowNumber(), partition_by=[F("record_id"), F("pickup_library_id")],
                                             order_by=[F("placed_at").asc(), F("id").asc()]))
                      .values_list("id", "rank"))
    for h in holds:
        h.place = places.get(h.pk, 0)
    return holds


def hold_for(user, pk: int) -> Hold:
    """A hold the user may see: their own, or one of a library whose hold shelf they work."""
    settle()
    hold = _related(Hold.objects.filter(pk=pk)).first()
    if hold is None or (hold.patron_id != user.pk and not permissions.can_manage_holds(user, hold.pickup_library)):
        raise NotFound("SRV-5", "no such hold")
    attach_places([hold])
    return hold


def my_holds(user) -> dict:
    settle()
    base = _related(Hold.objects.filter(patron=user))
    current = attach_places(list(base.filter(status__in=[HoldStatus.WAITING, HoldStatus.ON_HOLD_SHELF]).order_by("placed_at", "id")))
    past = list(base.exclude(status__in=[HoldStatus.WAITING, HoldStatus.ON_HOLD_SHELF]).order_by("-closed_at", "-id")[:20])
    return {"current": current, "past": past}


def hold_queue_qs(user, *, library: str = "", status: str = "") -> QuerySet[Hold]:
    """Staff: the holds of the libraries whose hold shelf they work, by title, library and age."""
    settle()
    if status and status not in HoldStatus.values:
        raise RuleViolation("SRV-5", f"unknown status {status!r}; use one of {', '.join(HoldStatus.values)}", field="status")
    qs = Hold.objects.all()
    allowed = permissions.hold_library_ids(user)
    if allowed is not None:
        qs = qs.filter(pickup_library_id__in=allowed)
    if library:
        qs = qs.filter(pickup_library__code=library)
    qs = qs.filter(status=status) if status else qs.filter(status__in=[HoldStatus.WAITING, HoldStatus.ON_HOLD_SHELF])
    return _related(qs).order_by("record__title", "record_id", "pickup_library__code", "placed_at", "id")


def hold_queue(user, *, library: str = "", status: str = "", limit: int = 50, offset: int = 0) -> tuple[list[Hold], int]:
    """Staff: one page of :func:`hold_queue_qs`, with each hold's place in its queue."""
    if not 1 <= limit <= MAX_PAGE:
        raise RuleViolation("SRV-5", f"limit must be 1..{MAX_PAGE}", field="limit")
    if offset < 0 or offset > 1_000_000:
        raise RuleViolation("SRV-5", "offset must be 0..1000000", field="offset")
    qs = hold_queue_qs(user, library=library, status=status)
    total = qs.count()
    rows = list(qs[offset:offset + limit])
    return attach_places(rows), total




def open_hold_count(user) -> int:
    """Navigation badge: waiting holds at the libraries the person works — what they must act on."""
    allowed = permissions.hold_library_ids(user)
    qs = Hold.objects.filter(status=HoldStatus.WAITING)
    if allowed is not None:
        qs = qs.filter(pickup_library_id__in=allowed)
    return qs.count()


def accessible_requests(user, *, status: str = "open") -> QuerySet[AccessibleRequest]:
    qs = AccessibleRequest.objects.select_related("requester", "citation__resource_list")
    if not is_superuser(user):
        qs = qs.filter(citation__resource_list__institution_id=user.institution_id)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("created_at", "id")


def accessible_counts(user) -> dict[str, int]:
    """How many accessible file requests each tab holds (SRV-4): one aggregate query."""
    qs = accessible_requests(user, status="").order_by()
    return qs.aggregate(**{s: Count("id", filter=Q(status=s)) for s in AccessibleStatus.values})


def accessible_request_for_staff(user, pk: int) -> AccessibleRequest:
    req = AccessibleRequest.objects.select_related("requester", "citation__resource_list__institution").filter(pk=pk).first()
    if req is None or not permissions.is_reserves_staff(user, req.citation.resource_list.institution):
        raise NotFound("SRV-4", "no such request")
    return req


def my_accessible_requests(user) -> list[AccessibleRequest]:
    return list(AccessibleRequest.objects.filter(requester=user).select_related("citation__resource_list").order_by("-created_at")[:50])


def personal_copies(user, *, status: str = "") -> QuerySet[PersonalCopy]:
    qs = PersonalCopy.objects.select_related("citation__resource_list", "owner", "library")
    if not is_superuser(user):
        qs = qs.filter(citation__resource_list__institution_id=user.institution_id)
    if status:
        qs = qs.filter(status=status)
    else:
        qs = qs.filter(status__in=[PersonalCopyStatus.EXPECTED, PersonalCopyStatus.ON_RESERVE])
    return qs.order_by("status", "return_due", "id")


def reserves_work_count(user) -> int:
    """Navigation badge: open accessible requests and expected personal copies."""
    inst = user.institution
    if inst is None or not permissions.is_reserves_staff(user, inst):
        return 0
    return (AccessibleRequest.objects.filter(citation__resource_list__institution=inst, status="open").count()
            + PersonalCopy.objects.filter(citation__resource_list__institution=inst, status=PersonalCopyStatus.EXPECTED).count())
