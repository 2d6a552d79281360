"""The staff workflow (DIG-10): approve, reject, pick, scan, deliver, complete, cancel — each step of ``workflow.py``'s table."""
from __future__ import annotations

import datetime as dt

from django.core.files.base import File
from django.db import transaction
from django.db.models import Q

from syllabus.catalog.models import Representation
from syllabus.core import audit, clock, files
from syllabus.core.errors import PermissionDenied, RuleViolation
from syllabus.notify.services import queue_letter
from syllabus.org.models import User, hash_token

from syllabus.fulfillment import workflow
from syllabus.fulfillment.permissions import (
    can_decide, can_pick, can_work_on,
)
from syllabus.fulfillment.models import (
    DigitizationRequest, Kind, Source, Status, TaskStatus, Target, _token,
)
from .rules import _work_due
from .requests import _letter_context


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
        from syllabus.fulfillment.citations import after_copyright_decision

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
            from syllabus.fulfillment.citations import after_delivery

            after_delivery(actor, req)
        from django.urls import reverse

        if req.target == Target.LINK:
            # DIG-9/SEC-KEY: the link's token is made now and lives only in the letter; the row keeps its hash
            token = _token()
            req.access_token_hash = hash_token(token)
            DigitizationRequest.objects.filter(pk=req.pk).update(access_token_hash=req.access_token_hash)
            link = base_url + reverse("fulfillment:link", args=[token])
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
