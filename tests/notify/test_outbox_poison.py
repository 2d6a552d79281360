"""A poison message — one whose send kills the worker every time — does not loop for ever:
after OUTBOX_MAX_ATTEMPTS claims whose leases all ran out it is *failed* with the last error
"worker died while sending N times", visible in the outbox monitor and retried by a person."""
from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.db import transaction

from syllabus.notify import delivery
from syllabus.notify.delivery import deliver_due
from syllabus.notify.models import OutboxMessage
from syllabus.notify.services import queue_letter, retry_message

pytestmark = pytest.mark.django_db
Status = OutboxMessage.Status


class WorkerKilled(BaseException):
    """Stands for the process dying (kill -9, out of memory) while sending."""


def _queue(patron):
    with transaction.atomic():
        return queue_letter("test_due_soon", patron, {"patron": "Pat", "title": "Middlemarch", "due": "9 March"},
                            key="loan:1:due", channels=("email",))


def _die(msg):
    raise WorkerKilled


def _crash_until_failed(monkeypatch, clock, runs=10):
    monkeypatch.setattr(delivery, "before_send", _die)
    for _ in range(runs):
        try:
            report = deliver_due()
        except WorkerKilled:
            clock.advance(delivery.lease() + dt.timedelta(seconds=1))
            continue
        return report
    raise AssertionError("the message loops for ever")


def test_a_message_whose_worker_dies_every_time_fails_after_the_maximum_attempts(due_letter, patron, clock, monkeypatch, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    _queue(patron)
    report = _crash_until_failed(monkeypatch, clock)
    assert report.failed == 1
    row = OutboxMessage.objects.get()
    assert row.status == Status.FAILED
    assert row.last_error == "worker died while sending 3 times"
    assert row.attempts == 3 and row.crashes == 3 and row.claimed_until is None
    assert len(mail.outbox) == 0
    clock.advance(dt.timedelta(days=1))
    assert deliver_due().as_dict() == {"sent": 0, "retrying": 0, "failed": 0, "lost_lease": 0}
    assert OutboxMessage.objects.get().status == Status.FAILED  # waits for a person


def test_a_worker_that_died_once_is_still_retried(due_letter, patron, clock, monkeypatch, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    _queue(patron)
    monkeypatch.setattr(delivery, "before_send", _die)
    with pytest.raises(WorkerKilled):
        deliver_due()
    monkeypatch.setattr(delivery, "before_send", lambda msg: None)
    clock.advance(delivery.lease() + dt.timedelta(seconds=1))
    assert deliver_due().sent == 1
    row = OutboxMessage.objects.get()
    assert row.status == Status.SENT and row.crashes == 1 and row.attempts == 2


def test_a_failed_poison_message_is_retried_by_the_letter_administrator(due_letter, patron, clock, monkeypatch, settings,
                                                                       letter_admin):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    _queue(patron)
    _crash_until_failed(monkeypatch, clock)
    row = retry_message(letter_admin, OutboxMessage.objects.get().pk)
    assert row.status == Status.PENDING and row.attempts == 0 and row.crashes == 0
    monkeypatch.setattr(delivery, "before_send", lambda msg: None)
    assert deliver_due().sent == 1
