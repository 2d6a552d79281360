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
