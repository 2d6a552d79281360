"""A hung send never overlaps another worker's send of the same row (SPEC §12: none sent twice
concurrently): SMTP gives up after EMAIL_TIMEOUT, which is shorter than the outbox lease, and
each row's lease is renewed just before it is sent."""
from __future__ import annotations

import socket
import threading
import time

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction

from syllabus.notify import delivery
from syllabus.notify.apps import _check_send_timeouts
from syllabus.notify.channels import Senders
from syllabus.notify.delivery import claim, deliver_due
from syllabus.notify.models import OutboxMessage
from syllabus.notify.services import queue_letter

pytestmark = pytest.mark.django_db
Status = OutboxMessage.Status


def _queue(patron, key="loan:1:due"):
    with transaction.atomic():
        return queue_letter("test_due_soon", patron, {"patron": "Pat", "title": "Middlemarch", "due": "9 March"},
                            key=key, channels=("email",))


def test_the_configured_smtp_timeout_is_shorter_than_the_lease():
    assert django_settings.EMAIL_TIMEOUT == 30
    assert 0 < django_settings.EMAIL_TIMEOUT < delivery.lease().total_seconds()
    assert _check_send_timeouts() == []


@pytest.mark.parametrize("timeout", [None, 300, 900])
def test_a_timeout_missing_or_not_below_the_lease_is_refused_at_start_up_and_by_the_worker(settings, timeout, due_letter, patron):
    settings.EMAIL_TIMEOUT = timeout
    [error] = _check_send_timeouts()
    assert error.id == "notify.E001" and "EMAIL_TIMEOUT" in error.msg
    _queue(patron)
    with pytest.raises(ImproperlyConfigured, match="EMAIL_TIMEOUT"):
        deliver_due()
    assert OutboxMessage.objects.get().status == Status.PENDING  # nothing claimed


def test_the_smtp_backend_gets_the_timeout(settings, smtp_server, due_letter, patron):
    _queue(patron)
    senders = Senders()
    msg = OutboxMessage.objects.get()
    senders.send_email(msg)
    assert senders._email_connection.timeout == 30  # what the backend passes to smtplib.SMTP
    senders.close()
    assert len(smtp_server.messages) == 1


@pytest.mark.django_db(transaction=True)
def test_a_hung_smtp_server_is_given_up_on_and_the_letter_retried(settings, due_letter, patron):
    """An SMTP server that accepts the connection and never answers: the worker gives up after
    EMAIL_TIMEOUT, well inside its lease, and the row waits for its retry."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", listener.getsockname()[1]
    settings.EMAIL_TIMEOUT = 0.5
    _queue(patron)
    reports = []
    def work():
        try:
            reports.append(deliver_due())
        finally:
            connection.close()

    worker = threading.Thread(target=work, daemon=True)
    started = time.monotonic()
    try:
        worker.start()
        worker.join(15)
        assert not worker.is_alive(), "the worker hangs on the silent SMTP server"
    finally:
        listener.close()
    assert time.monotonic() - started < 10
    assert reports[0].retrying == 1, reports
    row = OutboxMessage.objects.get()
    assert row.status == Status.PENDING and "timed out" in row.last_error


def test_a_row_whose_lease_ran_out_during_the_batch_is_not_sent_twice(due_letter, patron, clock, monkeypatch):
    """Worker A claims three rows; each send takes most of a lease (each within its timeout),
    so the third row's lease runs out while A is busy and worker B takes it. A must not send it
    too: every row gets a fresh lease just before its send, or is left to its new owner."""
    for n in (1, 2, 3):
        _queue(patron, f"loan:{n}:due")
    sent, taken_by_b = [], []
    real_send = Senders.send_email

    def slow(self, msg):
        sent.append(msg.pk)
        clock.advance(delivery.lease() * 0.6)
        if len(sent) == 2:
            _token, rows = claim(clock.now(), 10)  # worker B
            taken_by_b.extend(r.pk for r in rows)
        return real_send(self, msg)

    monkeypatch.setattr(Senders, "send_email", slow)
    report = deliver_due(batch_size=3, limit=3)
    first, second, third = OutboxMessage.objects.order_by("id")
    assert taken_by_b == [third.pk]
    assert sent == [first.pk, second.pk], "A sent the row B holds"
    assert report.sent == 2 and report.lost_lease == 1
    assert (first.status, second.status, third.status) == (Status.SENT, Status.SENT, Status.SENDING)
