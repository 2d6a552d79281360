"""Creating requests: from a catalog record (DIG-5, on a patron's behalf DIG-10) and from a list's citation."""
from __future__ import annotations


from django.db import IntegrityError, transaction

from syllabus.catalog import availability
from syllabus.catalog.models import Item, Record, Representation
from syllabus.core import audit, clock
from syllabus.core.errors import NotFound, PermissionDenied, RuleViolation
from syllabus.notify.services import queue_letter
from syllabus.org.models import Institution, Library, User

from syllabus.fulfillment import auto_approval
from syllabus.fulfillment.permissions import (
    can_request_on_behalf,
)
from syllabus.fulfillment.models import (
    OPEN_STATUSES, ApprovalMode,
    DigitizationRequest, DigitizationRule,
    DisplayCondition, DisplayLogicRule, Kind, Service, Source, Status, TaskStatus,
)
from .form import RequestForm, _apply_form_config
from .rules import _lock, _work_due, check_edd, check_patron_limit, choose_rule, route


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
    availability.mark_held(items)   # DSV-6: a copy on a hold shelf is kept for its reader, not scanned
    return next((i for i in items if i.is_available), items[0] if items else None)


def services_for_record(user: User, record: Record) -> list[dict]:
    """DIG-5: which digitization services the record offers this user, and why not when hidden."""
    items = list(record.items.all())
    availability.mark_held(items)
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
