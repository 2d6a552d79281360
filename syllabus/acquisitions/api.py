"""API v1 of acquisitions (SRV-2, SRV-3): acquisition tasks on list items, purchase requests,
the CLA check and new editions.  A refused move answers 409 ``{"rule": "SRV-3", ...}``."""
from __future__ import annotations

import datetime as dt
from typing import Annotated

from ninja import Field, Router, Schema, Status

from syllabus.api.fields import ConcurrentUsers, Id, JsonObject, Term, Username
from syllabus.api.schemas import ANSWERED_ERRORS
from syllabus.api.steps import Resource
from syllabus.core.errors import NotFound
from syllabus.core.limits import column
from syllabus.core.pagination import Page, PageQuery, paginate
from syllabus.org.ratelimit import Throttle
from syllabus.lists import selectors as list_selectors
from syllabus.lists.permissions import ensure_librarian

from . import selectors, services
from .models import AcquisitionTask, PurchaseRequest
from .permissions import ensure_task

router = Router(tags=["acquisitions"])
ERRORS = ANSWERED_ERRORS
Amount = Annotated[float, Field(ge=0, le=9_999_999.99, description="at most two decimals")]


class AcquisitionTaskIn(Schema):
    kind: Term = Field(..., description="order | license | short_loan")
    assignee: Username | None = Field(None, description="username of a librarian")
    vendor: str = Field("", max_length=200)
    cost_amount: Amount | None = None
    cost_currency: str = Field("", max_length=3, description="ISO 4217, e.g. EUR")
    expected_date: dt.date | None = None
    notes: str = Field("", max_length=5000)
    library: str | None = Field(None, max_length=60, description="code of the library that receives the copy")
    location: str = Field("Course reserve", max_length=120)
    concurrent_users: ConcurrentUsers | None = None
    url: str = Field("", max_length=1000, description="licence: the e-book's link")


class AcquisitionTaskChange(Schema):
    assignee: Username | None = None
    vendor: str | None = Field(None, max_length=200)
    cost_amount: Amount | None = None
    cost_currency: str | None = Field(None, max_length=3)
    expected_date: dt.date | None = None
    notes: str | None = Field(None, max_length=5000)
    location: str | None = Field(None, max_length=120)
    concurrent_users: ConcurrentUsers | None = None
    url: str | None = Field(None, max_length=1000)


class AcquisitionTaskOut(Schema):
    id: int
    citation_id: int | None = Field(..., description="the list item; null for the order of a Find it suggestion (SRV-3)")
    list_id: int | None
    record_id: int | None = Field(..., description="the catalog record acquired (set when a purchase request is bought)")
    purchase_request_id: int | None
    title: str
    kind: str
    status: str
    assignee: str | None
    vendor: str
    cost_amount: str | None
    cost_currency: str
    expected_date: dt.date | None
    notes: str
    library: str | None
    location: str
    concurrent_users: int | None
    url: str
    enrolment: int | None
    licence_warning: bool


def task_out(t: AcquisitionTask) -> dict:
    return {"id": t.pk, "citation_id": t.citation_id, "list_id": t.citation.resource_list_id if t.citation is not None else None,
            "title": t.title, "record_id": t.record_id, "purchase_request_id": t.purchase_request_id,
            "kind": t.kind, "status": t.status, "assignee": t.assignee.username if t.assignee is not None else None,
            "vendor": t.vendor, "cost_amount": str(t.cost_amount) if t.cost_amount is not None else None,
            "cost_currency": t.cost_currency, "expected_date": t.expected_date, "notes": t.notes,
            "library": t.library.code if t.library is not None else None, "location": t.location,
            "concurrent_users": t.concurrent_users, "url": t.url, "enrolment": getattr(t, "enrolment", None),
            "licence_warning": bool(getattr(t, "licence_warning", False))}


def _task(user, task_id: int) -> AcquisitionTask:
    task = (AcquisitionTask.objects.select_related("citation__resource_list", "record", "assignee", "library", "institution")
            .filter(pk=task_id).first())
    return ensure_task(user, task)


def _task_response(user, task_id: int) -> dict:
    task = _task(user, task_id)
    selectors.annotate_warnings([task])
    return task_out(task)


@router.post("/citations/{citation_id}/acquisition-tasks", response={201: AcquisitionTaskOut, **ERRORS},
             summary="Start library work on a list item: order a copy, license an e-book, move to short loan (librarian)")
def create_task(request, citation_id: Id, payload: AcquisitionTaskIn):
    citation, _acc = list_selectors.citation_for(request.user, citation_id)
    task = services.create_task(request.user, citation, **payload.dict())
    return Status(201, _task_response(request.user, task.pk))


@router.get("/acquisition-tasks", response={200: Page(AcquisitionTaskOut), **ERRORS}, summary="The library's acquisition task list")
def list_tasks(request, page: PageQuery, status: Term = "open"):
    ensure_librarian(request.user, request.user.institution_id)
    qs = selectors.task_list(request.user.institution, status=status)

    def serialize(t):
        selectors.annotate_warnings([t])
        return task_out(t)

    return paginate(request, qs, page, serialize)


@router.get("/acquisition-tasks/{acquisition_task_id}", response={200: AcquisitionTaskOut, **ERRORS}, summary="One acquisition task")
def get_task(request, acquisition_task_id: Id):
    return _task_response(request.user, acquisition_task_id)


@router.patch("/acquisition-tasks/{acquisition_task_id}", response={200: AcquisitionTaskOut, **ERRORS}, summary="Change an open acquisition task")
def change_task(request, acquisition_task_id: Id, payload: AcquisitionTaskChange):
    services.update_task(request.user, _task(request.user, acquisition_task_id), **payload.dict(exclude_unset=True))
    return _task_response(request.user, acquisition_task_id)


@router.post("/acquisition-tasks/{acquisition_task_id}/start", response={200: AcquisitionTaskOut, **ERRORS}, summary="Start the task")
def start_task(request, acquisition_task_id: Id):
    services.start_task(request.user, _task(request.user, acquisition_task_id))
    return _task_response(request.user, acquisition_task_id)


@router.post("/acquisition-tasks/{acquisition_task_id}/complete", response={200: AcquisitionTaskOut, **ERRORS},
             summary="Finish the task: the copy goes on reserve, or the e-book link appears")
def complete_task(request, acquisition_task_id: Id):
    services.complete_task(request.user, _task(request.user, acquisition_task_id))
    return _task_response(request.user, acquisition_task_id)


@router.post("/acquisition-tasks/{acquisition_task_id}/cancel", response={200: AcquisitionTaskOut, **ERRORS}, summary="Cancel the task")
def cancel_task(request, acquisition_task_id: Id):
    services.cancel_task(request.user, _task(request.user, acquisition_task_id))
    return _task_response(request.user, acquisition_task_id)


# --- purchase requests (SRV-3) -----------------------------------------------------------------

class PurchaseIn(Schema):
    note: str = Field("", max_length=5000)
    title: str = Field("", max_length=1000, description="what to buy, e.g. the new edition (default: the item)")
    isbn: str = Field("", max_length=13)


class PurchaseReasonIn(Schema):
    reason: str = Field("", max_length=500)


class PurchaseRequestOut(Schema):
    id: int
    status: str
    citation_id: int | None = Field(..., description="the list item; null for a suggestion from Find it (DSV-6)")
    title: str
    isbn: str
    note: str
    reason: str
    requester: str
    tags: list[str]
    metadata: dict = Field(..., description="a Find it suggestion: the CSL-JSON of what was looked for")
    record_id: int | None = Field(..., description="bought: the catalog record of the library's copy (SRV-3)")


class SuggestionIn(Schema):
    citation: JsonObject = Field(..., description="CSL-JSON of the title (at least its title), e.g. what /resolve answered")
    note: str = Field("", max_length=column(PurchaseRequest, "note"))


def purchase_out(r: PurchaseRequest) -> dict:
    return {"id": r.pk, "status": r.status, "citation_id": r.citation_id, "title": r.title, "isbn": r.isbn, "note": r.note,
            "reason": r.reason, "requester": r.requester.username,
            "tags": list(r.citation.tags or []) if r.citation is not None else [], "metadata": r.metadata or {},
            "record_id": getattr(r, "bought_record_id", None)}


def _purchase(user, request_id: int) -> PurchaseRequest:
    req = selectors.with_bought_record(PurchaseRequest.objects.select_related("citation__resource_list", "requester")).filter(pk=request_id).first()
    if req is None:
        raise NotFound("SRV-3", "no such purchase request")
    services.ensure_may_see_purchase(user, req)
    return req


@router.post("/citations/{citation_id}/purchase-requests", response={201: PurchaseRequestOut, **ERRORS},
             summary="Ask the library to buy a list item or its new edition (instructor, SRV-3)")
def request_purchase(request, citation_id: Id, payload: PurchaseIn):
    citation, _acc = list_selectors.citation_for(request.user, citation_id)
    req = services.request_purchase(request.user, citation, note=payload.note, title=payload.title, isbn=payload.isbn)
    return Status(201, purchase_out(_purchase(request.user, req.pk)))


@router.get("/purchase-requests", response={200: Page(PurchaseRequestOut), **ERRORS}, summary="The library's purchase requests")
def list_purchases(request, page: PageQuery, status: Term = "library_processing"):
    ensure_librarian(request.user, request.user.institution_id)
    return paginate(request, selectors.purchase_list(request.user.institution, status=status), page, purchase_out)


@router.post("/purchase-suggestions", response={201: PurchaseRequestOut, **ERRORS},
             summary="Suggest that your library buy a title no library of the consortium holds (Find it, DSV-6 / SRV-3)")
def suggest_purchase(request, payload: SuggestionIn):
    req = services.suggest_purchase(request.user, payload.citation, note=payload.note)
    return Status(201, purchase_out(_purchase(request.user, req.pk)))


@router.get("/me/purchase-requests", response={200: Page(PurchaseRequestOut), **ERRORS},
            summary="Your own purchase requests and suggestions (SRV-3)")
def my_purchases(request, page: PageQuery):
    return paginate(request, selectors.my_purchases(request.user).select_related("requester"), page, purchase_out)


def _purchase_out(user, request_id: int) -> dict:
    return purchase_out(_purchase(user, request_id))


def _reason(payload: PurchaseReasonIn | None) -> str:
    return payload.reason if payload else ""


PURCHASES = Resource(router, "purchase_request_id", find=_purchase, render=_purchase_out, response=PurchaseRequestOut,
                     errors=ERRORS)
PURCHASES.read("/purchase-requests/{purchase_request_id}", name="get_purchase", summary="One purchase request")
PURCHASES.step("post", "/purchase-requests/{purchase_request_id}/cancel", name="cancel_purchase",
               inputs={"payload": (PurchaseReasonIn | None, None)},
               act=lambda user, req, payload: services.cancel_purchase(user, req, _reason(payload)),
               summary="Withdraw a purchase request while the library is processing it (instructor)")
PURCHASES.step("post", "/purchase-requests/{purchase_request_id}/complete", name="complete_purchase",
               act=services.complete_purchase, summary="The purchase is done (librarian)")
PURCHASES.step("post", "/purchase-requests/{purchase_request_id}/decline", name="decline_purchase",
               inputs={"payload": (PurchaseReasonIn | None, None)},
               act=lambda user, req, payload: services.decline_purchase(user, req, _reason(payload)),
               summary="Decline the purchase request (librarian)")


# --- CLA check (SRV-2) -----------------------------------------------------------------------------

class ClaOut(Schema):
    photocopy: str = Field(..., description="allowed | not_allowed | unknown")
    scan: str
    digital: str
    source: str = Field(..., description="the provider that answered: offline | http | ...")
    error: str = Field("", description="why the answer is unknown, when the provider failed")


@router.get("/cla", response={200: ClaOut, **ERRORS},
            summary="What the institution's CLA licence allows for a title (SRV-2): ?isbn= or ?issn=")
def cla_check(request, isbn: Term = "", issn: Term = ""):
    from . import cla

    inst = request.user.institution
    if inst is None:
        raise NotFound("SRV-2", "no institution")
    return cla.check(inst, isbn=isbn, issn=issn).as_dict()


# --- new editions (SRV-3) ----------------------------------------------------------------------------

class EditionNoticeOut(Schema):
    id: int
    citation_id: int
    source: str = Field(..., description="catalog | openlibrary")
    title: str
    edition: str
    year: int | None
    isbn: str
    publisher: str
    record_id: int | None
    status: str = Field(..., description="open | replaced | added | declined")
    original_url: str = Field(..., description="view original: the item in its list")


def notice_out(n) -> dict:
    from django.urls import reverse

    return {"id": n.pk, "citation_id": n.citation_id, "source": n.source, "title": n.title, "edition": n.edition, "year": n.year,
            "isbn": n.isbn, "publisher": n.publisher, "record_id": n.record_id, "status": n.status,
            "original_url": reverse("lists:edit", args=[n.citation.resource_list_id]) + f"#item-{n.citation_id}"}


def _notice(user, notice_id: int):
    from syllabus.lists.permissions import ensure_edit

    from .models import EditionNotice

    n = EditionNotice.objects.select_related("citation__resource_list", "record").filter(pk=notice_id).first()
    if n is None:
        raise NotFound("SRV-3", "no such new-edition notice")
    ensure_edit(user, n.citation.resource_list)
    return n


@router.post("/citations/{citation_id}/new-editions/check", response={200: Page(EditionNoticeOut), **ERRORS},
             throttle=Throttle("lookup"),
             summary="Check for a new edition of a list item in the catalog and the bibliographic feed (SRV-3): its open notices")
def check_new_editions(request, citation_id: Id, page: PageQuery):
    from .models import EditionNotice

    citation, _acc = list_selectors.citation_for(request.user, citation_id)
    services.check_new_editions(request.user, citation)
    qs = EditionNotice.objects.filter(citation=citation, status="open").select_related("citation").order_by("-year", "-id")
    return paginate(request, qs, page, notice_out)


@router.get("/citations/{citation_id}/new-editions", response={200: Page(EditionNoticeOut), **ERRORS},
            summary="The new-edition notices of a list item")
def list_new_editions(request, citation_id: Id, page: PageQuery):
    from syllabus.lists.permissions import ensure_edit

    from .models import EditionNotice

    citation, _acc = list_selectors.citation_for(request.user, citation_id)
    ensure_edit(request.user, citation.resource_list)
    qs = EditionNotice.objects.filter(citation=citation).select_related("citation").order_by("-year", "-id")
    return paginate(request, qs, page, notice_out)


def _act(request, edition_notice_id: int, action: str) -> dict:
    services.act_on_notice(request.user, _notice(request.user, edition_notice_id), action)
    return notice_out(_notice(request.user, edition_notice_id))


@router.post("/edition-notices/{edition_notice_id}/replace", response={200: EditionNoticeOut, **ERRORS},
             summary="Replace the item by the new edition (its metadata and catalog record)")
def replace_by_new_edition(request, edition_notice_id: Id):
    return _act(request, edition_notice_id, "replace")


@router.post("/edition-notices/{edition_notice_id}/add", response={200: EditionNoticeOut, **ERRORS},
             summary="Add the new edition to the list, right after the item")
def add_new_edition(request, edition_notice_id: Id):
    return _act(request, edition_notice_id, "add")


@router.post("/edition-notices/{edition_notice_id}/decline", response={200: EditionNoticeOut, **ERRORS},
             summary="Decline the new edition: no notice for it again")
def decline_new_edition(request, edition_notice_id: Id):
    return _act(request, edition_notice_id, "decline")
