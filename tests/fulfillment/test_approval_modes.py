"""Acceptance 2 (DIG-9, DIG-10, DIG-11): one test per approval mode, walking the request to
delivered or rejected, checking the file's active flag and the letters sent."""
import re

import pytest

from syllabus.catalog.models import Representation
from syllabus.core import audit
from syllabus.fulfillment import services
from syllabus.fulfillment.models import DigitizationRequest, Status, TaskStatus
from syllabus.notify.models import OutboxMessage
from syllabus.org.models import hash_token

pytestmark = pytest.mark.django_db


def _letters(user):
    return list(OutboxMessage.objects.filter(recipient=user, channel="email").order_by("id").values_list("letter", flat=True))


def test_parallel_mode_file_stays_inactive_until_approved_then_is_delivered_as_attachment(
        default_rule, patron_request, student, operator, manager, scan, clock):
    default_rule(approval_required=True, approval_mode="parallel", target="attachment")
    req = patron_request()
    assert req.status == Status.PICK_FROM_SHELF and req.approval == TaskStatus.PENDING  # work starts at once

    services.pick(operator, req)
    req = services.attach_file(operator, req, scan())
    assert req.status == Status.FILE_ATTACHED
    assert req.representation.active is False  # kept inactive until approved
    with pytest.raises(services.RuleViolation) as exc:
        services.deliver(operator, req)
    assert exc.value.rule == "DIG-9"

    req = services.approve(manager, req, reason="course use")
    req.representation.refresh_from_db()
    assert req.representation.active is True and req.approval == TaskStatus.APPROVED

    req = services.deliver(operator, req, base_url="http://testserver")
    assert req.status == Status.DELIVERED
    assert _letters(student) == ["ful_digitization_notification_item"]
    body = OutboxMessage.objects.get(recipient=student, channel="email").body
    assert f"http://testserver/services/requests/{req.pk}/file/" in body

    req = services.complete(operator, req)
    assert req.status == Status.COMPLETED


def test_parallel_mode_rejection_deletes_the_file(default_rule, patron_request, student, operator, manager, scan):
    default_rule(approval_required=True, approval_mode="parallel")
    req = patron_request()
    services.pick(operator, req)
    req = services.attach_file(operator, req, scan())
    rep_pk, path = req.representation.pk, req.representation.file.path
    req = services.reject(manager, req, reason="exceeds 10% of the book")
    assert req.status == Status.REJECTED and req.representation is None
    assert not Representation.objects.filter(pk=rep_pk).exists()
    import os
    assert not os.path.exists(path)
    assert _letters(student) == ["digitization_request_rejected"]
    assert "exceeds 10% of the book" in OutboxMessage.objects.get(recipient=student, channel="email").body


def test_blocking_mode_holds_the_work_until_approval_and_copyright_are_given(
        default_rule, patron_request, student, operator, manager, scan):
    default_rule(approval_required=True, copyright_required=True, approval_mode="blocking", target="link", max_accesses=3)
    req = patron_request()
    assert req.status == Status.PENDING_APPROVAL
    with pytest.raises(services.RuleViolation) as exc:
        services.pick(operator, req)
    assert exc.value.rule == "DIG-10" and exc.value.status == 409
    with pytest.raises(services.RuleViolation):
        services.attach_file(operator, req, scan())

    req = services.approve(manager, req)
    assert req.status == Status.PENDING_APPROVAL  # copyright still pending
    req = services.approve(manager, req, copyright=True)
    assert req.status == Status.PICK_FROM_SHELF

    services.pick(operator, req)
    req = services.attach_file(operator, req, scan())
    assert req.representation.active is True
    req = services.deliver(operator, req, base_url="http://testserver")
    assert req.status == Status.DELIVERED
    assert _letters(student) == ["document_delivery_notification"]
    body = OutboxMessage.objects.get(recipient=student, channel="email").body
    link = re.search(r"/services/d/([A-Za-z0-9_-]+)/", body)
    assert link and DigitizationRequest.objects.get(pk=req.pk).access_token_hash == hash_token(link.group(1))


def test_blocking_mode_rejection_before_any_work(default_rule, patron_request, student, manager):
    default_rule(approval_required=True, approval_mode="blocking")
    req = services.reject(manager, patron_request(), reason="not in our collection policy")
    assert req.status == Status.REJECTED and req.approval == TaskStatus.REJECTED
    assert _letters(student) == ["digitization_request_rejected"]


def test_automatic_mode_records_the_approval_with_its_reason(default_rule, patron_request, student, operator, scan):
    default_rule(approval_required=True, copyright_required=True, approval_mode="automatic",
                 approval_reason="Fair dealing: under 10%")
    req = patron_request()
    assert req.approval == TaskStatus.APPROVED and req.approval_reason == "Fair dealing: under 10%"
    assert req.copyright == TaskStatus.APPROVED
    assert req.status == Status.PICK_FROM_SHELF
    assert any(e.action == "auto_approved" and e.note == "Fair dealing: under 10%" for e in audit.trail(req))

    services.pick(operator, req)
    req = services.attach_file(operator, req, scan())
    assert req.representation.active is True
    req = services.deliver(operator, req)
    assert req.status == Status.DELIVERED
    assert _letters(student) == ["ful_digitization_notification_item"]


def test_automatic_mode_needs_a_reason(default_rule):
    with pytest.raises(services.RuleViolation) as exc:
        default_rule(approval_mode="automatic", approval_reason="", approval_required=True)
    assert exc.value.rule == "DIG-9"


def test_digital_inventory_target_activates_a_representation(default_rule, patron_request, student, operator, scan):
    default_rule(target="inventory")
    req = patron_request()
    services.pick(operator, req)
    req = services.deliver(operator, services.attach_file(operator, req, scan()))
    assert req.representation.active and req.representation.record_id == req.record_id
    assert _letters(student) == ["digitization_request_delivered"]
