"""Consortium API (CON-1..4): consortium configuration, the lists gateway, inter-library loan."""
from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Router, Schema, Status
from ninja.security.base import AuthBase

from syllabus.api.auth import AUTH
from syllabus.api.schemas import Error
from syllabus.api.fields import Code, Id, JsonValue, Key, Search, Term
from syllabus.core.errors import NotFound
from syllabus.core.limits import column
from syllabus.core.pagination import Page, PageQuery, paginate
from syllabus.org import config

from . import selectors, services
from .iso18626 import MAX_BYTES as ISO_MAX_BYTES
from .models import IllPartner, IllRequest
from .reader_requests import NEEDED_BY_MAX_DAYS, NOTE_MAX

router = Router(tags=["consortium"])


# --- CON-1 ------------------------------------------------------------------------------------------

class SettingOut(Schema):
    key: str
    type: str
    description: str
    default: Any
    choices: list[Any]
    value: Any
    set: bool
    locked: bool
    overrides: list[str]


class SettingIn(Schema):
    value: JsonValue = None
    locked: bool | None = None


@router.get("/consortium/config", response=Page(SettingOut),
            summary="The consortium's configuration: its values, locks and the members that override them (Consortium Administrators, CON-1)")
def consortium_config(request, page: PageQuery):
    consortium = services.ensure_consortium_admin(request.user)
    return paginate(request, services.consortium_settings(consortium), page)


@router.put("/consortium/config/{key}", response=SettingOut,
            summary="Set the consortium's value of a parameter (null removes it, omitted keeps it) and whether members may override it (CON-1)")
def set_consortium_config(request, key: Key, payload: SettingIn):
    consortium = services.ensure_consortium_admin(request.user)
    if "value" in payload.model_fields_set:   # omitted: unchanged; null: removed
        services.set_consortium_value(request.user, key, payload.value)
    else:
        config.param(key)  # an unknown key is refused (ORG-4)
    if payload.locked is not None:
        services.lock_setting(request.user, key, payload.locked)
    return next(r for r in services.consortium_settings(consortium) if r["key"] == key)


# --- CON-3: the lists gateway -------------------------------------------------------------------

class GatewayCourseOut(Schema):
    code: str
    name: str
    term: str


class GatewayListOut(Schema):
    id: int
    title: str
    institution: str
    institution_name: str
    courses: list[GatewayCourseOut]
    instructors: list[str]


class GatewayItemOut(Schema):
    id: int
    section: str
    type: str
    title: str
    metadata: dict
    public_note: str


class GatewayListDetailOut(GatewayListOut):
    description: str
    items: list[GatewayItemOut]


class FacetInstitutionOut(Schema):
    code: str
    name: str
    count: int


class FacetTermOut(Schema):
    term: str
    count: int


class FacetsOut(Schema):
    institutions: list[FacetInstitutionOut]
    terms: list[FacetTermOut]


class CopyIn(Schema):
    citation_ids: list[Id] = Field(..., min_length=1, max_length=200)
    target_list_id: Id
    section_id: Id | None = None


class CopyOut(Schema):
    created: list[int]


class SharingIn(Schema):
    shared: bool


class SharingOut(Schema):
    list_id: int
    shared: bool


def _gateway_out(lst) -> dict:
    return {"id": lst.pk, "title": lst.title, "institution": lst.institution.code, "institution_name": lst.institution.name,
            "courses": [{"code": c.code, "name": c.name, "term": c.term} for c in lst.courses.all()],
            "instructors": [o.get_full_name() or o.username for o in lst.owners.all()]}


@router.get("/consortium/lists", response=Page(GatewayListOut),
            summary="Search the published lists the consortium's members share (title, course, instructor, cited title/ISBN/DOI) (CON-3)")
def gateway_search(request, page: PageQuery, q: Search = "", institution: Code = "", term: Term = ""):
    found = selectors.gateway_search(request.user, q=q[:200], institution=institution[:40], term=term[:40])
    return paginate(request, found, page, _gateway_out)


@router.get("/consortium/lists/facets", response=FacetsOut,
            summary="Counts of the matching shared lists by institution and by term (CON-3)")
def gateway_facets(request, q: Search = "", institution: Code = "", term: Term = ""):
    return selectors.gateway_facets(request.user, q=q[:200], institution=institution[:40], term=term[:40])


@router.get("/consortium/lists/{list_id}", response=GatewayListDetailOut,
            summary="A shared list of the consortium, read-only, with its items (CON-3)")
def gateway_list(request, list_id: Id):
    lst = selectors.gateway_list(request.user, list_id)
    items = [{"id": c.pk, "section": s.title, "type": c.type, "title": c.title, "metadata": c.metadata or {},
              "public_note": c.public_note} for s in lst.section_list for c in s.items]  # type: ignore[attr-defined]
    return {**_gateway_out(lst), "description": lst.description, "items": items}


@router.post("/consortium/lists/{list_id}/copy", response={201: CopyOut},
             summary="Copy items of a shared list into one of your own lists (CON-3)")
def gateway_copy(request, list_id: Id, payload: CopyIn):
    from syllabus.lists.models import Section

    target = selectors.my_editable_lists(request.user).filter(pk=payload.target_list_id).first()
    if target is None:
        raise NotFound("CON-3", "no such list of yours")
    section = None
    if payload.section_id is not None:
        section = Section.objects.filter(pk=payload.section_id, resource_list=target).first()
        if section is None:
            raise NotFound("CON-3", "no such section in that list")
    created = services.copy_items(request.user, list_id, payload.citation_ids, target, section)
    return Status(201, {"created": [c.pk for c in created]})


@router.put("/consortium/lists/{list_id}/sharing", response=SharingOut,
            summary="Show a list of yours in the consortium's lists gateway, or stop (CON-3)")
def set_sharing(request, list_id: Id, payload: SharingIn):
    from syllabus.lists.models import ResourceList

    lst = ResourceList.objects.filter(pk=list_id).first()
    if lst is None:
        raise NotFound("LST-8", "no such list")
    return {"list_id": lst.pk, "shared": services.share_list(request.user, lst, payload.shared)}


# --- CON-2: inter-library loan ------------------------------------------------------------------

_XML = {"application/xml": {"schema": {"type": "string", "maxLength": ISO_MAX_BYTES,
                                      "description": "an ISO 18626 (schema 1.2) message"}}}


class PartnerSecret(AuthBase):
    """A partner of the institution's ILL directory posting a supplier's answer, authenticated by
    the header and shared secret configured for it (:func:`partners.partner_posting`)."""

    openapi_type = "apiKey"
    openapi_in = "header"
    # a real header name (a client sends it as given; session 20: a sentence here made generated
    # clients and schemathesis send an invalid header); the partner's own header is described
    openapi_name = "Authorization"
    openapi_description = ("the header and shared secret configured for the partner in the ILL directory: "
                           "Authorization by default, or the partner's own X-… header")

    def __call__(self, request):
        from .partners import partner_posting

        return partner_posting(request)


@router.post("/iso18626", response={200: None}, auth=[PartnerSecret(), *AUTH],
             summary="Receive an ISO 18626 message (request, supplying or requesting agency message); answers its confirmation: "
                     "from a partner of the ILL directory (its header and secret) or a member's staff account (CON-2)",
             openapi_extra={"requestBody": {"required": True, "content": _XML},
                            "responses": {"200": {"description": "the ISO 18626 confirmation of the message", "content": _XML},
                                          "429": {"description": "too many failed authentications of this partner from "
                                                                 "your address (AUTH-THROTTLE): wait `Retry-After` seconds"}}})
def iso18626_endpoint(request):
    from django.http import HttpResponse

    from . import iso18626
    from .models import IllPartner

    if isinstance(request.auth, IllPartner):
        answer = iso18626.receive_from_partner(request.body, request.auth)
    else:
        answer = iso18626.receive(request.body, caller=request.user)
    return HttpResponse(answer, content_type="application/xml; charset=utf-8")


# --- CON-2: the directory of ILL partners outside the consortium ---------------------------------

_PARTNER_ERRORS = {400: Error, 403: Error, 404: Error, 409: Error}


class IllPartnerOut(Schema):
    id: int
    agency_id: str
    name: str
    endpoint_url: str
    auth_header: str
    has_secret: bool = Field(..., description="a shared secret is saved (it is never returned)")
    active: bool
    created_at: dt.datetime
    updated_at: dt.datetime


class IllPartnerIn(Schema):
    agency_id: str = Field(..., max_length=column(IllPartner, "agency_id"), description="the partner's ISO 18626 agency id (ISIL)")
    name: str = Field(..., max_length=column(IllPartner, "name"))
    endpoint_url: str = Field(..., max_length=column(IllPartner, "endpoint_url"),
                              description="where its ISO 18626 messages are posted (https; vetted: no private or local address)")
    auth_header: str = Field("", max_length=column(IllPartner, "auth_header"))
    auth_value: str = Field("", max_length=column(IllPartner, "auth_value"),
                            description="the shared secret (write-only: never returned)")
    active: bool = True


class IllPartnerPatch(Schema):
    agency_id: str | None = Field(None, max_length=column(IllPartner, "agency_id"))
    name: str | None = Field(None, max_length=column(IllPartner, "name"))
    endpoint_url: str | None = Field(None, max_length=column(IllPartner, "endpoint_url"))
    auth_header: str | None = Field(None, max_length=column(IllPartner, "auth_header"))
    auth_value: str | None = Field(None, max_length=column(IllPartner, "auth_value"),
                                   description="write-only; omitted keeps the secret, empty removes it")
    active: bool | None = None


def _partner_out(p: IllPartner) -> dict:
    return {"id": p.pk, "agency_id": p.agency_id, "name": p.name, "endpoint_url": p.endpoint_url,
            "auth_header": p.auth_header, "has_secret": bool(p.auth_value), "active": p.active,
            "created_at": p.created_at, "updated_at": p.updated_at}


@router.get("/consortium/ill-partners", response={200: Page(IllPartnerOut), **_PARTNER_ERRORS},
            summary="Your library's directory of ILL partners outside the consortium (its ILL staff) (CON-2)")
def ill_partners(request, page: PageQuery):

    services.ensure_ill_staff(request.user, request.user.institution)
    return paginate(request, IllPartner.objects.filter(institution_id=request.user.institution_id).order_by("agency_id", "pk"),
                    page, _partner_out)


@router.post("/consortium/ill-partners", response={201: IllPartnerOut, **_PARTNER_ERRORS},
             summary="Add an ILL partner: its agency id, ISO 18626 address (vetted) and optional header and secret (CON-2)")
def ill_partner_create(request, payload: IllPartnerIn):
    from . import partners

    return Status(201, _partner_out(partners.save_partner(request.user, payload.dict())))


@router.get("/consortium/ill-partners/{ill_partner_id}", response={200: IllPartnerOut, **_PARTNER_ERRORS},
            summary="One ILL partner of your library (CON-2)")
def ill_partner(request, ill_partner_id: Id):
    from . import partners

    return _partner_out(partners.partner_of(request.user, ill_partner_id))


@router.patch("/consortium/ill-partners/{ill_partner_id}", response={200: IllPartnerOut, **_PARTNER_ERRORS},
              summary="Change an ILL partner: the fields given; the secret is kept unless given (empty removes it) (CON-2)")
def ill_partner_update(request, ill_partner_id: Id, payload: IllPartnerPatch):
    from . import partners

    partner = partners.partner_of(request.user, ill_partner_id)
    changes = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None or k == "auth_value"}
    if changes.get("auth_value") is None and "auth_value" in changes:
        changes["auth_value"] = ""
    return _partner_out(partners.update_partner(request.user, partner, changes))


@router.post("/consortium/ill-partners/{ill_partner_id}/deactivate", response={200: IllPartnerOut, **_PARTNER_ERRORS},
             summary="Stop posting to an ILL partner and hearing it; it stays in the directory (CON-2)")
def ill_partner_deactivate(request, ill_partner_id: Id):
    from . import partners

    return _partner_out(partners.deactivate_partner(request.user, partners.partner_of(request.user, ill_partner_id)))


class IllOut(Schema):
    id: int
    requesting_agency: str
    supplying_agency: str
    requesting_agency_request_id: str
    supplying_agency_request_id: str
    requesting_institution: str | None
    supplying_institution: str | None
    record_id: int | None
    title: str
    author: str
    isbn: str
    service_type: str
    status: str
    received: bool
    shipped_return: bool
    due_date: Any = None
    reason_unfilled: str
    note: str
    moves: list[str]


class IllIn(Schema):
    record_id: Id
    note: str = Field("", max_length=2000)
    service_type: str = Field("Loan", pattern="^(Loan|Copy)$", max_length=4)


class IllMoveIn(Schema):
    action: str = Field(..., max_length=40)
    note: str = Field("", max_length=2000)
    reason: str = Field("", max_length=200)
    due_days: int | None = Field(None, ge=1, le=365)
    agency: str = Field("", max_length=100, description="send: the supplier's ISO 18626 agency id (ISIL), outside the consortium")


def ill_out(ill, user) -> dict:
    from .selectors import ill_moves

    return {"id": ill.pk, "requesting_agency": ill.requesting_agency, "supplying_agency": ill.supplying_agency,
            "requesting_agency_request_id": ill.requesting_agency_request_id,
            "supplying_agency_request_id": ill.supplying_agency_request_id,
            "requesting_institution": ill.requesting_institution.code if ill.requesting_institution_id else None,
            "supplying_institution": ill.supplying_institution.code if ill.supplying_institution_id else None,
            "record_id": ill.record_id, "title": ill.title, "author": ill.author, "isbn": ill.isbn, "service_type": ill.service_type,
            "status": ill.status, "received": ill.received, "shipped_return": ill.shipped_return,
            "due_date": ill.due_date.isoformat() if ill.due_date else None, "reason_unfilled": ill.reason_unfilled,
            "note": ill.note, "moves": ill_moves(user, ill)}


@router.get("/consortium/ill", response=Page(IllOut),
            summary="Inter-library loans of your library: side=supplier (the queue of requests to you) or requester (CON-2)")
def ill_queue(request, page: PageQuery, side: Term = "supplier", open_only: bool = True):
    services.ensure_ill_staff(request.user, request.user.institution)
    qs = selectors.ill_queue(request.user, side=side, open_only=open_only)
    return paginate(request, qs, page, lambda ill: ill_out(ill, request.user))


@router.post("/consortium/ill", response={201: IllOut},
             summary="Ask the member that owns a record for an inter-library loan (ISO 18626 request) (CON-2)")
def ill_create(request, payload: IllIn):
    record = selectors.consortium_record(request.user, payload.record_id)
    ill = services.raise_loan_request(request.user, record, note=payload.note, service_type=payload.service_type)
    return Status(201, ill_out(ill, request.user))


@router.get("/consortium/ill/{ill_id}", response=IllOut, summary="One inter-library loan of your library (CON-2)")
def ill_detail(request, ill_id: Id):
    return ill_out(selectors.ill_for(request.user, ill_id), request.user)


@router.post("/consortium/ill/{ill_id}/moves", response=IllOut,
             summary="Answer or act on an inter-library loan: a move of the ISO 18626 state table (CON-2)")
def ill_move(request, ill_id: Id, payload: IllMoveIn):
    ill = selectors.ill_for(request.user, ill_id)
    ill = services.move_loan_request(request.user, ill, payload.action, note=payload.note, reason=payload.reason,
                                     due_days=payload.due_days, agency=payload.agency)
    return ill_out(ill, request.user)


# --- CON-2: a purchase from another member's metadata --------------------------------------------

class MemberPurchaseIn(Schema):
    record_id: Id
    list_id: Id
    kind: str = Field("order", pattern="^(order|license)$", max_length=7)
    notes: str = Field("", max_length=2000)


class MemberPurchaseOut(Schema):
    task_id: int
    citation_id: int
    record_id: int
    kind: str
    status: str


@router.post("/consortium/purchases", response={201: MemberPurchaseOut},
             summary="Start an acquisition task from another member's record: the record is copied into your catalog (CON-2)")
def purchase(request, payload: MemberPurchaseIn):
    from syllabus.lists.models import ResourceList

    record = selectors.consortium_record(request.user, payload.record_id)
    target = ResourceList.objects.filter(pk=payload.list_id, institution_id=request.user.institution_id).first()
    if target is None:
        raise NotFound("CON-2", "no such list in your institution")
    task = services.purchase_from_record(request.user, record, target, kind=payload.kind, notes=payload.notes)
    return Status(201, {"task_id": task.pk, "citation_id": task.citation_id, "record_id": task.citation.record_id,
                        "kind": task.kind, "status": task.status})


# --- CON-4: cross-member fulfillment ------------------------------------------------------------------

class PageRangeIn(Schema):
    from_: int = Field(..., alias="from", ge=1, le=100_000)
    to: int = Field(..., ge=1, le=100_000)


class CrossIn(Schema):
    record_id: Id
    kind: str = Field(..., pattern="^(digitization|loan)$", max_length=12)
    chapters: str = Field("", max_length=500)
    page_ranges: list[PageRangeIn] = Field(default_factory=list, max_length=10)
    note: str = Field("", max_length=2000)


class CrossOut(Schema):
    id: int
    kind: str
    record_id: int
    owning_institution: str
    digitization_request_id: int | None
    ill_request_id: int | None
    status: str


def _cross_out(c) -> dict:
    status = c.digitization.status if c.digitization_id else c.ill.status if c.ill_id else ""
    return {"id": c.pk, "kind": c.kind, "record_id": c.record_id, "owning_institution": c.owning_institution.code,
            "digitization_request_id": c.digitization_id, "ill_request_id": c.ill_id, "status": status}


@router.post("/consortium/requests", response={201: CrossOut},
             summary="Ask another member for a digitization or a loan of its item, handled by its own workflow (CON-4)")
def cross_create(request, payload: CrossIn):
    record = selectors.consortium_record(request.user, payload.record_id)
    data = {"chapters": payload.chapters, "note": payload.note, "notes": [payload.note] if payload.note else [],
            "page_ranges": [{"from": r.from_, "to": r.to} for r in payload.page_ranges]}
    cross = services.request_from_member(request.user, record, payload.kind, data)
    return Status(201, _cross_out(cross))


@router.get("/consortium/requests", response=Page(CrossOut), summary="Your requests to other members (CON-4)")
def cross_list(request, page: PageQuery):
    return paginate(request, selectors.cross_requests_of(request.user), page, _cross_out)


# --- CON-2: a reader's own inter-library loan requests (Find it's next step) -------------------------

class ReaderIllIn(Schema):
    kind: str = Field("book", pattern="^(book|article|chapter)$", max_length=7,
                      description="book: a loan (ISO 18626 Loan); article or chapter: a copy (Copy)")
    title: str = Field(..., max_length=column(IllRequest, "title"))
    author: str = Field("", max_length=column(IllRequest, "author"))
    container_title: str = Field("", max_length=column(IllRequest, "container_title"),
                                 description="the journal or book an article or chapter is in")
    volume: str = Field("", max_length=column(IllRequest, "volume"))
    issue: str = Field("", max_length=column(IllRequest, "issue"))
    pages: str = Field("", max_length=column(IllRequest, "pages"))
    year: str = Field("", max_length=column(IllRequest, "year"))
    isbn: str = Field("", max_length=40)
    issn: str = Field("", max_length=40)
    doi: str = Field("", max_length=column(IllRequest, "doi"))
    needed_by: dt.date | None = Field(None, description=f"from today to {NEEDED_BY_MAX_DAYS} days ahead")
    note: str = Field("", max_length=NOTE_MAX)
    pickup_library_id: Id | None = Field(None, description="one of your institution's libraries; required where it has several")
    from_item: Id | None = Field(None, description="the list item Find it was opened from (kept when you see it)")


class ReaderIllOut(Schema):
    id: int
    request_id: str
    service_type: str
    title: str
    author: str
    container_title: str
    isbn: str
    issn: str
    doi: str
    status: str
    status_text: str
    reason_unfilled: str
    needed_by: dt.date | None
    pickup_library: str | None
    due_date: dt.datetime | None
    list_item_id: int | None
    list_id: int | None
    cancellable: bool
    created_at: dt.datetime


def _reader_ill_out(ill) -> dict:
    from .workflow import READER_CANCELLABLE

    return {"id": ill.pk, "request_id": ill.requesting_agency_request_id, "service_type": ill.service_type,
            "title": ill.title, "author": ill.author, "container_title": ill.container_title, "isbn": ill.isbn,
            "issn": ill.issn, "doi": ill.doi, "status": ill.status, "status_text": selectors.reader_status(ill),
            "reason_unfilled": ill.reason_unfilled, "needed_by": ill.needed_by,
            "pickup_library": ill.pickup_library.code if ill.pickup_library_id else None,
            "due_date": ill.due_date, "list_item_id": ill.citation_id,
            "list_id": ill.citation.resource_list_id if ill.citation_id else None,
            "cancellable": ill.status in READER_CANCELLABLE, "created_at": ill.created_at}


@router.get("/me/ill-requests", response=Page(ReaderIllOut),
            summary="Your inter-library loan requests, newest first, their status in ISO 18626 terms and in words (CON-2)")
def my_ill_requests(request, page: PageQuery):
    return paginate(request, selectors.my_ill_requests(request.user), page, _reader_ill_out)


@router.post("/me/ill-requests", response={201: ReaderIllOut},
             summary="Ask your library for an inter-library loan (a book) or a copy (an article, a chapter) of a title it has "
                     "not available (CON-2)")
def ask_for_ill(request, payload: ReaderIllIn):
    from syllabus.lists.selectors import citation_seen_by

    from .reader_requests import ask_for_ill as ask, my_request

    data = payload.dict(exclude={"needed_by", "note", "pickup_library_id", "from_item"})
    ill = ask(request.user, data, needed_by=payload.needed_by, note=payload.note, pickup_library_id=payload.pickup_library_id,
              from_citation=citation_seen_by(request.user, payload.from_item))
    return Status(201, _reader_ill_out(my_request(request.user, ill.pk)))


@router.get("/me/ill-requests/{ill_request_id}", response=ReaderIllOut, summary="One of your inter-library loan requests (CON-2)")
def my_ill_request(request, ill_request_id: Id):
    from .reader_requests import my_request

    return _reader_ill_out(my_request(request.user, ill_request_id))


@router.post("/me/ill-requests/{ill_request_id}/cancel", response=ReaderIllOut,
             summary="Cancel your inter-library loan request while the item is not yet sent (CON-2)")
def cancel_my_ill_request(request, ill_request_id: Id):
    from .reader_requests import cancel_my_request, my_request

    cancel_my_request(request.user, ill_request_id)
    return _reader_ill_out(my_request(request.user, ill_request_id))
