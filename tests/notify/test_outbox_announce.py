"""§12 / issue 19: on PostgreSQL a transaction that queued letters announces them right after
its commit (``NOTIFY syllabus_outbox``, payload ``letter:recipient`` tokens), so that a delivery
worker waiting with ``LISTEN`` (``OutboxListener``, ``syllabus deliver --loop``) sends them at
once instead of at its next poll.  Nothing is announced for a transaction that rolls back.  On
SQLite there is nothing to listen to: the same calls poll, and delivery is the same.
``transaction=True``: real commits, as the announcement follows them."""
from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import pytest
from django.core import mail
from django.db import connection, transaction

from syllabus.notify import delivery
from syllabus.notify.delivery import NOTIFY_PAYLOAD_MAX, OutboxListener, announcement, deliver_loop
from syllabus.notify.models import OutboxMessage
from syllabus.notify.services import queue_letter

pytestmark = pytest.mark.django_db(transaction=True)
Status = OutboxMessage.Status
CONTEXT = {"patron": "Pat", "title": "Middlemarch", "due": "9 March"}


def _queue(patron, key="loan:1:due"):
    with transaction.atomic():
        return queue_letter("test_due_soon", patron, CONTEXT, key=key, channels=("email", "sms"))


def test_a_committed_letter_wakes_a_listener_at_once_naming_it(due_letter, patron):
    listener = OutboxListener.open()
    if connection.vendor != "postgresql":
        assert listener is None  # SQLite: nothing to listen to (delivery polls)
        assert delivery.announce(_queue(patron)) is False
        return
    with listener:
        assert listener.wait(0) == []
        t0 = time.perf_counter()
        _queue(patron)
        payloads = listener.wait(5)
        waited = time.perf_counter() - t0
    # one announcement for the transaction; its two channels are one token
    assert payloads == [f"test_due_soon:{patron.pk}"]
    assert waited < 2


def test_a_transaction_that_rolls_back_announces_nothing(due_letter, patron):
    listener = OutboxListener.open()
    if connection.vendor != "postgresql":
        assert listener is None
        return
    with listener:
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                queue_letter("test_due_soon", patron, CONTEXT, key="loan:1:due", channels=("email",))
                raise RuntimeError("rolled back")
        assert listener.wait(0.5) == []
        assert not OutboxMessage.objects.exists()
        _queue(patron, key="loan:2:due")  # the listener still hears the next one
        assert listener.wait(5) == [f"test_due_soon:{patron.pk}"]


def test_outbox_notify_off_announces_nothing(due_letter, patron, settings):
    listener = OutboxListener.open()
    settings.OUTBOX_NOTIFY = False
    assert OutboxListener.open() is None
    assert delivery.announce([]) is False
    if listener is None:
        assert connection.vendor != "postgresql"
        return
    with listener:
        _queue(patron)
        assert listener.wait(0.5) == []
    assert OutboxMessage.objects.filter(status=Status.PENDING).count() == 2  # queued all the same: the poll sends them


def test_the_announcement_names_each_pending_letter_and_recipient_once_or_says_read_the_outbox():
    def row(letter, recipient, status=Status.PENDING):
        return SimpleNamespace(letter=letter, recipient_id=recipient, status=status)

    assert announcement([row("a", 2), row("a", 2), row("b", None), row("c", 3, Status.SUPPRESSED)]) == "a:2 b:-"
    assert announcement([]) == "*"  # nothing named (a plain kick): listeners read the outbox
    many = [row("ldl_available", n) for n in range(2000)]  # too long for one NOTIFY
    assert len(" ".join(f"ldl_available:{n}" for n in range(2000)).encode()) > NOTIFY_PAYLOAD_MAX
    assert announcement(many) == "*"


def test_deliver_loop_sends_a_letter_as_soon_as_it_is_committed(due_letter, patron):
    """The loop's first run finds nothing; a letter committed meanwhile is sent by its second
    run — on PostgreSQL woken by the announcement long before its 30 s wait ends, on SQLite
    after its (short) poll."""
    wait_s = 30.0 if connection.vendor == "postgresql" else 0.3
    runs: list[tuple[float, int, bool]] = []
    errors: list[BaseException] = []
    first = threading.Event()

    def report(result, woken):
        runs.append((time.perf_counter(), result.sent, woken))
        first.set()

    def worker():
        try:
            deliver_loop(wait_s, runs=2, report=report)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=worker)
    thread.start()
    assert first.wait(10)
    time.sleep(0.2)  # the loop is waiting now
    t0 = time.perf_counter()
    _queue(patron)
    thread.join(40)
    assert not errors and not thread.is_alive()
    assert [sent for _, sent, _ in runs] == [0, 2]
    assert runs[1][2] is (connection.vendor == "postgresql")  # woken by the announcement
    assert runs[1][0] - t0 < 5
    assert len(mail.outbox) == 1


@pytest.mark.parametrize("args, rule", [(["--loop", "0"], "--loop"), (["--loop", "7200"], "--loop"),
                                        (["--limit", "0"], "--limit"), (["--limit", "2000000"], "--limit")])
def test_syllabus_deliver_refuses_out_of_range_numbers_naming_the_option(args, rule):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match=rule):
        call_command("deliver", *args)


def test_a_listener_whose_connection_was_lost_is_opened_again(due_letter, patron):
    """``deliver_loop`` keeps listening after its connection is cut (a PostgreSQL restart, a
    proxy's idle timeout): the next letter committed still wakes it."""
    if connection.vendor != "postgresql":
        assert OutboxListener.open() is None
        return
    listener = OutboxListener.open()
    assert listener is not None
    with connection.cursor() as cur:  # cut the listener's session from another one
        cur.execute("SELECT pg_terminate_backend(%s)", [listener.conn.info.backend_pid])
    try:
        assert listener.wait(0.5) == []  # lost: reopened, nothing announced meanwhile
        _queue(patron)
        assert listener.wait(5) == [f"test_due_soon:{patron.pk}"]
    finally:
        listener.close()
