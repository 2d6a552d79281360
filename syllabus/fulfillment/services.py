"""Digitization and copyright clearance: every change of state (DIG-1..12).

Each public verb runs in one transaction, checks its rule (``RuleViolation("DIG-n", ...)``),
writes the audit trail and queues letters through the notifications outbox.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Iterable

from django.core.files.base import File
from django.db import IntegrityError, transaction
from django.db.models import Q

from syllabus.catalog.models import Item, Record, Representation
from syllabus.core import audit, clock, files
from syllabus.core.errors import NotFound, PermissionDenied, RuleViolation
from syllabus.notify.services import queue_letter
from syllabus.org import calendar, config
from syllabus.org.models import Institution, Library, RoleAssignment, User, UserGroup
from syllabus.org.roles import Role, Scope
from syllabus.org.services import assign_role

from . import auto_approval, workflow
from .permissions import (  # noqa: F401  (is_fulfillment_staff: re-exported, the services' old name)
    can_decide, can_pick, can_request_on_behalf, can_work_on, ensure_can_configure, is_fulfillment_staff,
)
from .models import (
    DEFAULT_DEPARTMENT_CODE, DEFAULT_DEPARTMENT_NAME, FORM_FIELDS, OPEN_STATUSES, ApprovalMode,
    CirculationDesk, CopyrightOption, CopyrightStatus, DigitizationDepartment, DigitizationRequest, DigitizationRule,
    DisplayCondition, DisplayLogicRule, EddRule, FormField, Kind, PatronLimit, Service, Source, Status, TaskStatus, Target,
)

MAX_PAGE_RANGES = 10
MAX_NOTES = 3


# === configuration (DIG-6..9, DIG-12, DIG-5, DIG-3) ======================================

def ensure_defaults(institution: Institution) -> DigitizationDepartment:
    """Every institution has the default department ``DIGI_DEPT_INST`` and a default rule."""
    dept, created = DigitizationDepartment.objects.get_or_create(
        institution=institution, code=DEFAULT_DEPARTMENT_CODE, defaults={"name": DEFAULT_DEPARTMENT_NAME})
    if created:
        audit.created(None, dept, note="default digitization department (DIG-6)")
    rule, created = DigitizationRule.objects.get_or_create(
        institution=institution, is_default=True,
        defaults={"name": "Default Digitization Rule", "target": Target.ATTACHMENT, "approval_mode": ApprovalMode.BLOCKING})
    if created:
        audit.created(None, rule, note="default digitization rule (DIG-9)")
    return dept


_DEPT_FIELDS = ("name", "description", "work_time_days", "map_url", "address", "phone", "email", "active")


def save_department(actor: User, institution: Institution, *, code: str, library: Library | None = None,
                    served_libraries: Iterable[Library] | None = None, dept: DigitizationDepartment | None = None,
                    **values) -> DigitizationDepartment:
    """Create or change a department (DIG-6).  A library-level department serves its library."""
    ensure_can_configure(actor, institution)
    values = {k: v for k, v in values.items() if k in _DEPT_FIELDS}
    if library is not None and library.institution_id != institution.pk:
        raise RuleViolation("DIG-6", "the library belongs to another institution")
    code = (code or "").strip()
    if not code:
        raise RuleViolation("DIG-6", "a department needs a code", field="code")
    if not (values.get("name") or (dept and dept.name)):
        raise RuleViolation("DIG-6", "a department needs a name", field="name")
    served = list(served_libraries) if served_libraries is not None else None
    for lib in served or []:
        if lib.institution_id != institution.pk:
            raise RuleViolation("DIG-6", f"library {lib.code} belongs to another institution")
    with transaction.atomic():
        if dept is None:
            if DigitizationDepartment.objects.filter(institution=institution, code=code).exists():
                raise RuleViolation("DIG-6", f"a department with code {code} already exists", status=409)
            dept = DigitizationDepartment.objects.create(institution=institution, library=library, code=code, **values)
            audit.created(actor, dept)
            if library is not None and served is None:
                served = [library]
        else:
            if code != dept.code:
                raise RuleViolation("DIG-6", "the code of a department cannot change (operator roles are scoped to it)")
            audit.update(actor, dept, **values)
        if served is not None:
            before = sorted(dept.served_libraries.values_list("code", flat=True))
            dept.served_libraries.set(served)
            after = sorted(lib.code for lib in served)
            if before != after:
                audit.changed(actor, dept, {"served_libraries": [before, after]})
    return dept


def add_operator(actor: User, dept: DigitizationDepartment, user: User) -> None:
    """Adding an operator gives them the Work Order Operator role scoped to the department (DIG-6)."""
    ensure_can_configure(actor, dept.institution)
    if user.institution_id != dept.institution_id:
        raise RuleViolation("DIG-6", "an operator must belong to the department's institution")
    with transaction.atomic():
        dept.operators.add(user)
        assign_role(user, Role.WORK_ORDER_OPERATOR, department=dept.code, actor=actor)
        audit.event(actor, dept, "operator_added", note=user.username)


def remove_operator(actor: User, dept: DigitizationDepartment, user: User) -> None:
    ensure_can_configure(actor, dept.institution)
    with transaction.atomic():
        dept.operators.remove(user)
        for ra in RoleAssignment.objects.filter(user=user, role=Role.WORK_ORDER_OPERATOR, scope=Scope.DEPARTMENT,
                                                department=dept.code, institution=dept.institution):
            audit.deleted(actor, ra)
            ra.delete()
        user.__dict__.pop("_role_cache", None)
        audit.event(actor, dept, "operator_removed", note=user.username)


def save_desk(actor: User, library: Library, *, code: str, name: str, supports_digitization: bool,
              work_time_days: int | None) -> CirculationDesk:
    ensure_can_configure(actor, library.institution)
    with transaction.atomic():
        desk = CirculationDesk.objects.filter(library=library, code=code).first()
        if desk is None:
            desk = CirculationDesk.objects.create(library=library, code=code, name=name,
                                                  supports_digitization=supports_digitization, work_time_days=work_time_days)
            audit.created(actor, desk)
        else:
            audit.update(actor, desk, name=name, supports_digitization=supports_digitization, work_time_days=work_time_days)
    return desk


def set_patron_limit(actor: User, group: UserGroup, max_requests: int | None) -> PatronLimit:
    """DIG-7: 0 = no digitization requests for the group, ``None`` (empty) = unlimited."""
    ensure_can_configure(actor, group.institution)
    if max_requests is not None and max_requests < 0:
        raise RuleViolation("DIG-7", "a limit cannot be negative")
    with transaction.atomic():
        limit, created = PatronLimit.objects.get_or_create(user_group=group, defaults={"max_digitization_requests": max_requests})
        if created:
            audit.created(actor, limit)
        else:
            audit.update(actor, limit, max_digitization_requests=max_requests)
    return limit


def save_edd_rule(actor: User, institution: Institution, *, rule: EddRule | None = None, **values) -> EddRule:
    ensure_can_configure(actor, institution)
    values = {k: v for k, v in values.items() if k in ("name", "description", "position", "enabled", "user_groups", "allowed")}
    known = set(institution.user_groups.values_list("code", flat=True))
    unknown = [g for g in values.get("user_groups", []) if g not in known]
    if unknown:
        raise RuleViolation("DIG-8", f"unknown user group {', '.join(unknown)}", field="user_groups")
    return _save_rule(actor, EddRule, institution, rule, values, "DIG-8")


def _save_rule(actor: User, model, institution: Institution, rule, values: dict, rule_id: str):
    """Create a configuration rule (it needs a name) or change ``rule``, audited; ``rule_id`` is
    the rule a refusal names (DIG-8 EDD rules, DIG-9 digitization rules)."""
    with transaction.atomic():
        if rule is None:
            if not values.get("name"):
                raise RuleViolation(rule_id, "a rule needs a name", field="name")
            rule = model.objects.create(institution=institution, **values)
            audit.created(actor, rule)
        else:
            audit.update(actor, rule, **values)
    return rule


_RULE_FIELDS = ("name", "position", "enabled", "sources", "user_groups", "libraries", "target", "max_accesses",
                "approval_required", "copyright_required", "approval_mode", "approval_reason")


def save_digitization_rule(actor: User, institution: Institution, *, rule: DigitizationRule | None = None,
                           **values) -> DigitizationRule:
    """Create or change a digitization & copyright rule (DIG-9)."""
    ensure_can_configure(actor, institution)
    values = {k: v for k, v in values.items() if k in _RULE_FIELDS}
    merged = {f: getattr(rule, f) for f in _RULE_FIELDS} if rule else {}
    merged.update(values)
    if merged.get("target", Target.ATTACHMENT) not in Target.values:
        raise RuleViolation("DIG-9", "unknown digitization target", field="target")
    if merged.get("approval_mode", ApprovalMode.BLOCKING) not in ApprovalMode.values:
        raise RuleViolation("DIG-9", "unknown approval mode", field="approval_mode")
    if merged.get("target") == Target.LINK and not merged.get("max_accesses"):
        raise RuleViolation("DIG-9", "a link delivery needs the maximum number of accesses", field="max_accesses")
    if merged.get("approval_mode") == ApprovalMode.AUTOMATIC and not (merged.get("approval_reason") or "").strip():
        raise RuleViolation("DIG-9", "automatic approval needs an approval reason", field="approval_reason")
    if rule is not None and rule.is_default and values.get("enabled") is False:
        raise RuleViolation("DIG-9", "the default rule cannot be disabled")
    return _save_rule(actor, DigitizationRule, institution, rule, values, "DIG-9")


def save_form_field(actor: User, institution: Institution, field_code: str, *, display: bool, default: str = "") -> FormField:
    ensure_can_configure(actor, institution)
    if field_code not in FORM_FIELDS:
        raise RuleViolation("DIG-12", f"unknown form field {field_code!r}")
    with transaction.atomic():
        ff, created = FormField.objects.get_or_create(institution=institution, field=field_code,
                                                      defaults={"display": display, "default": default})
        if created:
            audit.created(actor, ff)
        else:
            audit.update(actor, ff, display=display, default=default)
    return ff


def save_display_rule(actor: User, institution: Institution, *, service: str, condition: str, active: bool = True,
                      rule: DisplayLogicRule | None = None) -> DisplayLogicRule:
    ensure_can_configure(actor, institution)
    if service not in Service.values or condition not in DisplayCondition.values:
        raise RuleViolation("DIG-5", "unknown service or condition")
    with transaction.atomic():
        if rule is None:
            rule = DisplayLogicRule.objects.create(institution=institution, service=service, condition=condition, active=active)
            audit.created(actor, rule)
        else:
            audit.update(actor, rule, service=service, condition=condition, active=active)
    return rule


def save_copyright_option(actor: User, institution: Institution, *, code: str, label: str, copyright_status: str) -> CopyrightOption:
    """DIG-3: map a copyright option (chosen on upload) to a copyright status."""
    ensure_can_configure(actor, institution)
    if copyright_status not in CopyrightStatus.values:
        raise RuleViolation("DIG-3", "unknown copyright status", field="copyright_status")
    with transaction.atomic():
        opt = CopyrightOption.objects.filter(institution=institution, code=code).first()
        if opt is None:
            opt = CopyrightOption.objects.create(institution=institution, code=code, label=label, copyright_status=copyright_status)
            audit.created(actor, opt)
        else:
            audit.update(actor, opt, label=label, copyright_status=copyright_status)
    return opt


def clearance_required_for_option(institution: Institution, option_code: str) -> bool:
    """DIG-3: True when uploading with this copyright option needs the clearance form."""
    opt = CopyrightOption.objects.filter(institution=institution, code=option_code).first()
    if opt is None:
        raise RuleViolation("DIG-3", f"unknown copyright option {option_code!r}", field="copyright_option")
    return opt.requires_clearance


# === the form (DIG-1, DIG-12) ============================================================

@dataclass
class RequestForm:
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    chapters: str = ""
    page_ranges: list[dict] = field(default_factory=list)
    include_images: bool = False
    notes: list[str] = field(default_factory=list)

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> "RequestForm":
        ranges = []
        for r in data.get("page_ranges") or []:
            if hasattr(r, "dict"):
                r = r.dict(by_alias=True)
            ranges.append({"from": r.get("from", r.get("from_")), "to": r.get("to")})
        notes = [n.strip() for n in (data.get("notes") or []) if n and n.strip()]
        return cls(start_date=data.get("start_date"), end_date=data.get("end_date"), chapters=(data.get("chapters") or "").strip(),
                   page_ranges=ranges, include_images=bool(data.get("include_images")), notes=notes)

    def validate(self, rule: str = "DIG-1") -> None:
        if len(self.page_ranges) > MAX_PAGE_RANGES:
            raise RuleViolation(rule, f"at most {MAX_PAGE_RANGES} page ranges ({len(self.page_ranges)} given)", field="page_ranges")
        for n, r in enumerate(self.page_ranges, 1):
            lo, hi = r.get("from"), r.get("to")
            try:
                lo, hi = int(lo), int(hi)
            except (TypeError, ValueError):
                raise RuleViolation(rule, f"page range {n}: from and to must be page numbers", field="page_ranges")
            if lo < 1 or hi < 1:
                raise RuleViolation(rule, f"page range {n}: pages are positive numbers", field="page_ranges")
            if lo > hi:
                raise RuleViolation(rule, f"page range {n} is reversed: {lo} comes after {hi}", field="page_ranges")
            r["from"], r["to"] = lo, hi
        if len(self.notes) > MAX_NOTES:
            raise RuleViolation(rule, f"at most {MAX_NOTES} notes ({len(self.notes)} given)", field="notes")
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise RuleViolation(rule, "the end date is before the start date", field="end_date")


def form_config(institution: Institution) -> dict[str, dict]:
    """DIG-12: each optional field of the patron form, shown or not, with its default."""
    rows = {f.field: f for f in FormField.objects.filter(institution=institution)}
    return {name: {"display": rows[name].display if name in rows else True,
                   "default": rows[name].default if name in rows else ""} for name in FORM_FIELDS}


def _apply_form_config(institution: Institution, data: dict) -> dict:
    """Hidden fields take their configured default; shown fields keep what the patron entered."""
    data = dict(data)
    for name, conf in form_config(institution).items():
        if conf["display"]:
            if name == "include_images" and data.get(name) is None and conf["default"]:
                data[name] = conf["default"].lower() in ("1", "true", "yes", "on")
            continue
        default = conf["default"]
        if name == "pages":
            data["page_ranges"] = []
        elif name == "include_images":
            data[name] = default.lower() in ("1", "true", "yes", "on")
        elif name == "notes":
            data[name] = [default] if default else []
        elif name in ("start_date", "end_date"):
            data[name] = dt.date.fromisoformat(default) if default else None
        else:
            data[name] = default
    return data


# === rules that decide (DIG-6..9) ======================================================

def route(institution: Institution, library: Library | None) -> tuple[DigitizationDepartment | None, CirculationDesk | None]:
    """DIG-6: the active department that serves the item's library, else a desk supporting
    digitization.  Inactive departments are skipped (an inactive whole-institution default
    department lets the work go to the circulation desks)."""
    depts = list(DigitizationDepartment.objects.filter(institution=institution, active=True).prefetch_related("served_libraries"))
    if library is not None:
        for d in depts:
            if d.library_id == library.pk:
                return d, None
        for d in depts:
            if d.library_id is None and any(lib.pk == library.pk for lib in d.served_libraries.all()):
                return d, None
        for d in depts:
            if d.library_id is None and not d.served_libraries.all():
                return d, None
        desk = CirculationDesk.objects.filter(library=library, supports_digitization=True).order_by("code").first()
        if desk is not None:
            return None, desk
        raise RuleViolation("DIG-6", f"no digitization department or circulation desk serves {library.name}")
    for d in depts:
        if d.library_id is None and not d.served_libraries.all():
            return d, None
    for d in depts:
        if d.library_id is None:
            return d, None
    raise RuleViolation("DIG-6", "no institution-level digitization department handles requests without items")


def choose_rule(institution: Institution, *, source: str, user: User, library: Library | None) -> DigitizationRule:
    """DIG-9: the first enabled rule that matches; the default rule ends the list."""
    for rule in DigitizationRule.objects.filter(institution=institution):
        if (rule.enabled or rule.is_default) and rule.matches(source=source, user=user, library=library):
            return rule
    return ensure_defaults_rule(institution)


def ensure_defaults_rule(institution: Institution) -> DigitizationRule:
    ensure_defaults(institution)
    return DigitizationRule.objects.get(institution=institution, is_default=True)


def check_edd(user: User, institution: Institution) -> EddRule:
    """DIG-8: the first enabled matching rule decides; no matching rule → not allowed."""
    for rule in EddRule.objects.filter(institution=institution, enabled=True):
        if rule.matches(user):
            if not rule.allowed:
                raise RuleViolation("DIG-8", f"electronic document delivery is not allowed for {_group(user)} (rule {rule.name})",
                                    status=403)
            return rule
    raise RuleViolation("DIG-8", f"no electronic document delivery rule allows {_group(user)}", status=403)


def _group(user: User) -> str:
    return f"user group {user.user_group.name}" if user.user_group_id else "users without a user group"


def check_patron_limit(user: User, institution: Institution | None = None) -> None:
    """DIG-7, inside the caller's transaction after locking the requester's row.  For a request to
    another member of the consortium (CON-4, ``institution``), that member's limit of the user
    group with the same code applies."""
    if institution is not None and user.user_group_id and institution.pk != user.institution_id:
        limit = PatronLimit.objects.filter(user_group__institution=institution, user_group__code=user.user_group.code).first()
    else:
        limit = PatronLimit.objects.filter(user_group_id=user.user_group_id).first() if user.user_group_id else None
    if limit is None or limit.max_digitization_requests is None:
        return
    if limit.max_digitization_requests == 0:
        raise RuleViolation("DIG-7", f"{_group(user)} may not place digitization requests", status=403)
    n = DigitizationRequest.objects.filter(requester=user, status__in=OPEN_STATUSES, source__in=(Source.PATRON, Source.STAFF)).count()
    if n >= limit.max_digitization_requests:
        raise RuleViolation("DIG-7", f"at most {limit.max_digitization_requests} simultaneous digitization requests for "
                                     f"{_group(user)} ({n} open)", status=409)


def _lock(user: User) -> None:
    User.objects.select_for_update().filter(pk=user.pk).first()


def _work_due(req: DigitizationRequest, start: dt.datetime | None = None) -> dt.datetime | None:
    """The end of the work time, counted from ``start`` (default: the request's creation)."""
    start = start or req.created_at
    unit = req.work_unit
    days = unit.work_time_days if unit is not None else None
    if not days:
        return None
    lib = req.library or (req.desk.library if req.desk_id else None) or (req.department.library if req.department_id else None)
    if lib is None and req.department_id:
        lib = req.department.served_libraries.first()
    lib = lib or req.institution.libraries.first()
    if lib is None:
        return start + dt.timedelta(days=days)
    return calendar.add_library_days_to_datetime(lib, start, days)


# === creating requests ==================================================================

def _letter_context(req: DigitizationRequest, **extra) -> dict:
    return {"patron": req.requester.get_full_name() or req.requester.username, "title": req.title, "request": req.pk, **extra}


def _start(actor: User | None, req: DigitizationRequest, rule: DigitizationRule) -> DigitizationRequest:
    """Apply the rule (DIG-9) and set the first state, then save and audit."""
    req.rule = rule
    req.target, req.max_accesses, req.approval_mode = rule.target, rule.max_accesses, rule.approval_mode
    now = clock.now()
    req.created_at = req.updated_at = now
    mode = rule.approval_mode
    stopped = auto_approval.blocked(req) if mode == ApprovalMode.AUTOMATIC else None
    if stopped:
        # a registered check (e.g. the CLA licence, SRV-2) forbids it: a manager decides
        mode = req.approval_mode = ApprovalMode.BLOCKING
    if req.kind == Kind.COPYRIGHT:
        # DIG-2: the clearance task is the request itself
        if mode == ApprovalMode.AUTOMATIC:
            req.copyright, req.copyright_reason, req.status, req.closed_at = TaskStatus.APPROVED, rule.approval_reason, Status.COMPLETED, now
        else:
            req.copyright, req.status = TaskStatus.PENDING, Status.PENDING_COPYRIGHT
    else:
        auto = mode == ApprovalMode.AUTOMATIC
        if rule.approval_required:
            req.approval = TaskStatus.APPROVED if auto else TaskStatus.PENDING
            req.approval_reason = rule.approval_reason if auto else ""
        if rule.copyright_required or stopped:
            req.copyright = TaskStatus.APPROVED if auto else TaskStatus.PENDING
            req.copyright_reason = rule.approval_reason if auto else ""
        pending = TaskStatus.PENDING in (req.approval, req.copyright)
        if pending and mode == ApprovalMode.BLOCKING:
            req.status = Status.PENDING_APPROVAL
        else:
            req.status = Status.PICK_FROM_SHELF if req.item_id else Status.IN_DIGITIZATION
    req.save()
    req.due_at = _work_due(req) if req.is_open else None
    req.save(update_fields=["due_at"])
    audit.created(actor, req)
    if stopped:
        audit.event(None, req, "auto_approval_stopped", note=stopped)
    if mode == ApprovalMode.AUTOMATIC and (rule.approval_required or rule.copyright_required or req.kind == Kind.COPYRIGHT):
        audit.event(None, req, "auto_approved", note=rule.approval_reason)
    if req.kind == Kind.COPYRIGHT and req.status == Status.COMPLETED:
        queue_letter("copyright_request_approved", req.requester, _letter_context(req, reason=req.copyright_reason),
                     key=f"dig:{req.pk}:copyright_approved", institution=req.institution)
    return req


def _pick_item(record: Record, item: Item | None) -> Item | None:
    if item is not None:
        if item.record_id != record.pk:
            raise RuleViolation("DIG-5", "the item does not belong to this record")
        return item
    items = list(record.items.select_related("library").order_by("id"))
    return next((i for i in items if i.is_available), items[0] if items else None)


def services_for_record(user: User, record: Record) -> list[dict]:
    """DIG-5: which digitization services the record offers this user, and why not when hidden."""
    items = list(record.items.all())
    full_text = record.eresources.exists() or record.representations.filter(active=True, discoverable=True).exists()
    requestable = any(i.is_available for i in items)
    offered = {
        Service.DIGITIZATION: not items or all(not i.description.strip() for i in items),
        Service.GENERAL_DIGITIZATION: not items,
    }
    hides = list(DisplayLogicRule.objects.filter(institution=record.institution, active=True))
    out = []
    for service, shown in offered.items():
        reason = "" if shown else ("the items have descriptions: choose an item" if service == Service.DIGITIZATION
                                   else "the record has items")
        # a display logic rule hides the service whatever else holds (also for a request of one item)
        hidden = False
        for rule in hides:
            if rule.service != service:
                continue
            if (rule.condition == DisplayCondition.ALWAYS or (rule.condition == DisplayCondition.ITEM_REQUESTABLE and requestable)
                    or (rule.condition == DisplayCondition.FULL_TEXT_AVAILABLE and full_text)):
                shown, hidden, reason = False, True, f"hidden by display logic: {rule.get_condition_display()}"
                break
        out.append({"service": service, "label": Service(service).label, "available": shown, "reason": reason,
                    "hidden": hidden, "choose_item": service == Service.DIGITIZATION and not shown and not hidden})
    return out


def request_from_record(actor: User, record: Record, data: dict, *, service: str = Service.DIGITIZATION,
                        item: Item | None = None, on_behalf_of: User | None = None,
                        consortium_member: bool = False) -> DigitizationRequest:
    """A patron's digitization request from the catalog (DIG-5), or staff on the patron's behalf (DIG-10).

    ``consortium_member`` (CON-4, the consortium app's cross-member request): the requester
    belongs to another member of the record's consortium; the record's member handles the request
    under its own rules (EDD, digitization rules, routing, its patron limits) and delivers it to
    the requester."""
    requester = on_behalf_of or actor
    if on_behalf_of is not None:
        if not can_request_on_behalf(actor, record.institution):
            raise PermissionDenied("DIG-10", "only a Fulfillment Services Operator creates requests on a patron's behalf")
        if on_behalf_of.institution_id != record.institution_id:
            raise NotFound("DIG-10", "no such patron")
    if requester.institution_id != record.institution_id and not (
            consortium_member and on_behalf_of is None and requester.institution is not None
            and requester.institution.consortium_id == record.institution.consortium_id):
        raise NotFound()
    if service not in Service.values:
        raise RuleViolation("DIG-5", "unknown service")
    offered = {s["service"]: s for s in services_for_record(requester, record)}[service]
    # DIG-5: display logic applies to title- and item-level requests alike; choosing an item
    # only answers "the items have descriptions"
    if not offered["available"] and not (offered["choose_item"] and item is not None):
        raise RuleViolation("DIG-5", f"{offered['label']} is not offered for this record: {offered['reason']}")
    form = RequestForm.from_data(_apply_form_config(record.institution, data))
    form.validate("DIG-1")
    item = _pick_item(record, item) if service == Service.DIGITIZATION else None
    library = item.library if item else None
    source = Source.STAFF if on_behalf_of is not None else Source.PATRON
    with transaction.atomic():
        _lock(requester)
        check_edd(requester, record.institution)
        check_patron_limit(requester, record.institution)
        dept, desk = route(record.institution, library)
        rule = choose_rule(record.institution, source=source, user=requester, library=library)
        req = DigitizationRequest(institution=record.institution, kind=Kind.DIGITIZATION, source=source, service=service,
                                  requester=requester, created_by=actor, record=record, item=item, title=record.title,
                                  library=library, department=dept, desk=desk, **form.__dict__)
        return _start(actor, req, rule)


def request_for_course(actor: User, *, kind: str, institution: Institution, record: Record | None, course,
                       citation_id: int | None, title: str, data: dict, library: Library | None = None,
                       representation: Representation | None = None) -> DigitizationRequest:
    """The library side of an instructor's request from a citation (DIG-1/DIG-2); the citation's
    preconditions are checked by :mod:`syllabus.fulfillment.citations` before this is called."""
    form = RequestForm.from_data(data)
    form.validate("DIG-1" if kind == Kind.DIGITIZATION else "DIG-2")
    item = _pick_item(record, None) if (record is not None and kind == Kind.DIGITIZATION) else None
    library = item.library if item else library
    with transaction.atomic():
        rule_id = "DIG-1" if kind == Kind.DIGITIZATION else "DIG-2"
        duplicate = RuleViolation(rule_id, f"this citation already has an open {Kind(kind).label.lower()} request", status=409)
        if citation_id is not None and DigitizationRequest.objects.filter(
                citation_id=citation_id, kind=kind, status__in=OPEN_STATUSES).exists():
            raise duplicate
        dept, desk = route(institution, library)
        rule = choose_rule(institution, source=Source.COURSE, user=actor, library=library)
        req = DigitizationRequest(institution=institution, kind=kind, source=Source.COURSE, requester=actor, created_by=actor,
                                  record=record, item=item, citation_id=citation_id, course=course, title=title,
                                  library=library, department=dept, desk=desk, representation=representation, **form.__dict__)
        try:
            with transaction.atomic():  # the partial unique index closes the race between two instructors
                return _start(actor, req, rule)
        except IntegrityError:
            raise duplicate from None


# === staff workflow (DIG-10) =============================================================

def _get_locked(req: DigitizationRequest) -> DigitizationRequest:
    return DigitizationRequest.objects.select_for_update(of=("self",)).select_related(
        "institution", "requester", "library", "department", "desk__library", "representation").get(pk=req.pk)


def _move(actor: User | None, req: DigitizationRequest, action: str, note: str = "", **values) -> DigitizationRequest:
    target = workflow.next_state(req.status, action)
    old = req.status
    if target == workflow.RELEASE:
        target = Status.PENDING_APPROVAL if TaskStatus.PENDING in (values.get("approval", req.approval),
                                                                   values.get("copyright", req.copyright)) else (
            Status.PICK_FROM_SHELF if req.item_id else Status.IN_DIGITIZATION)
    elif target == workflow.SAME:
        target = old
    if target in (Status.COMPLETED, Status.REJECTED, Status.CANCELLED, Status.EXPIRED):
        values["closed_at"] = clock.now()
        values["due_at"] = None
    elif _waits_on_library(old, req.approval, req.copyright) and not _waits_on_library(
            target, values.get("approval", req.approval), values.get("copyright", req.copyright)):
        # DIG-6: the work time counts only while the work is with the operators: a request the
        # library kept waiting (blocking approval, or a scan whose approvals were pending in
        # parallel mode) gets its full work time again from the moment it is released
        values["due_at"] = _work_due(req, clock.now())
    values["status"] = target
    changes = audit.update(actor, req, note=note, **values)
    audit.event(actor, req, action, note=note, changes={"status": [old, target]} if "status" not in changes else None)
    return req


def _deny(rule: str, detail: str):
    raise PermissionDenied(rule, detail)


def _drop_file(actor, req: DigitizationRequest) -> None:
    """Parallel mode: a rejected request's file is deleted (DIG-9)."""
    rep = req.representation
    if rep is None:
        return
    if req.source == Source.COURSE and req.kind == Kind.COPYRIGHT:
        return  # the instructor's own upload: not ours to delete
    audit.deleted(actor, rep, note=f"file of rejected digitization request #{req.pk}")
    if rep.file:
        rep.file.delete(save=False)
    req.representation = None
    req.save(update_fields=["representation"])
    rep.delete()


def _pending_task(req: DigitizationRequest, copyright: bool) -> str:
    """The task a manager decides on ("approval" or "copyright"); it must be pending (DIG-10)."""
    task = "copyright" if copyright else "approval"
    if getattr(req, task) != TaskStatus.PENDING:
        raise RuleViolation("DIG-10", f"there is no pending {task} task on this request", status=409)
    return task


def _tell_the_citation(actor: User, req: DigitizationRequest) -> None:
    """A course request's decision shows on its citation (copyright status, file)."""
    if req.citation_id is not None:
        from .citations import after_copyright_decision

        after_copyright_decision(actor, req)


def _decide(actor: User, req: DigitizationRequest, verb: str, outcome: str, *, copyright: bool, reason: str,
            **extra) -> DigitizationRequest:
    """Move the pending approval (or copyright) task to `outcome` — a Fulfillment Services Manager's
    decision (DIG-10); the caller holds the transaction."""
    if not can_decide(actor, req):
        _deny("DIG-10", f"only a Fulfillment Services Manager {verb}s digitization and copyright tasks")
    req = _get_locked(req)
    task = _pending_task(req, copyright)
    return _move(actor, req, f"{verb}_copyright" if copyright else verb, note=reason,
                 **{task: outcome, f"{task}_reason": reason}, **extra)


def approve(actor: User, req: DigitizationRequest, *, copyright: bool = False, reason: str = "") -> DigitizationRequest:
    """Approve the request (or its copyright clearance) — Fulfillment Services Manager (DIG-10)."""
    with transaction.atomic():
        req = _decide(actor, req, "approve", TaskStatus.APPROVED, copyright=copyright, reason=reason)
        _activate_if_cleared(actor, req)
        _tell_the_citation(actor, req)
        if copyright and req.status == Status.COMPLETED:
            queue_letter("copyright_request_approved", req.requester, _letter_context(req, reason=reason),
                         key=f"dig:{req.pk}:copyright_approved", institution=req.institution)
    return req


def _cleared(req: DigitizationRequest) -> bool:
    return req.approval in (TaskStatus.NOT_REQUIRED, TaskStatus.APPROVED) and \
        req.copyright in (TaskStatus.NOT_REQUIRED, TaskStatus.APPROVED)


def _activate_if_cleared(actor, req: DigitizationRequest) -> None:
    rep = req.representation
    if rep is not None and not rep.active and _cleared(req) and req.kind == Kind.DIGITIZATION:
        audit.update(actor, rep, active=True, note=f"approved digitization request #{req.pk}")


def reject(actor: User, req: DigitizationRequest, *, copyright: bool = False, reason: str = "") -> DigitizationRequest:
    with transaction.atomic():
        req = _decide(actor, req, "reject", TaskStatus.REJECTED, copyright=copyright, reason=reason,
                      status_note=reason)
        _drop_file(actor, req)
        _tell_the_citation(actor, req)
        queue_letter("digitization_request_rejected", req.requester, _letter_context(req, reason=reason or "—"),
                     key=f"dig:{req.pk}:rejected", institution=req.institution)
    return req


def _ensure_operator(actor: User, req: DigitizationRequest, what: str) -> None:
    if not can_work_on(actor, req):
        where = req.work_unit.name if req.work_unit else "the department"
        _deny("DIG-10", f"only a Work Order Operator of {where} may {what}")


def pick(actor: User, req: DigitizationRequest) -> DigitizationRequest:
    """The item was taken from the shelf (pick-from-shelf list)."""
    if not can_pick(actor, req):
        _deny("DIG-10", "only a Work Order Operator of the department or a Requests Operator of the library picks from shelf")
    with transaction.atomic():
        return _move(actor, _get_locked(req), "pick")


def attach_file(actor: User, req: DigitizationRequest, upload: File, *, label: str = "") -> DigitizationRequest:
    """Scan & attach: the file becomes a representation, inactive until the request is approved (parallel mode)."""
    _ensure_operator(actor, req, "attach files")
    if upload is None or not getattr(upload, "size", 0):
        raise RuleViolation("DIG-10", "choose a non-empty file to attach", field="file")
    with transaction.atomic():
        req = _get_locked(req)
        workflow.next_state(req.status, "attach_file")
        if req.record_id is None:
            raise RuleViolation("DIG-10", "this request has no catalog record to attach a file to")
        old = req.representation
        rep = Representation(record_id=req.record_id, library=req.library or req.institution.libraries.order_by("pk").first(),
                             label=label or f"Digitization request #{req.pk}: {req.title[:200]}",
                             # what the bytes are, never what the uploader claimed (§12 uploads)
                             mime_type=files.sniff(upload),
                             active=_cleared(req),
                             # a delivery copy is the requester's, not the catalog's: only the inventory target publishes it
                             discoverable=req.target == Target.INVENTORY)
        rep.file.save(getattr(upload, "name", "scan.pdf").rsplit("/", 1)[-1], upload, save=False)
        rep.save()
        audit.event(actor, rep, "created", note=f"scan of digitization request #{req.pk}: {rep.file.name}")
        req = _move(actor, req, "attach_file", representation=rep)
        if old is not None and old.pk != rep.pk:
            audit.deleted(actor, old, note="replaced by a new scan")
            if old.file:
                old.file.delete(save=False)
            old.delete()
    return req


def deliver(actor: User, req: DigitizationRequest, *, base_url: str = "") -> DigitizationRequest:
    """Send the file (attachment, link with max accesses, or into digital inventory) and tell the requester."""
    _ensure_operator(actor, req, "deliver")
    with transaction.atomic():
        req = _get_locked(req)
        workflow.next_state(req.status, "deliver")
        if req.approval == TaskStatus.PENDING:
            raise RuleViolation("DIG-9", "the request waits for approval: the file is sent only once it is approved", status=409)
        if req.copyright == TaskStatus.PENDING:
            raise RuleViolation("DIG-9", "the copyright clearance is still pending", status=409)
        if req.representation is None:
            raise RuleViolation("DIG-10", "attach the scanned file before delivering", status=409)
        _activate_if_cleared(actor, req)
        req = _move(actor, req, "deliver", delivered_at=clock.now())
        if req.citation_id is not None:
            from .citations import after_delivery

            after_delivery(actor, req)
        from django.urls import reverse

        if req.target == Target.LINK:
            link = base_url + reverse("fulfillment:link", args=[req.access_token])
            queue_letter("document_delivery_notification", req.requester,
                         _letter_context(req, link=link, max_accesses=req.max_accesses or ""),
                         key=f"dig:{req.pk}:delivered", institution=req.institution)
        else:
            link = base_url + reverse("fulfillment:download", args=[req.pk])
            code = "ful_digitization_notification_item" if req.target == Target.ATTACHMENT else "digitization_request_delivered"
            from syllabus.notify.services import file_attachment

            file_name = req.representation.file.name.rsplit("/", 1)[-1]
            # "Document delivery – attachment": the scan goes with the e-mail (OUT-2: a link above the size limit)
            attachments = [file_attachment(req.representation.file, filename=file_name, link=link,
                                           content_type=files.served_type(req.representation.mime_type))] if req.target == Target.ATTACHMENT else None
            queue_letter(code, req.requester, _letter_context(req, link=link, file_name=file_name),
                         key=f"dig:{req.pk}:delivered", institution=req.institution, attachments=attachments)
    return req


def complete(actor: User, req: DigitizationRequest) -> DigitizationRequest:
    _ensure_operator(actor, req, "complete requests")
    with transaction.atomic():
        return _move(actor, _get_locked(req), "complete")


def cancel(actor: User, req: DigitizationRequest, *, reason: str = "") -> DigitizationRequest:
    """Cancel: the department's Work Order Operator, or the requester while the request is open."""
    own = actor.pk == req.requester_id
    if not own:
        _ensure_operator(actor, req, "cancel requests")
    with transaction.atomic():
        req = _get_locked(req)
        req = _move(actor, req, "cancel", note=reason, status_note=reason)
        if req.representation is not None and not req.representation.active:
            _drop_file(actor, req)
        if not own:
            queue_letter("digitization_request_cancelled", req.requester, _letter_context(req, reason=reason or "—"),
                         key=f"dig:{req.pk}:cancelled", institution=req.institution)
    return req


# DIG-6: the states in which the work is with the department's (or desk's) operators.  A request
# waiting on the library — a manager's approval in blocking mode, a copyright clearance, or a
# scanned file whose approvals are still pending — does not run out of work time.
_OPERATOR_WORK = Q(status__in=(Status.PICK_FROM_SHELF, Status.IN_DIGITIZATION)) | (
    Q(status=Status.FILE_ATTACHED) & ~Q(approval=TaskStatus.PENDING) & ~Q(copyright=TaskStatus.PENDING))


def _waits_on_library(status: str, approval: str, copyright: str) -> bool:
    """DIG-6: the request is open but waits on a manager's approval or a copyright clearance
    (the complement of :data:`_OPERATOR_WORK` among open states): its work time does not run."""
    return status in (Status.PENDING_APPROVAL, Status.PENDING_COPYRIGHT) or (
        status == Status.FILE_ATTACHED and TaskStatus.PENDING in (approval, copyright))


def expire_overdue(now: dt.datetime) -> int:
    """DIG-6: requests whose work is with the operators and not done within their work time
    expire; the requester is told."""
    moved = 0
    due = DigitizationRequest.objects.filter(_OPERATOR_WORK, due_at__lte=now)
    for pk in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            req = DigitizationRequest.objects.select_for_update(of=("self",)).select_related(
                "institution", "requester", "representation").filter(_OPERATOR_WORK, pk=pk, due_at__lte=now).first()
            if req is None:
                continue
            unit = req.work_unit
            _move(None, req, "expire", note=f"work time of {unit.work_time_days if unit else '?'} library days passed",
                  status_note="work time passed")
            if req.representation is not None and not req.representation.active:
                _drop_file(None, req)
            queue_letter("digitization_request_expired", req.requester,
                         _letter_context(req, days=unit.work_time_days if unit else ""),
                         key=f"dig:{req.pk}:expired", institution=req.institution)
            moved += 1
    return moved


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
        from .citations import list_of_citation

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
        if via_link != req.access_token:
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
