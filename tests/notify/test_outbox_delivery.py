"""The durable outbox (issue 5, acceptance 1–3; SPEC §12): queue inside the transaction,
deliver outside it, at least once, retried with backoff, never twice at once."""
from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction

from syllabus.notify import delivery
from syllabus.notify.channels import Senders
from syllabus.notify.delivery import deliver_due
from syllabus.notify.models import OutboxMessage, message_id_for
from syllabus.notify.services import queue_letter, save_letter
from tests.concurrency import at_once

pytestmark = pytest.mark.django_db
Status = OutboxMessage.Status


class WorkerKilled(BaseException):
    """Stands for the process dying (kill -9): nothing in the worker catches it."""


def _queue(patron, key="loan:1:due", channels=("email",)):
    with transaction.atomic():
        return queue_letter("test_due_soon", patron, {"patron": "Pat", "title": "Middlemarch", "due": "9 March"},
                            key=key, channels=channels)


# --- acceptance 1: a real SMTP server on loopback receives the rendered letter ------------------

def test_acceptance_1_real_smtp_server_receives_the_rendered_letter(smtp_server, due_letter, patron, clock):
    _queue(patron)
    report = deliver_due()
    assert report.sent == 1
    assert len(smtp_server.messages) == 1
    received = smtp_server.messages[0]
    assert received["Subject"] == "Middlemarch is due on 9 March"
    assert received["To"] == "pat@example.edu"
    assert received["From"] == "library@inst-a.example.edu"
    body = received.get_content()
    assert "Dear Pat," in body and "Middlemarch is due back on 9 March." in body and "Institution A library" in body
    row = OutboxMessage.objects.get()
    assert received["Message-ID"].strip() == row.message_id == message_id_for("loan:1:due:email")
    assert received["X-Syllabus-Idempotency-Key"] == "loan:1:due:email"
    assert row.status == Status.SENT and row.sent_at == clock.now() and row.attempts == 1


def test_the_institutions_edited_template_is_what_the_smtp_server_receives(smtp_server, due_letter, patron, letter_admin, inst_a):
    save_letter(letter_admin, inst_a, "test_due_soon", subject="Reminder: {{ title|upper }}",
                body="{{ patron }}, please bring {{ title }} back by {{ due }}.")
    _queue(patron)
    deliver_due()
    received = smtp_server.messages[0]
    assert received["Subject"] == "Reminder: MIDDLEMARCH"
    assert received.get_content().strip() == "Pat, please bring Middlemarch back by 9 March."


# --- acceptance 2: retries, crashes, concurrency, rollback ----------------------------------------

def test_acceptance_2_a_delivery_that_raises_first_is_retried_with_backoff_and_sent_once(due_letter, patron, clock, monkeypatch):
    calls = []
    real_send = Senders.send_email

    def flaky(self, msg):
        calls.append(msg.pk)
        if len(calls) == 1:
            raise ConnectionRefusedError("SMTP server down")
        return real_send(self, msg)

    monkeypatch.setattr(Senders, "send_email", flaky)
    _queue(patron)
    first = deliver_due()
    assert (first.sent, first.retrying) == (0, 1)
    row = OutboxMessage.objects.get()
    assert row.status == Status.PENDING and row.attempts == 1
    assert row.last_error == "ConnectionRefusedError: SMTP server down"
    assert row.next_attempt_at == clock.now() + dt.timedelta(minutes=1)
    assert len(mail.outbox) == 0

    assert deliver_due().sent == 0, "not before the backoff has passed"
    clock.advance(dt.timedelta(seconds=61))
    assert deliver_due().sent == 1
    assert deliver_due().sent == 0
    row.refresh_from_db()
    assert row.status == Status.SENT and row.attempts == 2 and row.last_error == ""
    assert len(mail.outbox) == 1 and len(calls) == 2


def test_backoff_doubles_and_a_message_fails_for_good_after_the_last_attempt(due_letter, patron, clock, monkeypatch, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 4
    monkeypatch.setattr(Senders, "send_email", lambda self, msg: (_ for _ in ()).throw(OSError("no route to host")))
    _queue(patron)
    waits = []
    for _ in range(4):
        deliver_due()
        row = OutboxMessage.objects.get()
        if row.status == Status.FAILED:
            break
        waits.append(row.next_attempt_at - clock.now())
        clock.advance(row.next_attempt_at - clock.now())
    assert waits == [dt.timedelta(minutes=1), dt.timedelta(minutes=2), dt.timedelta(minutes=4)]
    row = OutboxMessage.objects.get()
    assert row.status == Status.FAILED and row.attempts == 4 and "no route to host" in row.last_error
    clock.advance(dt.timedelta(days=1))
    assert deliver_due().sent == 0  # failed rows wait for a person to retry them


def test_acceptance_2_a_worker_killed_before_sending_loses_nothing(due_letter, patron, clock, monkeypatch):
    _queue(patron)

    def killed(msg):
        raise WorkerKilled

    monkeypatch.setattr(delivery, "before_send", killed)
    with pytest.raises(WorkerKilled):
        deliver_due()
    row = OutboxMessage.objects.get()
    assert row.status == Status.SENDING and row.claimed_until == clock.now() + delivery.lease()
    assert len(mail.outbox) == 0
    monkeypatch.setattr(delivery, "before_send", lambda msg: None)

    assert deliver_due().sent == 0, "another worker leaves a row alone while its lease runs"
    clock.advance(delivery.lease() + dt.timedelta(seconds=1))
    assert deliver_due().sent == 1
    assert len(mail.outbox) == 1
    assert OutboxMessage.objects.get().status == Status.SENT


def test_acceptance_2_a_worker_killed_after_sending_resends_with_the_same_message_id(smtp_server, due_letter, patron, clock, monkeypatch):
    _queue(patron)

    def killed(msg, token, provider_id):
        raise WorkerKilled

    monkeypatch.setattr(delivery, "mark_sent", killed)
    with pytest.raises(WorkerKilled):
        deliver_due()
    assert len(smtp_server.messages) == 1
    assert OutboxMessage.objects.get().status == Status.SENDING
    monkeypatch.undo()

    clock.advance(delivery.lease() + dt.timedelta(seconds=1))
    assert deliver_due().sent == 1
    assert len(smtp_server.messages) == 2, "delivery is at least once: the message went out again"
    first, second = smtp_server.messages
    assert first["Message-ID"].strip() == second["Message-ID"].strip() == message_id_for("loan:1:due:email")
    assert first["Subject"] == second["Subject"]
    assert OutboxMessage.objects.get().status == Status.SENT


def test_a_worker_whose_lease_ran_out_does_not_mark_the_new_owners_row(due_letter, patron, clock):
    _queue(patron)
    token, rows = delivery.claim(clock.now(), 10)
    clock.advance(delivery.lease() + dt.timedelta(seconds=1))
    token2, rows2 = delivery.claim(clock.now(), 10)
    assert [r.pk for r in rows2] == [rows[0].pk]
    assert delivery.mark_sent(rows[0], token, "late") is False
    assert delivery.mark_sent(rows2[0], token2, "ok") is True
    assert OutboxMessage.objects.get().provider_id == "ok"


def test_acceptance_2_a_transaction_that_rolls_back_leaves_no_outbox_row(due_letter, patron):
    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        with transaction.atomic():
            queue_letter("test_due_soon", patron, {"title": "Middlemarch"}, key="loan:9:due")
            assert OutboxMessage.objects.count() == 3
            raise Boom
    assert OutboxMessage.objects.count() == 0
    assert deliver_due().sent == 0
    assert len(mail.outbox) == 0


def test_nothing_is_sent_while_the_queuing_transaction_is_open(due_letter, patron, django_capture_on_commit_callbacks, monkeypatch):
    kicked = []
    monkeypatch.setattr("syllabus.notify.services.kick", lambda letters=(): kicked.append(len(letters)))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            queue_letter("test_due_soon", patron, {"title": "Middlemarch"}, key="loan:10:due")
            assert kicked == [] and len(mail.outbox) == 0
    assert kicked == [3] and len(callbacks) == 1  # (the letter's three channels, announced)


def test_queueing_twice_with_the_same_key_writes_one_row_per_channel(due_letter, patron):
    _queue(patron, channels=None)
    _queue(patron, channels=None)
    assert sorted(OutboxMessage.objects.values_list("idempotency_key", flat=True)) == [
        "loan:1:due:email", "loan:1:due:inapp", "loan:1:due:sms"]


def test_the_message_id_is_derived_from_the_idempotency_key(settings):
    settings.DEFAULT_FROM_EMAIL = "Library <library@uni.example>"
    a, b = message_id_for("loan:1:due:email"), message_id_for("loan:2:due:email")
    assert a == message_id_for("loan:1:due:email") and a != b
    assert a.startswith("<") and a.endswith("@uni.example>")


@pytest.mark.django_db(transaction=True)
def test_acceptance_2_two_workers_never_send_the_same_row(due_letter, make_user, monkeypatch):
    """Three worker threads, each on its own database connection, drain 40 rows: every row is
    sent exactly once and no row is ever in two sends at the same time (PostgreSQL: SKIP
    LOCKED; SQLite: the conditional UPDATE claim)."""
    patron = make_user("many", email="many@example.edu")
    for n in range(40):
        queue_letter("test_due_soon", patron, {"title": f"Book {n}"}, key=f"bulk:{n}", channels=("email",))
    sent: list[int] = []
    in_flight: set[int] = set()
    overlaps: list[int] = []
    lock = threading.Lock()

    def recording_send(self, msg):
        with lock:
            if msg.pk in in_flight:
                overlaps.append(msg.pk)
            in_flight.add(msg.pk)
        time.sleep(0.004)
        with lock:
            in_flight.discard(msg.pk)
            sent.append(msg.pk)
        return msg.message_id

    monkeypatch.setattr(Senders, "send_email", recording_send)
    reports, _refused, errors = at_once(lambda: deliver_due(batch_size=4), 3)
    assert not errors
    assert overlaps == []
    assert sorted(sent) == sorted(set(sent)), "a row was sent twice"
    assert len(sent) == 40
    assert sum(r.sent for r in reports) == 40
    assert OutboxMessage.objects.filter(status=Status.SENT).count() == 40


# --- acceptance 3: a disabled letter sends nothing and is visible as suppressed -------------------

def test_acceptance_3_a_disabled_letter_sends_nothing_and_is_suppressed(due_letter, patron, letter_admin, inst_a):
    save_letter(letter_admin, inst_a, "test_due_soon", enabled=False)
    rows = _queue(patron, channels=None)
    assert {r.status for r in rows} == {Status.SUPPRESSED}
    assert {r.note for r in rows} == {"letter disabled"}
    assert deliver_due().sent == 0
    assert len(mail.outbox) == 0
    assert patron.notifications.count() == 0


def test_a_disabled_channel_is_suppressed_and_the_others_go_out(due_letter, patron, letter_admin, inst_a):
    from syllabus.notify.sms import LogBackend

    save_letter(letter_admin, inst_a, "test_due_soon", channels={"sms": False})
    rows = {r.channel: r for r in _queue(patron, channels=None)}
    assert rows["sms"].status == Status.SUPPRESSED and rows["sms"].note == "sms disabled for this letter"
    assert rows["email"].status == rows["inapp"].status == Status.PENDING
    assert deliver_due().sent == 2
    assert len(mail.outbox) == 1 and LogBackend.outbox == [] and patron.notifications.count() == 1


def test_other_institutions_switches_do_not_apply(due_letter, make_user, letter_admin, inst_a, inst_b):
    save_letter(letter_admin, inst_a, "test_due_soon", enabled=False)
    other = make_user("other", institution=inst_b, email="o@b.example")
    assert _queue(other)[0].status == Status.PENDING


# --- entry points: Celery task, periodic sweep, `syllabus deliver` --------------------------------

def test_the_sweep_is_registered_and_delivers(due_letter, patron, clock):
    from syllabus.core.tasks import run_tick, sweeps

    assert "deliver_outbox" in sweeps()
    _queue(patron)
    assert run_tick()["deliver_outbox"] == 1
    assert len(mail.outbox) == 1


def test_the_celery_task_delivers(due_letter, patron):
    from syllabus.celery import app
    from syllabus.notify.tasks import deliver_outbox

    _queue(patron)
    # what a Celery worker runs (not through .delay(): that would fix the app's result backend
    # for the rest of the session, see tests/core/test_celery.py)
    assert app.tasks["syllabus.notify.tasks.deliver_outbox"].run() == {"sent": 1, "retrying": 0, "failed": 0, "lost_lease": 0}
    assert deliver_outbox.name == "syllabus.notify.tasks.deliver_outbox"
    assert len(mail.outbox) == 1


def test_syllabus_deliver_command(due_letter, patron, capsys):
    _queue(patron, channels=None)
    call_command("deliver")
    assert "sent: 3" in capsys.readouterr().out
    assert len(mail.outbox) == 1


def test_kick_sends_a_celery_task_when_a_broker_is_configured(settings, monkeypatch):
    from syllabus.notify import tasks

    settings.BROKER_URL = "redis://broker.invalid:6379/0"
    sent = []
    monkeypatch.setattr(tasks.deliver_outbox, "delay", lambda: sent.append("delay"))
    delivery.kick()
    assert sent == ["delay"]


def test_kick_without_broker_or_runner_leaves_it_to_the_sweep(settings):
    settings.BROKER_URL = ""
    delivery.kick()
    assert delivery._thread is None or not delivery._thread.is_alive()
