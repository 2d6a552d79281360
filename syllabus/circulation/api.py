"""API v1 of circulation and reader services: holds (SRV-5), accessible file requests (SRV-4),
reading progress.  A refused hold answers 409 ``{"rule": "SRV-5", "detail": ...}``."""
from __future__ import annotations

import datetime as dt

from django.urls import reverse
from ninja import Field, Router, Schema, Status

from syllabus.core.pagination import Page, PageQuery, paginate
from syllabus.api.fields import Code, Id, Term, column
from syllabus.api.schemas import ANSWERED_ERRORS
from syllabus.lists import selectors as list_selectors

from . import permissions, selectors, services
from .models import AccessibleRequest, Hold

router = Router(tags=["circulation"])
ERRORS = ANSWERED_ERRORS


class HoldIn(Schema):
    pickup_library: Code
    not_needed_after: dt.date | None = None


class HoldOut(Schema):
    id: int
    status: str
    place_in_queue: int
    title: str
    record_id: int
    citation_id: int | None
    patron: str | None = None
    pickup_library: str
    not_needed_after: dt.date | None
    placed_at: dt.datetime
    item_barcode: str | None
    pickup_by: dt.datetime | None
    closed_at: dt.datetime | None
    reason: str


class HoldCancelIn(Schema):
    reason: str = Field("", max_length=column(Hold, "reason"))


class AccessibleIn(Schema):
    format: str = Field(..., max_length=column(AccessibleRequest, "format"))
    comment: str = Field("", max_length=column(AccessibleRequest, "comment"))


class AccessibleOut(Schema):
    id: int
    citation_id: int
    format: str
    comment: str
    status: str
    created_at: dt.datetime
    file_url: str | None


class DoneOut(Schema):
    citation_id: int
    done: bool


def hold_out(h: Hold, *, staff: bool = False) -> dict:
    return {"id": h.pk, "status": h.status, "place_in_queue": getattr(h, "place", 0), "title": h.record.title,
            "record_id": h.record_id, "citation_id": h.citation_id, "patron": h.patron.username if staff else None,
            "pickup_library": h.pickup_library.code, "not_needed_after": h.not_needed_after, "placed_at": h.placed_at,
            "item_barcode": h.item.barcode if h.item is not None else None, "pickup_by": h.pickup_by, "closed_at": h.closed_at,
            "reason": h.reason}


def accessible_out(r: AccessibleRequest) -> dict:
    return {"id": r.pk, "citation_id": r.citation_id, "format": r.format, "comment": r.comment, "status": r.status,
            "created_at": r.created_at, "file_url": reverse("circulation:accessible-file", args=[r.pk]) if r.file else None}


@router.post("/citations/{citation_id}/holds", response={201: HoldOut, **ERRORS},
             summary="Place a hold on the item's physical title (SRV-5); pickup_library is a library code")
def place_hold(request, citation_id: Id, payload: HoldIn):
    citation, _acc = list_selectors.citation_for(request.user, citation_id)
    hold = services.place_hold(request.user, citation, pickup_library=payload.pickup_library,
                               not_needed_after=payload.not_needed_after)
    return Status(201, hold_out(selectors.hold_for(request.user, hold.pk)))


@router.get("/me/holds", response={200: Page(HoldOut), **ERRORS}, summary="My open holds, then my last 20 closed ones (SRV-5)")
def my_holds(request, page: PageQuery):
    mine = selectors.my_holds(request.user)
    return paginate(request, mine["current"] + mine["past"], page, hold_out)


@router.get("/holds", response={200: Page(HoldOut), **ERRORS},
            summary="Staff: holds of the libraries whose hold shelf you work (SRV-5); status waiting|on_hold_shelf|"
                    "picked_up|expired|cancelled (default: the open ones)")
def hold_queue(request, page: PageQuery, library: Code = "", status: Term = ""):
    if not permissions.is_hold_staff(request.user):
        from syllabus.core.errors import PermissionDenied

        raise PermissionDenied("SRV-5", "only library staff see the hold queue")
    rows = selectors.hold_queue_qs(request.user, library=library, status=status)
    return paginate(request, rows, page, lambda h: hold_out(h, staff=True), prepare=selectors.attach_places)


@router.get("/holds/{hold_id}", response={200: HoldOut, **ERRORS}, summary="One hold: yours, or one of your library's")
def get_hold(request, hold_id: Id):
    hold = selectors.hold_for(request.user, hold_id)
    return hold_out(hold, staff=permissions.can_manage_holds(request.user, hold.pickup_library))


@router.post("/holds/{hold_id}/cancel", response={200: HoldOut, **ERRORS},
             summary="Cancel a hold: the patron their own, staff any of their library's (the patron is told)")
def cancel_hold(request, hold_id: Id, payload: HoldCancelIn | None = None):
    hold = selectors.hold_for(request.user, hold_id)
    services.cancel_hold(request.user, hold, reason=(payload.reason if payload else ""))
    return hold_out(selectors.hold_for(request.user, hold_id), staff=hold.patron_id != request.user.pk)


@router.post("/holds/{hold_id}/fulfil", response={200: HoldOut, **ERRORS},
             summary="Staff: put a copy on the hold shelf; the patron gets a letter with the pickup deadline (SRV-5)")
def fulfil_hold(request, hold_id: Id):
    hold = selectors.hold_for(request.user, hold_id)
    services.fulfil_hold(request.user, hold)
    return hold_out(selectors.hold_for(request.user, hold_id), staff=True)


@router.post("/holds/{hold_id}/pick-up", response={200: HoldOut, **ERRORS}, summary="Staff: the patron collected the copy")
def pick_up_hold(request, hold_id: Id):
    hold = selectors.hold_for(request.user, hold_id)
    services.pick_up_hold(request.user, hold)
    return hold_out(selectors.hold_for(request.user, hold_id), staff=True)


@router.post("/holds/{hold_id}/expire", response={200: HoldOut, **ERRORS}, summary="Staff: expire a hold (the patron is told)")
def expire_hold(request, hold_id: Id):
    hold = selectors.hold_for(request.user, hold_id)
    services.staff_expire_hold(request.user, hold)
    return hold_out(selectors.hold_for(request.user, hold_id), staff=True)


@router.post("/citations/{citation_id}/accessible-requests", response={201: AccessibleOut, **ERRORS},
             summary="Ask for an accessible version of a list item (SRV-4): the institution's addresses get an e-mail")
def accessible_request(request, citation_id: Id, payload: AccessibleIn):
    citation, _acc = list_selectors.citation_for(request.user, citation_id)
    req = services.request_accessible_file(request.user, citation, format=payload.format, comment=payload.comment)
    return Status(201, accessible_out(req))


@router.get("/me/accessible-requests", response={200: Page(AccessibleOut), **ERRORS}, summary="My accessible file requests (SRV-4)")
def my_accessible_requests(request, page: PageQuery):
    return paginate(request, selectors.my_accessible_requests(request.user), page, accessible_out)


@router.put("/citations/{citation_id}/done", response={200: DoneOut, **ERRORS}, summary="Mark a list item done (reading progress)")
def mark_done(request, citation_id: Id):
    citation, _acc = list_selectors.citation_for(request.user, citation_id)
    services.mark_done(request.user, citation)
    return {"citation_id": citation_id, "done": True}


@router.delete("/citations/{citation_id}/done", response={200: DoneOut, **ERRORS}, summary="Undo a done mark")
def unmark_done(request, citation_id: Id):
    citation, _acc = list_selectors.citation_for(request.user, citation_id)
    services.unmark_done(request.user, citation)
    return {"citation_id": citation_id, "done": False}
