"""The outbox delivery worker (SPEC §12: a crash between commit and send loses nothing).

One run (:func:`deliver_due`) repeats until nothing is due:

1. **claim** a batch of due rows with a lease — ``status=sending``, ``claimed_until = now +
   lease``, a fresh ``claim_token``, ``attempts + 1``.  On PostgreSQL the rows are locked with
   ``SELECT ... FOR UPDATE SKIP LOCKED`` so that concurrent workers take different rows; on
   SQLite (one writer at a time) a conditional ``UPDATE ... WHERE <still due>`` does the same.
   A row is due when it is ``pending`` and its ``next_attempt_at`` has come, or when it is
   ``sending`` and its lease has run out (its worker died).
2. **send** each row on its channel, outside any transaction — first renewing the row's lease,
   so that every send starts with a whole lease ahead of it; as a send gives up after
   ``EMAIL_TIMEOUT`` (SMS: the backend's timeout), always shorter than the lease, no other
   worker takes a row while it is being sent;
3. **mark** it ``sent`` — only while this worker's token is still on it; or, when sending
   raised, record the error and put it back to ``pending`` with an exponential backoff
   (``failed`` after ``OUTBOX_MAX_ATTEMPTS``).
4. a row whose lease ran out (its worker died) is claimed again, and counted in ``crashes``;
   once it has used its ``OUTBOX_MAX_ATTEMPTS`` it is ``failed`` with the last error "worker
   died while sending N times" instead — a message that kills its worker (a poison message)
   does not loop for ever.

Delivery is at least once: a worker killed after sending and before marking leaves the row
``sending``; when the lease runs out it is sent again with the same Message-ID / idempotency
key, which is how mail servers, clients and SMS providers recognise the repeat.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import time
import uuid
from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, close_old_connections, connection, connections, models, transaction
from django.db.models import Case, F, Q, When

from syllabus.core import clock

from .channels import Senders
from .models import OutboxMessage

log = logging.getLogger("syllabus.notify.delivery")
Status = OutboxMessage.Status


def lease() -> dt.timedelta:
    return dt.timedelta(seconds=getattr(settings, "OUTBOX_LEASE_SECONDS", 300))


def timeout_problems() -> list[str]:
    """Why the send timeouts do not fit inside the lease (empty when they do).

    A send that hangs longer than the lease lets another worker reclaim the row and send it
    concurrently, so the SMTP timeout must be set and shorter than the lease."""
    lease_s = lease().total_seconds()
    timeout = getattr(settings, "EMAIL_TIMEOUT", None)
    if timeout is None or float(timeout) <= 0:
        return [f"EMAIL_TIMEOUT is not set: a hung SMTP send would outlive the outbox lease of {lease_s:g} s "
                "and another worker would send the same letter again"]
    if float(timeout) >= lease_s:
        return [f"EMAIL_TIMEOUT ({float(timeout):g} s) must be shorter than OUTBOX_LEASE_SECONDS ({lease_s:g} s)"]
    return []


class SendInsideTransaction(RuntimeError):
    """The outbox was asked to deliver from inside a transaction (SPEC §12 forbids it)."""


def inside_transaction() -> bool:
    """True when the caller holds an open transaction on the default database.

    The test runner's own wrappers (Django's ``TestCase``, pytest-django's ``django_db``) are
    not the caller's transaction: Django marks their atomic blocks ``_from_testcase``."""
    if connection.in_atomic_block:
        return any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)
    return not connection.get_autocommit()


def ensure_outside_transaction() -> None:
    """Nothing is ever sent from inside a transaction: a rollback after the send would leave a
    letter about a change that never happened, and the send would hold the transaction open."""
    if inside_transaction():
        raise SendInsideTransaction(
            "the outbox is delivered outside any transaction (SPEC §12): queue letters inside the "
            "transaction with queue_letter() and let delivery run after it commits "
            "(transaction.on_commit(kick), the deliver_outbox sweep or `syllabus deliver`)")


def check_timeouts() -> None:
    problems = timeout_problems()
    if problems:
        raise ImproperlyConfigured("; ".join(problems))


def max_attempts() -> int:
    return int(getattr(settings, "OUTBOX_MAX_ATTEMPTS", 8))


def backoff(attempts: int) -> dt.timedelta:
    """Wait before attempt ``attempts + 1``: 1, 2, 4, 8 ... minutes, at most 6 hours."""
    base = int(getattr(settings, "OUTBOX_BACKOFF_SECONDS", 60))
    return dt.timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 6 * 3600))


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    lost_lease: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


def _due(now) -> Q:
    return Q(status=Status.PENDING, next_attempt_at__lte=now) | Q(status=Status.SENDING, claimed_until__lt=now)


def _abandoned(now) -> Q:
    return Q(status=Status.SENDING, claimed_until__lt=now)


def fail_abandoned(now: dt.datetime) -> int:
    """Rows whose worker died while sending them on each of their attempts: ``failed``, so that
    a message that kills its worker does not loop for ever.  Returns how many."""
    failed = 0
    rows = OutboxMessage.objects.filter(_abandoned(now), attempts__gte=max_attempts()).values_list("pk", "crashes")
    for pk, crashes in list(rows):
        n = crashes + 1
        failed += OutboxMessage.objects.filter(_abandoned(now), pk=pk).update(
            status=Status.FAILED, crashes=n, claimed_until=None, claim_token="",
            last_error=f"worker died while sending {n} time{'' if n == 1 else 's'}")
        log.error("outbox %s failed: its worker died while sending it %s time(s)", pk, n)
    return failed


def claim(now: dt.datetime, limit: int) -> tuple[str, list[OutboxMessage]]:
    """Take up to ``limit`` due rows for this worker; returns (claim token, rows)."""
    token = uuid.uuid4().hex
    claim_values = dict(status=Status.SENDING, claim_token=token, claimed_until=now + lease(), attempts=F("attempts") + 1,
                        # a row still "sending" is taken over from a worker that died while sending it
                        crashes=Case(When(status=Status.SENDING, then=F("crashes") + 1), default=F("crashes"),
                                     output_field=models.PositiveIntegerField()))
    due = OutboxMessage.objects.filter(_due(now)).order_by("next_attempt_at", "id")
    if connection.vendor == "postgresql":
        with transaction.atomic():
            ids = list(due.select_for_update(skip_locked=True).values_list("id", flat=True)[:limit])
            if ids:
                OutboxMessage.objects.filter(pk__in=ids).update(**claim_values)
    else:
        # SQLite serialises writers: the UPDATE re-checks "still due" atomically, so of two
        # workers that saw the same candidates only the first takes them.
        ids = list(due.values_list("id", flat=True)[:limit])
        if ids:
            OutboxMessage.objects.filter(_due(now), pk__in=ids).update(**claim_values)
    if not ids:
        return token, []
    rows = list(OutboxMessage.objects.filter(pk__in=ids, claim_token=token, status=Status.SENDING).order_by("id"))
    return token, rows


def before_send(msg: OutboxMessage) -> None:
    """Hook called after the claim and before the send (tests use it to kill a worker here)."""


def renew(msg: OutboxMessage, token: str) -> bool:
    """Give the row a whole lease before sending it; False when another worker took it meanwhile
    (this worker's earlier sends of the batch outlasted its lease)."""
    until = clock.now() + lease()
    if OutboxMessage.objects.filter(pk=msg.pk, claim_token=token, status=Status.SENDING).update(claimed_until=until):
        msg.claimed_until = until
        return True
    return False


def mark_sent(msg: OutboxMessage, token: str, provider_id: str) -> bool:
    """Record the delivery; False when this worker no longer holds the row's lease."""
    return bool(OutboxMessage.objects.filter(pk=msg.pk, claim_token=token, status=Status.SENDING).update(
        status=Status.SENT, sent_at=clock.now(), claimed_until=None, last_error="", provider_id=(provider_id or "")[:200],
        note=(msg.note or "")[:200]))


def mark_failed(msg: OutboxMessage, token: str, error: str) -> str:
    """Record the error; back to ``pending`` after a backoff, or ``failed`` for good."""
    now = clock.now()
    if msg.attempts >= max_attempts():
        values = dict(status=Status.FAILED)
    else:
        values = dict(status=Status.PENDING, next_attempt_at=now + backoff(msg.attempts))
    updated = OutboxMessage.objects.filter(pk=msg.pk, claim_token=token, status=Status.SENDING).update(
        claimed_until=None, claim_token="", last_error=error[:4000], **values)
    return values["status"] if updated else "lost"


def deliver_due(now: dt.datetime | None = None, *, batch_size: int = 20, limit: int | None = None) -> DeliveryReport:
    """Deliver every due row (or ``limit`` of them); safe to run in several workers at once.

    The entry point of every worker (the Celery task, the sweep, the in-process thread,
    ``syllabus deliver``); raises :class:`SendInsideTransaction` when called inside a transaction."""
    ensure_outside_transaction()
    check_timeouts()
    report = DeliveryReport()
    senders = Senders()
    handled = 0
    try:
        while limit is None or handled < limit:
            at = now or clock.now()
            size = batch_size if limit is None else min(batch_size, limit - handled)
            report.failed += fail_abandoned(at)
            token, batch = claim(at, size)
            if not batch:
                break
            for msg in batch:
                handled += 1
                if not renew(msg, token):
                    report.lost_lease += 1
                    log.warning("outbox %s: lease lost before sending; another worker has it", msg.pk)
                    continue
                before_send(msg)
                try:
                    provider_id = senders.send(msg)
                except Exception as exc:  # any failure of a channel: retry later
                    outcome = mark_failed(msg, token, f"{exc.__class__.__name__}: {exc}")
                    log.warning("outbox %s (%s) attempt %s failed: %s → %s", msg.pk, msg.idempotency_key, msg.attempts, exc, outcome)
                    if outcome == Status.FAILED:
                        report.failed += 1
                    elif outcome == Status.PENDING:
                        report.retrying += 1
                    else:
                        report.lost_lease += 1
                    continue
                if mark_sent(msg, token, provider_id):
                    report.sent += 1
                else:
                    report.lost_lease += 1
                    log.warning("outbox %s was sent after its lease ran out", msg.pk)
    finally:
        senders.close()
    return report


# --- announcing letters on commit (PostgreSQL LISTEN/NOTIFY) --------------------------------
#
# A transaction that queued letters announces them right after its commit with ``NOTIFY
# syllabus_outbox`` (:func:`announce`, called by :func:`kick`), so that a delivery worker waiting
# with :class:`OutboxListener` sends them at once instead of at its next poll.  The payload names
# what was queued — ``letter:recipient`` tokens (``-`` for no recipient), space-separated, each
# once — or ``*`` when that would not fit (listeners then read the outbox).  The NOTIFY is its own
# short statement after the commit (a loan verb's one-query write sends it in that query, after
# an explicit COMMIT: :func:`announcement_sql`), never part of the transaction: PostgreSQL holds one global
# lock from a notifying transaction's pre-commit to its end, across the commit's WAL flush, so a
# NOTIFY inside every letter-writing transaction would serialise all their commits (on a disk
# whose flush takes 3 ms, ≈ 300 such commits per second for the whole cluster).  The statement
# after the commit writes no WAL of its own that must be flushed.  An announcement is a wake-up
# call, not the record: a listener that missed it (not yet connected, reconnecting) finds the
# rows at its next poll, and delivery claims rows with leases as before.

NOTIFY_CHANNEL = "syllabus_outbox"
NOTIFY_PAYLOAD_MAX = 7000  # bytes (PostgreSQL refuses payloads of 8000 bytes and more)


def announcing() -> bool:
    """Whether letters are announced (and may be listened for): PostgreSQL with ``OUTBOX_NOTIFY``."""
    return connection.vendor == "postgresql" and bool(getattr(settings, "OUTBOX_NOTIFY", True))


def announcement(letters=()) -> str:
    """The payload naming ``letters`` (pending outbox rows): ``letter:recipient`` tokens, or ``*``."""
    tokens = sorted({f"{m.letter}:{m.recipient_id if m.recipient_id is not None else '-'}" for m in letters
                     if m.status == Status.PENDING})
    payload = " ".join(tokens)
    return payload if payload and len(payload.encode()) <= NOTIFY_PAYLOAD_MAX else "*"


def announcement_sql(letters=(), written_keys=()) -> tuple[str, list] | None:
    """The statement announcing ``letters`` (pending outbox rows) as :func:`announce` does, for a
    writer that sends it in its own round trip right after its ``COMMIT`` (issue 19: a loan verb's
    one-query write, ``lending.services._run``) — ``None`` when there is nothing to announce.

    ``written_keys``: idempotency keys of letters the transaction wrote only if a condition held
    (a hand-over the database decided; pending when written): those are named only if their row is
    there when the statement runs (whatever its status by then: a delivery worker may already have
    claimed it) — so the announcement names the patron who got the copy.  Never fails
    on its payload: ``*`` beyond ``NOTIFY_PAYLOAD_MAX`` bytes, as :func:`announcement`."""
    if not announcing():
        return None
    fixed = " ".join(sorted({f"{m.letter}:{m.recipient_id if m.recipient_id is not None else '-'}" for m in letters
                             if m.status == Status.PENDING}))
    keys = sorted(set(written_keys))
    if not keys:
        return (_ANNOUNCE_SQL, [NOTIFY_CHANNEL, fixed if len(fixed.encode()) <= NOTIFY_PAYLOAD_MAX else "*"]) if fixed else None
    return _ANNOUNCE_WRITTEN_SQL, [NOTIFY_CHANNEL, NOTIFY_PAYLOAD_MAX, fixed, keys]


_ANNOUNCE_SQL = "SELECT pg_notify(%s, %s)"
_ANNOUNCE_WRITTEN_SQL = (
    "SELECT pg_notify(%s, CASE WHEN octet_length(a.p) <= %s THEN a.p ELSE '*' END) FROM (SELECT concat_ws(' ', "
    "nullif(%s, ''), (SELECT string_agg(DISTINCT o.letter || ':' || coalesce(o.recipient_id::text, '-'), ' ') "
    f"FROM {OutboxMessage._meta.db_table} o WHERE o.idempotency_key = ANY(%s::text[]))) AS p) AS a "
    "WHERE a.p <> ''")


def announce(letters=()) -> bool:
    """``NOTIFY syllabus_outbox`` with the :func:`announcement` of ``letters``, on PostgreSQL with
    ``OUTBOX_NOTIFY`` (else nothing; False).  Called after the commit (a call inside a
    transaction is delivered by PostgreSQL when that transaction commits)."""
    if not announcing():
        return False
    with connection.cursor() as cur:
        cur.execute("SELECT pg_notify(%s, %s)", [NOTIFY_CHANNEL, announcement(letters)])
    return True


class OutboxListener:
    """Waits for the announcements of committed letters (PostgreSQL ``LISTEN syllabus_outbox``)
    on a connection of its own, in autocommit.  :meth:`open` returns ``None`` where letters are
    not announced (SQLite, ``OUTBOX_NOTIFY`` off): the caller polls.  A lost connection (a
    restart, a proxy's idle timeout) is opened again by the next :meth:`wait`; what was
    announced meanwhile is found by the caller's next delivery, which reads the outbox."""

    def __init__(self, params: dict):
        self.params = params
        self.conn: Any = None  # a psycopg connection (psycopg is imported only on PostgreSQL)
        self._connect()

    def _connect(self) -> None:
        import psycopg

        conn = psycopg.connect(**self.params, autocommit=True)
        conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
        self.conn = conn

    @classmethod
    def open(cls, using: str = "default") -> OutboxListener | None:
        db = connections[using]
        if db.vendor != "postgresql" or not getattr(settings, "OUTBOX_NOTIFY", True):
            return None
        return cls({k: v for k, v in db.get_connection_params().items()
                    if k not in ("cursor_factory", "context", "prepare_threshold")})

    def wait(self, timeout: float) -> list[str]:
        """The payloads announced since the last call, waiting up to ``timeout`` seconds (at most
        an hour) for the first; ``[]`` when none came (or the connection was lost: it is opened
        again, else after the timeout at the next call)."""
        import psycopg

        timeout = max(0.0, min(float(timeout), 3600.0))
        try:
            if self.conn is None or self.conn.closed:
                self._connect()
            assert self.conn is not None
            payloads = [n.payload for n in self.conn.notifies(timeout=timeout, stop_after=1)]
            if payloads:  # and whatever else has arrived meanwhile, without waiting
                payloads += [n.payload for n in self.conn.notifies(timeout=0)]
            return payloads
        except psycopg.OperationalError:
            log.warning("outbox listener: the connection was lost; listening again", exc_info=True)
            self.close()
            try:
                self._connect()
            except psycopg.OperationalError:
                time.sleep(timeout)  # the database is away: try again at the next call
            return []

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def __enter__(self) -> OutboxListener:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def deliver_loop(wait_s: float, *, runs: int | None = None, limit: int | None = None, report=None) -> None:
    """Deliver, then wait up to ``wait_s`` seconds — woken at once by an announcement on
    PostgreSQL (:class:`OutboxListener`), else a plain pause — and again; ``runs``: stop after
    this many deliveries (tests), else for ever.  ``report(DeliveryReport, woken)`` after each."""
    wait_s = max(0.01, min(float(wait_s), 3600.0))
    listener = OutboxListener.open()
    try:
        n = 0
        woken = False
        while runs is None or n < runs:
            result = deliver_due(limit=limit)
            n += 1
            if report is not None:
                report(result, woken)
            if runs is not None and n >= runs:
                return
            close_old_connections()
            if listener is not None:
                woken = bool(listener.wait(wait_s))
            else:
                time.sleep(wait_s)
    finally:
        if listener is not None:
            listener.close()


# --- waking a worker when a transaction that queued letters commits --------------------------

class _InProcessDelivery(threading.Thread):
    """The embedded default's delivery thread (a worker of ``syllabus serve``, or beside the
    in-process runner): delivers what is due, then waits — on PostgreSQL listening for the
    announcements of letters committed by *any* process (:class:`OutboxListener`: another worker,
    the timer process, a management command), else (SQLite, ``OUTBOX_NOTIFY`` off) for this
    process's own commits (:func:`kick` sets ``wake``) — or at the latest ``TICK_SECONDS``."""

    def __init__(self):
        super().__init__(name="syllabus-deliver", daemon=True)
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.listener: OutboxListener | None = None

    def run(self) -> None:
        try:
            self.listener = OutboxListener.open()  # before the first delivery: nothing committed after it is missed
        except Exception:  # the database is away: poll (the sweep and the next kick still deliver)
            log.warning("outbox delivery thread: cannot listen for announcements; polling", exc_info=True)
        try:
            while not self.stopping.is_set():
                self.wake.clear()
                try:
                    deliver_due()
                except Exception:
                    log.exception("outbox delivery failed")
                finally:
                    close_old_connections()
                if self.wake.is_set():  # this process committed letters meanwhile
                    continue
                if self.listener is not None:  # (this process's own commits are announced too)
                    self.listener.wait(settings.TICK_SECONDS)
                else:
                    self.wake.wait(timeout=settings.TICK_SECONDS)
        finally:
            if self.listener is not None:
                self.listener.close()
            connection.close()  # (this thread's)

    def stop(self) -> None:
        """End the thread after its current round (it is a daemon: a process just exits)."""
        self.stopping.set()
        self.wake.set()
        if self.listener is not None:
            announce()  # wakes its listener


_thread: _InProcessDelivery | None = None
_thread_lock = threading.Lock()


def _in_process_runner_running() -> bool:
    from syllabus.core.runner import InProcessRunner

    return any(isinstance(t, InProcessRunner) and t.is_alive() for t in threading.enumerate())


def in_process_delivery() -> _InProcessDelivery:
    """This process's delivery thread (:class:`_InProcessDelivery`), started unless it runs."""
    global _thread
    with _thread_lock:
        if _thread is None or not _thread.is_alive():
            _thread = _InProcessDelivery()
            _thread.start()
        return _thread


def serving_worker() -> bool:
    """Whether this process is a web worker of ``syllabus serve`` in the embedded default (no
    broker): it delivers the outbox itself, with :func:`in_process_delivery`."""
    return (not settings.BROKER_URL and bool(settings.IN_PROCESS_RUNNER)
            and os.environ.get("SYLLABUS_WEB_WORKER") == "1")


def kick(letters=(), *, announced: bool = False) -> None:
    """Ask for a delivery soon (called on commit of a transaction that queued ``letters``).

    On PostgreSQL the letters are first announced (:func:`announce`; ``announced``: already done,
    in the committing round trip — :func:`announcement_sql`): listeners in any process
    wake at once.  With a broker: a Celery ``deliver_outbox`` task.  In the embedded default, in a worker of
    ``syllabus serve`` (or beside the in-process runner): wake this process's delivery thread.  Otherwise (tests, scripts) nothing:
    the ``deliver_outbox`` sweep or ``syllabus deliver`` sends it."""
    try:
        if not announced:
            announce(letters)
    except DatabaseError:  # a wake-up call only: the rows are committed, the next poll finds them
        log.warning("outbox: could not announce the letters just queued", exc_info=True)
    if settings.BROKER_URL:
        from .tasks import deliver_outbox

        deliver_outbox.delay()
        return
    serving = _in_process_runner_running() or os.environ.get("SYLLABUS_WEB_WORKER") == "1"  # a worker of `serve`
    if not (settings.IN_PROCESS_RUNNER and serving):
        return
    in_process_delivery().wake.set()
