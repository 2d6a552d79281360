"""Acceptance 4 (DIG-6): a request left past its department's work time, counted in library
days, expires on ``tick`` and the requester is told."""
import datetime as dt

import pytest

from syllabus.core.tasks import run_tick
from syllabus.fulfillment.models import Status
from syllabus.notify.models import OutboxMessage
from syllabus.org.models import ClosedDate

pytestmark = pytest.mark.django_db


def test_request_expires_after_work_time_in_library_days_and_requester_is_told(
        clock, patron_request, student, dept, library_a):
    dept.work_time_days = 3
    dept.save()
    # Monday 2 March 09:00; Wednesday 4 March is a closed day: 3 library days = Tue, Thu, Fri
    ClosedDate.objects.create(library=library_a, start=dt.date(2026, 3, 4), end=dt.date(2026, 3, 4))
    req = patron_request()
    assert req.due_at == dt.datetime(2026, 3, 6, 9, 0, tzinfo=dt.timezone.utc)

    clock.set_now(dt.datetime(2026, 3, 6, 8, 59, tzinfo=dt.timezone.utc))
    assert run_tick()["fulfillment.expire_digitization_requests"] == 0
    req.refresh_from_db()
    assert req.status == Status.PICK_FROM_SHELF

    clock.set_now(dt.datetime(2026, 3, 6, 9, 0, tzinfo=dt.timezone.utc))
    assert run_tick()["fulfillment.expire_digitization_requests"] == 1
    req.refresh_from_db()
    assert req.status == Status.EXPIRED and req.due_at is None
    msg = OutboxMessage.objects.get(recipient=student, channel="email")
    assert msg.letter == "digitization_request_expired" and "3 library days" in msg.body
    # idempotent: a second tick moves nothing and sends nothing
    assert run_tick()["fulfillment.expire_digitization_requests"] == 0
    assert OutboxMessage.objects.filter(recipient=student).count() == 2  # e-mail and in-app, once


def test_weekend_is_skipped_when_counting_work_time(clock, patron_request, dept):
    dept.work_time_days = 5
    dept.save()
    req = patron_request()
    assert req.due_at == dt.datetime(2026, 3, 9, 9, 0, tzinfo=dt.timezone.utc)  # Mon + 5 open days = next Mon


def test_circulation_desk_work_time_applies_when_no_department_serves(clock, patron_request, dept, fadmin, library_a, inst_a):
    from syllabus.fulfillment import services
    from syllabus.fulfillment.models import DigitizationDepartment

    other = services.save_department(fadmin, inst_a, code="SCI", name="Science scanning",
                                     served_libraries=[services.Library.objects.create(institution=inst_a, code="sci", name="Sci")])
    dept.served_libraries.set(other.served_libraries.all())  # DIGI_DEPT_INST no longer serves library_a
    desk = services.save_desk(fadmin, library_a, code="MAIN", name="Main desk", supports_digitization=True, work_time_days=1)
    req = patron_request()
    assert req.department is None and req.desk == desk
    assert req.due_at == dt.datetime(2026, 3, 3, 9, 0, tzinfo=dt.timezone.utc)
    assert DigitizationDepartment.objects.count() == 2


def test_completed_requests_never_expire(clock, default_rule, patron_request, operator, scan):
    req = patron_request()
    from syllabus.fulfillment import services

    services.pick(operator, req)
    services.deliver(operator, services.attach_file(operator, req, scan()))
    clock.advance(dt.timedelta(days=60))
    assert run_tick()["fulfillment.expire_digitization_requests"] == 0


# --- only the operators' work runs out of time -----------------------------------------------------

def test_a_request_waiting_for_a_manager_does_not_expire_and_its_work_time_starts_on_release(
        clock, patron_request, dept, default_rule, manager):
    from syllabus.fulfillment import services

    dept.work_time_days = 1
    dept.save()
    default_rule(approval_required=True, approval_mode="blocking")
    req = patron_request()
    assert req.status == Status.PENDING_APPROVAL
    clock.set_now(dt.datetime(2026, 3, 10, 9, tzinfo=dt.timezone.utc))  # a week later: the manager has not decided
    assert run_tick()["fulfillment.expire_digitization_requests"] == 0
    req.refresh_from_db()
    assert req.status == Status.PENDING_APPROVAL
    req = services.approve(manager, req)
    assert req.status == Status.PICK_FROM_SHELF and req.due_at == dt.datetime(2026, 3, 11, 9, tzinfo=dt.timezone.utc)
    assert run_tick()["fulfillment.expire_digitization_requests"] == 0  # the operators get their full work time
    clock.set_now(dt.datetime(2026, 3, 11, 9, tzinfo=dt.timezone.utc))
    assert run_tick()["fulfillment.expire_digitization_requests"] == 1


def test_an_instructors_clearance_request_does_not_expire_and_its_citation_keeps_waiting(
        clock, api, instructor, course, dept):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from syllabus.fulfillment.models import DigitizationRequest
    from syllabus.lists import services

    dept.work_time_days = 1
    dept.save()
    lst = services.create_list(instructor, title="HIST101 readings", courses=[course])
    c = services.add_citation(instructor, lst, None, "document", {"title": "Lecture reader"})
    services.attach_file(instructor, c, SimpleUploadedFile("r.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf"))
    r = api(instructor).post(f"/api/v1/citations/{c.pk}/copyright-requests", {"page_ranges": [], "notes": []})
    assert r.status_code == 201 and r.json()["status"] == "pending_copyright"
    clock.set_now(dt.datetime(2026, 3, 20, 9, tzinfo=dt.timezone.utc))
    assert run_tick()["fulfillment.expire_digitization_requests"] == 0
    req = DigitizationRequest.objects.get(pk=r.json()["id"])
    assert req.status == Status.PENDING_COPYRIGHT
    c.refresh_from_db()
    assert c.copyright_status == "waiting"


def test_a_scan_waiting_for_a_late_parallel_approval_gets_its_full_work_time_from_the_approval(
        clock, patron_request, dept, default_rule, manager, operator, scan):
    """DIG-6/DIG-9 parallel mode: the clock stops while the attached file waits on the manager;
    an approval after the work time has passed does not make the request expire at once."""
    from syllabus.fulfillment import services

    dept.work_time_days = 3
    dept.save()
    default_rule(approval_required=True, approval_mode="parallel")
    req = patron_request()  # Monday 2 March 09:00
    assert req.status == Status.PICK_FROM_SHELF and req.approval == "pending"
    services.pick(operator, req)
    req = services.attach_file(operator, req, scan())
    assert req.status == Status.FILE_ATTACHED
    clock.set_now(dt.datetime(2026, 3, 12, 9, tzinfo=dt.timezone.utc))  # ten days later the manager approves
    assert run_tick()["fulfillment.expire_digitization_requests"] == 0
    req = services.approve(manager, req)
    # 3 library days from Thursday 12 March 09:00: Fri 13, Mon 16, Tue 17
    assert req.due_at == dt.datetime(2026, 3, 17, 9, tzinfo=dt.timezone.utc)
    clock.advance(dt.timedelta(minutes=1))
    assert run_tick()["fulfillment.expire_digitization_requests"] == 0
    req.refresh_from_db()
    assert req.status == Status.FILE_ATTACHED
    clock.set_now(dt.datetime(2026, 3, 17, 8, 59, tzinfo=dt.timezone.utc))
    assert run_tick()["fulfillment.expire_digitization_requests"] == 0
    clock.set_now(dt.datetime(2026, 3, 17, 9, tzinfo=dt.timezone.utc))
    assert run_tick()["fulfillment.expire_digitization_requests"] == 1
    req.refresh_from_db()
    assert req.status == Status.EXPIRED


def test_an_approval_while_the_operators_work_does_not_restart_the_work_time(
        clock, patron_request, dept, default_rule, manager, operator):
    """Parallel mode: the work time keeps running while the operators scan; only a wait on the
    library stops it."""
    from syllabus.fulfillment import services

    dept.work_time_days = 3
    dept.save()
    default_rule(approval_required=True, approval_mode="parallel")
    req = patron_request()
    due = req.due_at
    clock.advance(dt.timedelta(days=1))
    req = services.approve(manager, services.pick(operator, req))
    assert req.status == Status.IN_DIGITIZATION and req.due_at == due
