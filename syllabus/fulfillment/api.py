"""API: digitization & copyright requests, staff actions, and their configuration (DIG-1..12)."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any

from django.shortcuts import get_object_or_404
from ninja import Body, Field, File, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import ConfigDict

from syllabus.api.fields import ITEMS, Accesses, Code, Days, Id, Position, RequestLimit, Term, Token, Username, column
from syllabus.core.pagination import Page, PageQuery, paginate
from syllabus.api.schemas import AuditOut, Error, audit_out
from syllabus.api.steps import view
from syllabus.catalog.models import Item, Record
from syllabus.core import audit
from syllabus.core.errors import NotFound, RuleViolation
from syllabus.org.models import Library, User, UserGroup, typed_username

from . import permissions, selectors, services, workflow
from .models import (
    CirculationDesk, CopyrightOption, DigitizationDepartment, DigitizationRequest, DigitizationRule, DisplayLogicRule,
    EddRule, FormField, PatronLimit,
)

router = Router(tags=["digitization"])
ERR = {400: Error, 403: Error, 404: Error, 409: Error}


# --- schemas ------------------------------------------------------------------------------

class PageRange(Schema):
    model_config = ConfigDict(populate_by_name=True)

    # DIG-1 itself refuses a page below 1 (naming the rule); the bounds only keep the numbers sane
    from_: int = Field(..., alias="from", ge=-1_000_000, le=1_000_000)
    to: int = Field(..., ge=-1_000_000, le=1_000_000)


class FormIn(Schema):
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    chapters: str = Field("", max_length=column(DigitizationRequest, "chapters"))
    # DIG-1 refuses more than 10 ranges and 3 notes itself (naming the rule); these ceilings only keep the input sane
    page_ranges: list[PageRange] = Field([], max_length=100)
    include_images: bool | None = None
    notes: list[Annotated[str, Field(max_length=services.MAX_NOTE_CHARS)]] = Field([], max_length=100)


class PatronRequestIn(FormIn):
    record_id: Id
    item_id: Id | None = None
    service: Term = "digitization"
    on_behalf_of: Username | None = Field(None, description="username of the patron (Fulfillment Services Operator)")


class RequestOut(Schema):
    id: int
    kind: str
    source: str
    service: str
    status: str
    status_label: str
    title: str
    requester: str
    record_id: int | None
    item_barcode: str | None
    citation_id: int | None
    course: str | None
    library: str | None
    department: str | None
    desk: str | None
    start_date: dt.date | None
    end_date: dt.date | None
    chapters: str
    page_ranges: list[dict]
    include_images: bool
    notes: list[str]
    target: str
    max_accesses: int | None
    access_count: int
    approval_mode: str
    approval: str
    approval_reason: str
    copyright: str
    copyright_reason: str
    status_note: str
    file_active: bool | None
    due_at: dt.datetime | None
    created_at: dt.datetime
    delivered_at: dt.datetime | None
    actions: list[str]


class ReasonIn(Schema):
    reason: str = Field("", max_length=column(DigitizationRequest, "approval_reason"))


def request_out(req: DigitizationRequest) -> dict:
    return {
        "id": req.pk, "kind": req.kind, "source": req.source, "service": req.service, "status": req.status,
        "status_label": str(req.get_status_display()), "title": req.title, "requester": req.requester.username,
        "record_id": req.record_id, "item_barcode": req.item.barcode if req.item_id else None, "citation_id": req.citation_id,
        "course": req.course.code if req.course_id else None, "library": req.library.code if req.library_id else None,
        "department": req.department.code if req.department_id else None, "desk": req.desk.code if req.desk_id else None,
        "start_date": req.start_date, "end_date": req.end_date, "chapters": req.chapters, "page_ranges": req.page_ranges,
        "include_images": req.include_images, "notes": req.notes, "target": req.target, "max_accesses": req.max_accesses,
        "access_count": req.access_count, "approval_mode": req.approval_mode, "approval": req.approval,
        "approval_reason": req.approval_reason, "copyright": req.copyright, "copyright_reason": req.copyright_reason,
        "status_note": req.status_note, "file_active": req.representation.active if req.representation_id else None,
        "due_at": req.due_at, "created_at": req.created_at, "delivered_at": req.delivered_at,
        "actions": workflow.actions(req.status),
    }


def _fresh(user, req) -> dict:
    return request_out(selectors.request_for(user, req.pk))


# --- requests -------------------------------------------------------------------------------

@router.get("/digitization-requests", response=Page(RequestOut),
            summary="Your digitization requests, or (staff, scope=work) the department's queue by tab")
def list_requests(request, page: PageQuery, scope: Term = "mine", tab: Term = "open"):
    user = request.user
    if scope == "work":
        if not permissions.is_fulfillment_staff_here(user):
            raise RuleViolation("DIG-10", "only fulfillment staff see the work queue", status=403)
        qs = selectors.work_queue(user, tab)
    else:
        qs = selectors.my_requests(user)
    return paginate(request, qs, page, request_out)


@router.post("/digitization-requests", response={201: RequestOut, **ERR, 422: Error},
             summary="A patron's digitization request from a catalog record (DIG-5), or staff on a patron's behalf (DIG-10)")
def create_request(request, payload: PatronRequestIn):
    user = request.user
    record = Record.objects.filter(pk=payload.record_id, institution_id=user.institution_id).first()
    if record is None:
        raise NotFound("NOT-FOUND", "no such record")
    item = None
    if payload.item_id is not None:
        item = get_object_or_404(Item, pk=payload.item_id, record=record)
    patron = None
    if payload.on_behalf_of:
        patron = User.objects.filter(username=typed_username(payload.on_behalf_of), institution_id=user.institution_id).first()
        if patron is None:
            raise RuleViolation("DIG-10", f"no patron {payload.on_behalf_of!r}", field="on_behalf_of")
    data = payload.dict(by_alias=True)
    req = services.request_from_record(user, record, data, service=payload.service, item=item, on_behalf_of=patron)
    return Status(201, _fresh(user, req))


@router.get("/digitization-requests/{digitization_request_id}", response={200: RequestOut, 404: Error})
def get_request(request, digitization_request_id: Id):
    return request_out(selectors.request_for(request.user, digitization_request_id))


@router.get("/digitization-requests/{digitization_request_id}/history", response={200: Page(AuditOut), 404: Error})
def history(request, digitization_request_id: Id, page: PageQuery):
    req = selectors.request_for(request.user, digitization_request_id)
    return paginate(request, audit.trail(req), page, audit_out)


def _action(name):
    def run(request, digitization_request_id: Id, payload: ReasonIn | None = None):
        req = selectors.request_for(request.user, digitization_request_id)
        reason = payload.reason if payload else ""
        user = request.user
        if name == "approve":
            services.approve(user, req, reason=reason)
        elif name == "approve-copyright":
            services.approve(user, req, copyright=True, reason=reason)
        elif name == "reject":
            services.reject(user, req, reason=reason)
        elif name == "reject-copyright":
            services.reject(user, req, copyright=True, reason=reason)
        elif name == "pick":
            services.pick(user, req)
        elif name == "deliver":
            services.deliver(user, req, base_url=request.build_absolute_uri("/").rstrip("/"))
        elif name == "complete":
            services.complete(user, req)
        elif name == "cancel":
            services.cancel(user, req, reason=reason)
        return _fresh(user, req)

    run.__name__ = f"action_{name.replace('-', '_')}"
    return run


for _name, _summary in [
    ("approve", "Approve the request (Fulfillment Services Manager)"),
    ("reject", "Reject the request (Fulfillment Services Manager); parallel mode deletes the file"),
    ("approve-copyright", "Approve the copyright clearance (Fulfillment Services Manager)"),
    ("reject-copyright", "Reject the copyright clearance (Fulfillment Services Manager)"),
    ("pick", "The item was picked from the shelf (Work Order Operator / Requests Operator)"),
    ("deliver", "Deliver the file as attachment, link or into inventory (Work Order Operator)"),
    ("complete", "Complete a delivered request (Work Order Operator)"),
    ("cancel", "Cancel (Work Order Operator, or the requester)"),
]:
    router.post(f"/digitization-requests/{{digitization_request_id}}/{_name}", response={200: RequestOut, **ERR},
                summary=_summary)(_action(_name))


@router.post("/digitization-requests/{digitization_request_id}/attach-file", response={200: RequestOut, **ERR},
             summary="Scan & attach the file (Work Order Operator); multipart field `file`")
def attach_file(request, digitization_request_id: Id, file: UploadedFile = File(...)):
    req = selectors.request_for(request.user, digitization_request_id)
    services.attach_file(request.user, req, file)
    return _fresh(request.user, req)


@router.get("/digitization-requests/{digitization_request_id}/file", response={200: None, **ERR},
            summary="Download the file; refused outside the copyright date range (DIG-4); X-Access-Warning in the last days")
def download(request, digitization_request_id: Id, token: Token | None = None):
    from syllabus.fulfillment.views import file_response

    req = DigitizationRequest.objects.select_related(*selectors.BASE).filter(pk=digitization_request_id).first()
    if req is None:
        raise NotFound()
    access = services.file_access(request.user, req, via_link=token)
    return file_response(access)


# --- catalog side (DIG-5, DIG-12) ---------------------------------------------------------

@router.get("/records/{record_id}/digitization-services", response={200: dict, 404: Error},
            summary="Digitization services offered for a record after display logic, and the form configuration")
def record_services(request, record_id: Id):
    record = Record.objects.filter(pk=record_id, institution_id=request.user.institution_id).first()
    if record is None:
        raise NotFound()
    return {"services": services.services_for_record(request.user, record),
            "form": services.form_config(record.institution)}


# --- configuration (DIG-3, DIG-6..9, DIG-12) ------------------------------------------------

class DepartmentIn(Schema):
    code: str = Field(..., max_length=column(DigitizationDepartment, "code"))
    name: str = Field(..., max_length=column(DigitizationDepartment, "name"))
    description: str = Field("", max_length=column(DigitizationDepartment, "description"))
    library: Code | None = None
    work_time_days: Days | None = 5
    map_url: str = Field("", max_length=column(DigitizationDepartment, "map_url"))
    address: str = Field("", max_length=column(DigitizationDepartment, "address"))
    phone: str = Field("", max_length=column(DigitizationDepartment, "phone"))
    email: str = Field("", max_length=column(DigitizationDepartment, "email"))
    served_libraries: list[Code] | None = Field(None, max_length=ITEMS)
    active: bool = True


class DepartmentPatch(Schema):
    name: str = Field(None, max_length=column(DigitizationDepartment, "name"))  # type: ignore[assignment]  # may be left out, never null
    description: str = Field(None, max_length=column(DigitizationDepartment, "description"))  # type: ignore[assignment]  # may be left out, never null
    work_time_days: Days | None = None
    map_url: str = Field(None, max_length=column(DigitizationDepartment, "map_url"))  # type: ignore[assignment]  # may be left out, never null
    address: str = Field(None, max_length=column(DigitizationDepartment, "address"))  # type: ignore[assignment]  # may be left out, never null
    phone: str = Field(None, max_length=column(DigitizationDepartment, "phone"))  # type: ignore[assignment]  # may be left out, never null
    email: str = Field(None, max_length=column(DigitizationDepartment, "email"))  # type: ignore[assignment]  # may be left out, never null
    served_libraries: list[Code] = Field(None, max_length=ITEMS)  # type: ignore[arg-type]  # may be left out, never null
    active: bool = None  # type: ignore[assignment]  # may be left out, never null


class DepartmentOut(Schema):
    id: int
    code: str
    name: str
    level: str
    library: str | None
    description: str
    work_time_days: int | None
    served_libraries: list[str]
    operators: list[str]
    map_url: str
    address: str
    phone: str
    email: str
    active: bool


def dept_out(d: DigitizationDepartment) -> dict:
    return {"id": d.pk, "code": d.code, "name": d.name, "level": d.level, "library": d.library.code if d.library_id else None,
            "description": d.description, "work_time_days": d.work_time_days,
            "served_libraries": sorted(lib.code for lib in d.served_libraries.all()),
            "operators": sorted(u.username for u in d.operators.all()), "map_url": d.map_url, "address": d.address,
            "phone": d.phone, "email": d.email, "active": d.active}


def _libraries(inst, codes):
    if codes is None:
        return None
    libs = list(Library.objects.filter(institution=inst, code__in=codes))
    missing = set(codes) - {lib.code for lib in libs}
    if missing:
        raise RuleViolation("DIG-6", f"unknown library {', '.join(sorted(missing))}", field="served_libraries")
    return libs


def _admin(request):
    inst = request.user.institution
    if inst is None:
        raise NotFound()
    permissions.ensure_can_configure(request.user, inst)
    return inst


@router.get("/digitization/departments", response={200: Page(DepartmentOut), 403: Error})
def departments(request, page: PageQuery):
    inst = _admin(request)
    return paginate(request, DigitizationDepartment.objects.filter(institution=inst).order_by("code", "pk")
                    .select_related("library").prefetch_related("served_libraries", "operators"), page, dept_out)


@router.post("/digitization/departments", response={201: DepartmentOut, **ERR})
def create_department(request, payload: DepartmentIn):
    inst = _admin(request)
    data = payload.dict()
    lib = _libraries(inst, [data.pop("library")])[0] if data.get("library") else None
    data.pop("library", None)
    served = _libraries(inst, data.pop("served_libraries"))
    d = services.save_department(request.user, inst, library=lib, served_libraries=served, **data)
    return Status(201, dept_out(d))


@router.patch("/digitization/departments/{department_id}", response={200: DepartmentOut, **ERR})
def update_department(request, department_id: Id, payload: DepartmentPatch):
    inst = _admin(request)
    d = get_object_or_404(DigitizationDepartment, pk=department_id, institution=inst)
    data = payload.dict(exclude_unset=True)
    served = _libraries(inst, data.pop("served_libraries", None))
    d = services.save_department(request.user, inst, dept=d, code=d.code, served_libraries=served, **data)
    return dept_out(d)


class UsernameIn(Schema):
    username: Username


@router.post("/digitization/departments/{department_id}/operators", response={200: DepartmentOut, **ERR},
             summary="Add an operator: they get the Work Order Operator role scoped to the department (DIG-6)")
def add_operator(request, department_id: Id, payload: UsernameIn):
    inst = _admin(request)
    d = get_object_or_404(DigitizationDepartment, pk=department_id, institution=inst)
    user = User.objects.filter(username=typed_username(payload.username), institution=inst).first()
    if user is None:
        raise RuleViolation("DIG-6", f"no user {payload.username!r}", field="username")
    services.add_operator(request.user, d, user)
    return dept_out(d)


@router.delete("/digitization/departments/{department_id}/operators/{username}", response={200: DepartmentOut, **ERR})
def remove_operator(request, department_id: Id, username: Username):
    inst = _admin(request)
    d = get_object_or_404(DigitizationDepartment, pk=department_id, institution=inst)
    services.remove_operator(request.user, d, get_object_or_404(User, username=typed_username(username), institution=inst))
    return dept_out(d)


class DeskIn(Schema):
    library: Code
    code: str = Field(..., max_length=column(CirculationDesk, "code"))
    name: str = Field(..., max_length=column(CirculationDesk, "name"))
    supports_digitization: bool = False
    work_time_days: Days | None = 5


@router.get("/digitization/circulation-desks", response={200: Page(DeskIn, name="DeskPage"), 403: Error})
def desks(request, page: PageQuery):
    inst = _admin(request)
    return paginate(request, CirculationDesk.objects.filter(library__institution=inst).select_related("library")
                    .order_by("library__code", "code", "pk"), page,
                    lambda d: {"library": d.library.code, "code": d.code, "name": d.name,
                               "supports_digitization": d.supports_digitization, "work_time_days": d.work_time_days})


@router.put("/digitization/circulation-desks", response={200: DeskIn, **ERR},
            summary="Create or change a circulation desk; supports_digitization makes it a place of work (DIG-6)")
def save_desk(request, payload: DeskIn):
    inst = _admin(request)
    lib = _libraries(inst, [payload.library])[0]
    services.save_desk(request.user, lib, code=payload.code, name=payload.name,
                       supports_digitization=payload.supports_digitization, work_time_days=payload.work_time_days)
    return payload.dict()


@router.get("/digitization/patron-limits", response={200: dict[str, int | None], 403: Error},
            summary="Max simultaneous digitization requests per user group: 0 none, null unlimited (DIG-7)")
def patron_limits(request):
    inst = _admin(request)
    limits = {pl.user_group_id: pl.max_digitization_requests for pl in PatronLimit.objects.filter(user_group__institution=inst)}
    return {g.code: limits.get(g.pk) for g in UserGroup.objects.filter(institution=inst)}


@router.put("/digitization/patron-limits", response={200: dict[str, int | None], **ERR})
def set_patron_limits(request, payload: dict[str, RequestLimit | None] = Body(..., max_length=ITEMS)):
    inst = _admin(request)
    groups = {g.code: g for g in UserGroup.objects.filter(institution=inst)}
    unknown = set(payload) - set(groups)
    if unknown:
        raise RuleViolation("DIG-7", f"unknown user group {', '.join(sorted(unknown))}")
    for code, value in payload.items():
        services.set_patron_limit(request.user, groups[code], value)
    return patron_limits(request)


def _setting_rows(path: str, param: str, model, row_in, row_out, save, *, names: tuple[str, str, str],
                  summaries: tuple[str | None, str | None, str | None] = (None, None, None),
                  keep: Callable[[Any, dict], dict] = lambda row, data: data) -> None:
    """One kind of the institution's setting rows (configuration admins): ``GET path`` pages them,
    ``POST path`` adds one, ``PUT path/{param}`` changes one. ``save(actor, institution, rule=row,
    **fields)`` writes a row; ``keep(row, fields)`` drops what a row may not change."""

    def rows(request, page):
        return paginate(request, model.objects.filter(institution=_admin(request)), page)

    def create(request, payload):
        return Status(201, save(request.user, _admin(request), **payload.dict()))

    def update(request, payload, **ids):
        inst = _admin(request)
        row = get_object_or_404(model, pk=ids[param], institution=inst)
        return save(request.user, inst, rule=row, **keep(row, payload.dict()))

    router.get(path, response={200: Page(row_out), 403: Error}, summary=summaries[0])(
        view(names[0], rows, {"page": PageQuery}))
    router.post(path, response={201: row_out, **ERR}, summary=summaries[1])(view(names[1], create, {"payload": row_in}))
    router.put(f"{path}/{{{param}}}", response={200: row_out, **ERR}, summary=summaries[2])(
        view(names[2], update, {param: Id, "payload": row_in}))


class EddRuleIn(Schema):
    name: str = Field(..., max_length=column(EddRule, "name"))
    description: str = Field("", max_length=column(EddRule, "description"))
    position: Position = 0
    enabled: bool = True
    user_groups: list[Code] = Field([], max_length=ITEMS)
    allowed: bool = True


class EddRuleOut(EddRuleIn):
    id: int


_setting_rows("/digitization/edd-rules", "edd_rule_id", EddRule, EddRuleIn, EddRuleOut, services.save_edd_rule,
              names=("edd_rules", "create_edd_rule", "update_edd_rule"),
              summaries=(None, "Electronic document delivery rule: user group in list → allowed (DIG-8)", None))


class RuleIn(Schema):
    name: str = Field(..., max_length=column(DigitizationRule, "name"))
    position: Position = 0
    enabled: bool = True
    sources: list[Term] = Field([], max_length=ITEMS)
    user_groups: list[Code] = Field([], max_length=ITEMS)
    libraries: list[Code] = Field([], max_length=ITEMS)
    target: Term = "attachment"
    max_accesses: Accesses | None = None
    approval_required: bool = False
    copyright_required: bool = False
    approval_mode: Term = "blocking"
    approval_reason: str = Field("", max_length=column(DigitizationRule, "approval_reason"))


class RuleOut(RuleIn):
    id: int
    is_default: bool


def _keep_default_scope(rule: DigitizationRule, data: dict) -> dict:
    """The default rule applies to everything: its scope and place do not change."""
    if rule.is_default:
        for key in ("sources", "user_groups", "libraries", "position"):
            data.pop(key)
    return data


_setting_rows("/digitization/rules", "rule_id", DigitizationRule, RuleIn, RuleOut, services.save_digitization_rule,
              names=("rules", "create_rule", "update_rule"), keep=_keep_default_scope,
              summaries=("The ordered digitization & copyright rules, the default rule last (DIG-9)", None, None))


class FormFieldIn(Schema):
    display: bool
    default: str = Field("", max_length=column(FormField, "default"))


@router.get("/digitization/form-fields", response={200: dict[str, Any], 403: Error},
            summary="Which optional fields patrons see on the digitization form, and their defaults (DIG-12)")
def form_fields(request):
    return services.form_config(_admin(request))


@router.put("/digitization/form-fields", response={200: dict[str, Any], **ERR})
def set_form_fields(request, payload: dict[str, FormFieldIn] = Body(..., max_length=ITEMS)):
    inst = _admin(request)
    for code, conf in payload.items():
        services.save_form_field(request.user, inst, code, display=conf.display, default=conf.default)
    return services.form_config(inst)


class DisplayRuleIn(Schema):
    service: Term
    condition: Term = "always"
    active: bool = True


class DisplayRuleOut(DisplayRuleIn):
    id: int


_setting_rows("/digitization/display-logic", "display_rule_id", DisplayLogicRule, DisplayRuleIn, DisplayRuleOut,
              services.save_display_rule, names=("display_rules", "create_display_rule", "update_display_rule"),
              summaries=(None, "Hide Digitization or General digitization under a condition (DIG-5)", None))


class CopyrightOptionIn(Schema):
    code: str = Field(..., max_length=column(CopyrightOption, "code"))
    label: str = Field(..., max_length=column(CopyrightOption, "label"))
    copyright_status: Term


class CopyrightOptionOut(CopyrightOptionIn):
    requires_clearance: bool


@router.get("/digitization/copyright-options", response={200: Page(CopyrightOptionOut), 403: Error},
            summary="Copyright options offered on upload and the copyright status each maps to (DIG-3)")
def copyright_options(request, page: PageQuery):
    return paginate(request, CopyrightOption.objects.filter(institution=_admin(request)), page)


@router.put("/digitization/copyright-options", response={200: CopyrightOptionOut, **ERR})
def save_copyright_option(request, payload: CopyrightOptionIn):
    inst = _admin(request)
    return services.save_copyright_option(request.user, inst, **payload.dict())


# --- the instructor's side (DIG-1, DIG-2, DIG-3): present once the lists app is installed -------

class CopyrightOptionChoice(Schema):
    copyright_option: str = Field(..., max_length=column(CopyrightOption, "code"))


class CopyrightChoiceOut(Schema):
    copyright_status: str
    clearance_required: bool
    form: str | None


def _requested(request, citation_id: int, payload, make) -> Status:
    """An instructor's request about a citation of their list: ``make(user, citation, form)``, 201."""
    from . import citations

    citation = citations.citation_for_instructor(request.user, citation_id)
    return Status(201, _fresh(request.user, make(request.user, citation, payload.dict(by_alias=True))))


def _citation_routes():
    from . import citations

    @router.post("/citations/{citation_id}/digitization-requests", response={201: RequestOut, **ERR, 422: Error},
                 summary="Instructor: request digitization of a citation (DIG-1)")
    def citation_digitization(request, citation_id: Id, payload: FormIn):
        return _requested(request, citation_id, payload, citations.request_digitization)

    @router.post("/citations/{citation_id}/copyright-requests", response={201: RequestOut, **ERR, 422: Error},
                 summary="Instructor: request copyright clearance of a citation's uploaded file (DIG-2)")
    def citation_copyright(request, citation_id: Id, payload: FormIn):
        return _requested(request, citation_id, payload, citations.request_copyright)

    @router.post("/citations/{citation_id}/copyright-option", response={200: CopyrightChoiceOut, **ERR},
                 summary="Instructor: choose the uploaded file's copyright option; says whether the clearance form is required (DIG-3)")
    def citation_copyright_option(request, citation_id: Id, payload: CopyrightOptionChoice):
        citation = citations.citation_for_instructor(request.user, citation_id)
        return citations.choose_copyright_option(request.user, citation, payload.copyright_option)

    @router.get("/citations/{citation_id}/digitization-requests", response={200: Page(RequestOut), 404: Error},
                summary="The requests of a citation and their status (the instructor's view under the item)")
    def citation_requests(request, citation_id: Id, page: PageQuery):
        citation = citations.citation_for_instructor(request.user, citation_id)
        return paginate(request, citations.request_status_for([citation.pk]).get(citation.pk, []), page, request_out)


_citation_routes()  # the instructor's requests from a list item (the lists app is always there)
