"""Acceptance 3 (LDL-15): 32+ threads requesting, viewing, finishing and cancelling loans of one
representation with 3 copies at once never see more than 3 active — on whichever database the
suite runs on (`make test` on SQLite, `make test-postgres` / DATABASE_URL on PostgreSQL).

Checked three ways: a watcher thread counting Active rows while the run goes on, each
client counting right after it got a copy, and afterwards the loan intervals
[handed over, completed) never overlapping more than 3 deep."""
from __future__ import annotations

import random
import threading
import time

import pytest
from django.db import close_old_connections, connection

from syllabus.core.errors import RuleViolation
from syllabus.lending import selectors, services
from syllabus.lending.models import LoanRequest, Status, Step

THREADS = 32
ROUNDS = 2
COPIES = 3


def _max_overlap(intervals) -> int:
    events = []
    for start, end in intervals:
        events.append((start, 1))
        events.append((end, -1))
    depth = peak = 0
    for _, delta in sorted(events, key=lambda e: (e[0], e[1])):  # an end before a start at the same instant
        depth += delta
        peak = max(peak, depth)
    return peak


@pytest.mark.django_db(transaction=True)
def test_32_threads_requesting_and_finishing_never_see_more_than_3_active(make_rep, make_user):
    rep = make_rep(COPIES, title="Concurrent title")
    patrons = [make_user(f"c{i:02d}") for i in range(THREADS)]
    barrier = threading.Barrier(THREADS + 1)
    stop = threading.Event()
    errors: list[BaseException] = []
    seen_active: list[int] = []
    counts = {"loans": 0, "cancelled": 0, "refused": 0}
    lock = threading.Lock()

    def active_now() -> int:
        return LoanRequest.objects.filter(representation_id=rep.pk, status=Status.ACTIVE).count()

    def watcher():
        try:
            while not stop.is_set():
                seen_active.append(active_now())
                time.sleep(0.01)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    def client(patron, seed):
        rnd = random.Random(seed)
        try:
            barrier.wait(timeout=60)
            for _ in range(ROUNDS):
                try:
                    req = services.request_loan(patron, rep)
                except RuleViolation:
                    with lock:
                        counts["refused"] += 1
                    continue
                deadline = time.monotonic() + 90
                gives_up = rnd.random() < 0.1
                while req.step == Step.IN_WAITLIST:
                    if gives_up:  # some give up while waiting
                        try:
                            services.cancel(patron, req)
                            with lock:
                                counts["cancelled"] += 1
                            req = None
                            break
                        except RuleViolation:  # handed over meanwhile: read it again below
                            gives_up = False
                    time.sleep(rnd.uniform(0.1, 0.2))  # patrons do not hammer the server
                    req = selectors.request_for(patron, req.pk)  # a read applies due timers; never stale
                    assert time.monotonic() < deadline, "waited too long for a copy"
                if req is None:
                    continue
                services.access(patron, req)
                seen_active.append(active_now())
                time.sleep(rnd.uniform(0, 0.004))
                services.finish(patron, req)
                with lock:
                    counts["loans"] += 1
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=client, args=(p, i)) for i, p in enumerate(patrons)]
    watch = threading.Thread(target=watcher)
    for t in threads:
        t.start()
    watch.start()
    barrier.wait(timeout=60)
    for t in threads:
        t.join(timeout=300)
    stop.set()
    watch.join(timeout=30)

    assert not errors, errors[:3]
    assert all(not t.is_alive() for t in threads)
    assert seen_active and max(seen_active) <= COPIES
    done = list(LoanRequest.objects.filter(representation=rep, handed_over_at__isnull=False))
    assert _max_overlap([(r.handed_over_at, r.completed_at) for r in done]) <= COPIES
    assert counts["loans"] + counts["cancelled"] + counts["refused"] == THREADS * ROUNDS
    assert counts["loans"] == LoanRequest.objects.filter(representation=rep, outcome="finished").count() >= THREADS
    assert counts["refused"] == 0
    assert not LoanRequest.objects.filter(representation=rep, status__in=[Status.READY, Status.ACTIVE]).exists()


@pytest.mark.django_db(transaction=True)
def test_a_patron_clicking_request_eight_times_at_once_gets_one_request(make_rep, make_user):
    rep = make_rep(COPIES)
    patron = make_user("clicker")
    barrier = threading.Barrier(8)
    outcomes: list[str] = []

    def click():
        try:
            barrier.wait(timeout=30)
            services.request_loan(patron, rep)
            outcomes.append("ok")
        except RuleViolation as exc:
            outcomes.append(exc.rule)
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["LDL-3"] * 7 + ["ok"]
    assert LoanRequest.objects.filter(patron=patron).count() == 1
