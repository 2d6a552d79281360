"""Access to the delivered or cleared file (DIG-4, DIG-9 link)."""
from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q

from syllabus.core import audit, clock
from syllabus.core.errors import NotFound, PermissionDenied
from syllabus.org import config
from syllabus.org.models import User, hash_token

from syllabus.fulfillment.permissions import (
    is_fulfillment_staff,
)
from syllabus.fulfillment.models import (
    DigitizationRequest, Kind, Status, TaskStatus, Target,
)



# === access to the delivered / cleared file (DIG-4, DIG-9 link) ==========================

@dataclass
class Access:
    request: DigitizationRequest
    warning: str = ""
    ends_on: dt.date | None = None


def can_view(user: User, req: DigitizationRequest) -> bool:
    if not user.is_authenticated:
        return False
    if user.pk in (req.requester_id, req.created_by_id):
        return True
    if _course_role(user, req) == "instructor":
        return True
    return is_fulfillment_staff(user, req.institution)


def _course_role(user: User, req: DigitizationRequest) -> str:
    """``instructor`` / ``student`` / ``""``: the user's relation to the request's course.  For a
    request from a citation, the list decides (its owners and collaborators; students who see
    the published list); otherwise the request's course (its instructors and enrolled students)."""
    if req.citation_id is not None:
        from syllabus.fulfillment.citations import list_of_citation

        lst = list_of_citation(req.citation_id)
        if lst is not None:
            from syllabus.lists.permissions import access_for

            acc = access_for(user, lst)
            if acc.owner or acc.collaborator:
                return "instructor"
            return "student" if acc.student else ""
    if req.course_id and req.course.instructors.filter(pk=user.pk).exists():
        return "instructor"
    if req.course_id and req.course.enrollments.filter(user=user).exists():
        return "student"
    return ""


def _window_check(req: DigitizationRequest, today: dt.date) -> Access:
    if req.start_date and today < req.start_date:
        raise PermissionDenied("DIG-4", f"this file is available from {req.start_date.isoformat()}")
    if req.end_date and today > req.end_date:
        raise PermissionDenied("DIG-4", f"this file was available until {req.end_date.isoformat()}")
    access = Access(req, ends_on=req.end_date)
    if req.end_date:
        days = config.get("copyright_access_warning_days", institution=req.institution)
        left = (req.end_date - today).days
        if days and left < days:
            access.warning = (f"Access to this file ends on {req.end_date.isoformat()} "
                              f"({left} day{'s' if left != 1 else ''} left)")
    return access


def file_access(user: User, req: DigitizationRequest, *, via_link: str | None = None) -> Access:
    """May ``user`` open the request's file now?  Counts link accesses.  Raises DIG-4/DIG-9 refusals.

    Students of the course see the file only inside the approved date range, whatever the
    list's visibility says; the last N days (``copyright_access_warning_days``) carry a warning."""
    if req.representation is None or not req.representation.file:
        raise NotFound("DIG-10", "this request has no file")
    today = clock.today()
    staff = is_fulfillment_staff(user, req.institution)
    if staff and via_link is None:
        return Access(req)
    if via_link is not None or (req.target == Target.LINK and user.pk == req.requester_id):
        if via_link is None or req.access_token_hash is None or not hmac.compare_digest(
                hash_token(via_link), req.access_token_hash):   # SEC-KEY: only the link token's hash is stored
            raise PermissionDenied("DIG-9", "this file is delivered as a link: open it from the link in your e-mail")
        if user.pk != req.requester_id:
            raise NotFound()
        if req.status not in (Status.DELIVERED, Status.COMPLETED):
            raise PermissionDenied("DIG-9", "this link is no longer valid")
        with transaction.atomic():
            locked = DigitizationRequest.objects.select_for_update().get(pk=req.pk)
            if locked.max_accesses is not None and locked.access_count >= locked.max_accesses:
                raise PermissionDenied("DIG-9", f"this link has expired: it allowed {locked.max_accesses} accesses")
            DigitizationRequest.objects.filter(pk=req.pk).update(access_count=locked.access_count + 1)
            audit.event(user, req, "link_opened", note=f"access {locked.access_count + 1}")
        req.access_count = locked.access_count + 1
        return Access(req)
    if not req.representation.active:
        raise PermissionDenied("DIG-9", "this file is not active yet: the request waits for approval")
    if user.pk == req.requester_id or user.pk == req.created_by_id:
        if req.status not in (Status.DELIVERED, Status.COMPLETED) and req.kind == Kind.DIGITIZATION:
            raise PermissionDenied("DIG-10", "the file has not been delivered yet")
        return Access(req)
    relation = _course_role(user, req)
    if relation == "instructor":
        return Access(req)
    if relation == "student":
        if req.status not in (Status.DELIVERED, Status.COMPLETED):
            raise PermissionDenied("DIG-4", "this file is not available to students yet")
        if req.copyright not in (TaskStatus.APPROVED, TaskStatus.NOT_REQUIRED):
            raise PermissionDenied("DIG-4", "this file's copyright is not cleared")
        return _window_check(req, today)
    raise NotFound()


def clearance_for_citation(citation_id: int) -> DigitizationRequest | None:
    """The approved copyright clearance that governs a citation's file (DIG-4), if any."""
    return clearances_for_citations([citation_id]).get(citation_id)


def clearances_for_citations(citation_ids) -> dict[int, DigitizationRequest]:
    """For each citation, the approved copyright clearance that governs its file (DIG-4): the
    latest closed approved request, delivered or completed.  One query for many citations."""
    out: dict[int, DigitizationRequest] = {}
    rows = (DigitizationRequest.objects.select_related("institution")
            .filter(citation_id__in=list(citation_ids), copyright=TaskStatus.APPROVED)
            .filter(Q(status=Status.COMPLETED) | Q(status=Status.DELIVERED)).order_by("-closed_at", "-id"))
    for req in rows:
        out.setdefault(req.citation_id, req)
    return out
