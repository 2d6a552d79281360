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
from functools import partial

import pytest
from django.db import connection

from syllabus.core.errors import RuleViolation
from syllabus.lending import selectors, services
from syllabus.lending.models import LoanRequest, Status, Step
from tests.concurrency import at_once

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

    watch = threading.Thread(target=watcher)
    watch.start()
    _done, _refused, client_errors = at_once([partial(client, p, i) for i, p in enumerate(patrons)], timeout=300)
    stop.set()
    watch.join(timeout=30)

    assert not (errors + client_errors), (errors + client_errors)[:3]
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
    made, refused, errors = at_once(lambda: services.request_loan(patron, rep), 8, expected=(RuleViolation,))
    assert errors == []
    assert len(made) == 1 and [exc.rule for exc in refused] == ["LDL-3"] * 7
    assert LoanRequest.objects.filter(patron=patron).count() == 1
