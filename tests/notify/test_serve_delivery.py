"""§12 / issue 19: the delivery thread of a ``syllabus serve`` worker (``in_process_delivery``,
started with the worker) sends a letter as soon as it is committed — on PostgreSQL also a letter
committed by *another process* (another worker, the timer process, a command): the thread listens
for the announcements (``OutboxListener``) instead of waiting for its next poll.  On SQLite
nothing is announced: the thread is woken by its own worker's commits (``kick``).

The poll interval (``TICK_SECONDS``) is an hour here: a delivery within the test's wait can only
have been woken by the letter."""
from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest
from django.core import mail
from django.db import connection, transaction

from syllabus.notify import delivery
from syllabus.notify.models import OutboxMessage
from syllabus.notify.services import queue_letter

pytestmark = pytest.mark.django_db(transaction=True)
Status = OutboxMessage.Status
WAIT_S = 60  # far below the poll interval (an hour)

# what another process of the site runs: a letter queued in its own transaction (announced on commit)
OTHER_PROCESS = """
import sys, django
django.setup()
from django.db import transaction
from syllabus.org.models import User
from syllabus.notify.services import queue_letter
with transaction.atomic():
    queue_letter("ldl_waitlist", User.objects.get(pk=int(sys.argv[1])), {
        "patron": "Pat Ron", "title": "Middlemarch", "representation": "Scan", "library": "Main Library",
        "place": 4, "grace_period": "2 days", "session_period": "3 days", "link": "/lending/titles/1/"},
        key="other-process:1", channels=("email",))
"""


def _other_process_env() -> dict:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "syllabus.settings", "SYLLABUS_WEB_WORKER": "", "BROKER_URL": ""}
    s = connection.settings_dict
    env["DATABASE_URL"] = f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    return env


@pytest.fixture
def rounds(monkeypatch, settings):
    """The delivery thread's rounds as they end (how many letters each sent), observed by event."""
    settings.TICK_SECONDS = 3600
    settings.BROKER_URL = ""
    settings.IN_PROCESS_RUNNER = True
    monkeypatch.setattr(delivery, "_thread", None)
    done: list[int] = []
    ended = threading.Condition()
    real = delivery.deliver_due

    def deliver_due(*args, **kwargs):
        report = real(*args, **kwargs)
        with ended:
            done.append(report.sent)
            ended.notify_all()
        return report

    def wait_for(n: int) -> list[int]:
        with ended:
            assert ended.wait_for(lambda: len(done) >= n, timeout=WAIT_S), f"round {n} did not come: {done}"
            return list(done)

    monkeypatch.setattr(delivery, "deliver_due", deliver_due)
    yield wait_for
    thread = delivery._thread
    if thread is not None:
        thread.stop()
        thread.join(WAIT_S)
        assert not thread.is_alive()


def test_a_serve_worker_starts_its_delivery_thread_with_the_worker(monkeypatch, settings, rounds):
    monkeypatch.setenv("SYLLABUS_WEB_WORKER", "1")
    assert delivery.serving_worker()
    import importlib

    import syllabus.wsgi

    importlib.reload(syllabus.wsgi)  # what a worker of `syllabus serve` loads after its fork
    assert delivery._thread is not None and delivery._thread.is_alive()
    assert rounds(1) == [0]  # its first round: nothing due
    settings.BROKER_URL = "redis://broker.invalid:6379/0"  # with a broker, Celery delivers instead
    assert not delivery.serving_worker()


def test_a_letter_committed_by_another_process_is_sent_by_the_workers_thread_at_once(patron, monkeypatch, rounds):
    monkeypatch.setenv("SYLLABUS_WEB_WORKER", "1")
    thread = delivery.in_process_delivery()
    assert rounds(1) == [0]  # listening (PostgreSQL) and waiting: nothing was due
    if connection.vendor != "postgresql":  # SQLite: nothing is announced; its own worker's commit wakes it
        assert thread.listener is None
        with transaction.atomic():
            queue_letter("ldl_waitlist", patron, {"patron": "Pat", "title": "Middlemarch", "place": 4},
                         key="this-process:1", channels=("email",))
    else:
        assert thread.listener is not None
        done = subprocess.run([sys.executable, "-c", OTHER_PROCESS, str(patron.pk)], env=_other_process_env(),
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-3000:]
    assert rounds(2) == [0, 1]  # woken by the letter, long before the hour's poll
    sent = OutboxMessage.objects.get(letter="ldl_waitlist", recipient=patron)
    assert sent.status == Status.SENT
    assert [m.to for m in mail.outbox] == [[patron.email]]
    assert "number 4 in the waitlist" in mail.outbox[0].subject
