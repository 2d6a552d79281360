"""Issue 19 / LDL-15: on PostgreSQL a patron's request, access and finish are written only if
the facts their decision used are still true when the title's lock is taken (the facts gate);
a change the decision did not use no longer makes it start again, a change it did use always
does, and a change of the new request's place only changes its letter (chosen by the database:
tests/lending/test_place_chosen.py).  On SQLite the verbs
run in the writer lock: the same calls give the same outcome.  A title whose lock is held
answers 503 (``TitleBusy``, LDL-15) after a short wait, never a hang."""
from __future__ import annotations

import threading
import time

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction

from syllabus.core.models import AuditEntry
from syllabus.lending import services
from syllabus.lending.models import LoanRequest, LoanSettings, Status, Step
from syllabus.notify.models import OutboxMessage
from tests.lending.gates import inject_once, viewing


@pytest.mark.django_db(transaction=True)
def test_an_access_meanwhile_does_not_make_a_finish_start_again(make_rep, patrons, monkeypatch):
    rep = make_rep(2)
    p1, p2, p3 = patrons[:3]
    mine = viewing(p1, rep)
    other = services.request_loan(p2, rep)  # in its grace period
    waiting = services.request_loan(p3, rep)
    assert (other.step, waiting.status) == (Step.IN_GRACE_PERIOD, Status.READY)
    conflicts = services.RETRIES["conflicts"]
    done = inject_once(monkeypatch, lambda: services.access(p2, other))
    services.finish(p1, mine)
    if not done:  # SQLite: the writer lock serialises the verbs
        services.access(p2, other)
    rows = {r.patron_id: r for r in LoanRequest.objects.filter(representation=rep)}
    assert rows[p1.pk].status == Status.COMPLETED
    assert rows[p2.pk].step == Step.IS_BEING_VIEWED
    assert rows[p3.pk].step == Step.IN_GRACE_PERIOD  # the freed copy went to the head
    assert OutboxMessage.objects.filter(letter="ldl_available", recipient=p3, channel="email").count() == 1
    if connection.vendor == "postgresql":
        assert done and services.RETRIES["conflicts"] == conflicts  # the finish did not start again


def _hand_overs(req) -> int:
    return AuditEntry.objects.filter(content_type=ContentType.objects.get_for_model(LoanRequest), object_id=str(req.pk),
                                     action="hand_over").count()


@pytest.mark.django_db(transaction=True)
def test_a_head_served_meanwhile_the_finish_hands_its_copy_to_the_next_without_starting_again(make_rep, patrons, monkeypatch):
    rep = make_rep(2)
    p1, p2, p3, p4 = patrons[:4]
    first, second = viewing(p1, rep), viewing(p2, rep)
    r3, r4 = services.request_loan(p3, rep), services.request_loan(p4, rep)
    conflicts = services.RETRIES["conflicts"]
    done = inject_once(monkeypatch, lambda: services.finish(p2, second))  # serves p3, p1's head too
    services.finish(p1, first)
    if not done:
        services.finish(p2, second)
    rows = {r.patron_id: r for r in LoanRequest.objects.filter(representation=rep)}
    assert rows[p3.pk].step == rows[p4.pk].step == Step.IN_GRACE_PERIOD  # both copies handed, one each
    assert rows[p3.pk].slot_id != rows[p4.pk].slot_id
    for p in (p3, p4):
        assert OutboxMessage.objects.filter(letter="ldl_available", recipient=p, channel="email").count() == 1
    assert _hand_overs(r3) == _hand_overs(r4) == 1  # each hand-over audited once, by the verb that made it
    if connection.vendor == "postgresql":  # the database gave p1's copy to whoever was first when it was written: p4
        assert done and services.RETRIES["conflicts"] == conflicts
        assert rows[p4.pk].slot_id == first.slot_id


@pytest.mark.django_db(transaction=True)
def test_a_finish_with_nobody_waiting_is_written_at_once_and_frees_its_copy(make_rep, patrons):
    rep = make_rep(2)
    first, second = viewing(patrons[0], rep), viewing(patrons[1], rep)
    conflicts = services.RETRIES["conflicts"]
    services.finish(patrons[0], first)
    services.finish(patrons[1], second)
    assert not LoanRequest.objects.filter(representation=rep, status=Status.ACTIVE).exists()
    assert services.RETRIES["conflicts"] == conflicts  # (nobody waiting is a fact the gate checks, not a conflict)
    assert services.request_loan(patrons[2], rep).step == Step.IN_GRACE_PERIOD


@pytest.mark.django_db(transaction=True)
def test_a_head_that_left_meanwhile_gets_no_copy_no_letter_and_no_audit_entry(make_rep, patrons, monkeypatch):
    rep = make_rep(2)
    p1, p2, p3, p4 = patrons[:4]
    reading = viewing(p1, rep)
    viewing(p4, rep)
    r2, r3 = services.request_loan(p2, rep), services.request_loan(p3, rep)  # (the first 2 waiting are read: 2 copies)
    conflicts = services.RETRIES["conflicts"]
    done = inject_once(monkeypatch, lambda: services.cancel(p2, r2))  # p1's head leaves the waitlist
    services.finish(p1, reading)
    rows = {r.patron_id: r for r in LoanRequest.objects.filter(representation=rep)}
    assert rows[p1.pk].status == Status.COMPLETED
    if done:  # PostgreSQL: p2 left before p1's finish was written — p3 gets the copy
        assert rows[p2.pk].outcome == "cancelled" and rows[p2.pk].slot_id is None
        assert rows[p3.pk].step == Step.IN_GRACE_PERIOD and rows[p3.pk].slot_id == reading.slot_id
        assert not OutboxMessage.objects.filter(letter="ldl_available", recipient=p2).exists()
        assert OutboxMessage.objects.filter(letter="ldl_available", recipient=p3, channel="email").count() == 1
        assert (_hand_overs(r2), _hand_overs(r3)) == (0, 1)
        assert services.RETRIES["conflicts"] == conflicts
    else:  # SQLite (the writer lock: nothing runs in between): p2, first in line, got the copy
        assert rows[p2.pk].step == Step.IN_GRACE_PERIOD and _hand_overs(r2) == 1 and _hand_overs(r3) == 0


@pytest.mark.django_db(transaction=True)
def test_someone_ahead_of_every_candidate_meanwhile_makes_the_finish_decide_again(make_rep, patrons, lending_staff,
                                                                                 monkeypatch):
    rep = make_rep(1)
    p1, p2, p3 = patrons[:3]
    reading = viewing(p1, rep)
    r2 = services.request_loan(p2, rep)
    conflicts = services.RETRIES["conflicts"]
    done = inject_once(monkeypatch, lambda: services.request_loan(lending_staff, rep, patron=p3, priority=5))
    services.finish(p1, reading)
    if not done:
        services.request_loan(lending_staff, rep, patron=p3, priority=5)
    rows = {r.patron_id: r for r in LoanRequest.objects.filter(representation=rep)}
    if done:  # PostgreSQL: p3 (priority 5) joined ahead of p2 before p1's finish was written (LDL-5)
        assert rows[p3.pk].step == Step.IN_GRACE_PERIOD and rows[p2.pk].status == Status.READY
        assert not OutboxMessage.objects.filter(letter="ldl_available", recipient=p2).exists()
        assert (_hand_overs(r2), _hand_overs(rows[p3.pk])) == (0, 1)
        assert services.RETRIES["conflicts"] == conflicts + 1  # decided again on the new waitlist
        assert services.RETRIES["changed:late"] >= 1
    else:
        assert rows[p2.pk].step == Step.IN_GRACE_PERIOD and rows[p3.pk].status == Status.READY


@pytest.mark.django_db(transaction=True)
def test_a_title_whose_lock_is_held_answers_503_soon_and_changes_nothing(make_rep, patrons, monkeypatch):
    rep = make_rep(1)
    p1 = patrons[0]
    reading = viewing(p1, rep)
    monkeypatch.setattr(services, "LOCK_TIMEOUT_MS", 200)
    held, release = threading.Event(), threading.Event()

    def holder():
        try:
            with transaction.atomic():  # SQLite: BEGIN IMMEDIATE takes the writer lock
                LoanSettings.objects.select_for_update().filter(representation=rep).update(updated_at=services.clock.now())
                held.set()
                release.wait(30)
        finally:
            connection.close()

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        assert held.wait(10)
        if connection.vendor == "sqlite":
            with connection.cursor() as cur:
                cur.execute("PRAGMA busy_timeout = 200")
        started = time.monotonic()
        with pytest.raises(services.TitleBusy) as refused:
            services.finish(p1, reading)
        assert time.monotonic() - started < 10
        assert (refused.value.status, refused.value.rule) == (503, "LDL-15")
    finally:
        release.set()
        thread.join(30)
        if connection.vendor == "sqlite":
            with connection.cursor() as cur:
                cur.execute("PRAGMA busy_timeout = 30000")
    assert LoanRequest.objects.get(pk=reading.pk).step == Step.IS_BEING_VIEWED  # nothing was changed
    assert services.finish(p1, reading).status == Status.COMPLETED  # and the title works again


@pytest.mark.django_db(transaction=True)
def test_requests_made_together_for_free_copies_take_different_copies_without_starting_again(make_rep, patrons, monkeypatch):
    # issue 19, session 13: both read two copies free; taking the lowest, both chose copy 1 and
    # the later write failed its gate (``held``) and started again — now they take turns
    rep = make_rep(2)
    p1, p2 = patrons[:2]
    conflicts = services.RETRIES["conflicts"]
    theirs: list = []
    done = inject_once(monkeypatch, lambda: theirs.append(services.request_loan(p2, rep)))
    mine = services.request_loan(p1, rep)
    if not done:  # SQLite: the writer lock serialises the verbs
        theirs.append(services.request_loan(p2, rep))
    rows = {r.patron_id: r for r in LoanRequest.objects.filter(representation=rep)}
    assert rows[p1.pk].step == rows[p2.pk].step == Step.IN_GRACE_PERIOD
    assert rows[p1.pk].slot_id != rows[p2.pk].slot_id and mine.pk == rows[p1.pk].pk and theirs
    if connection.vendor == "postgresql":
        assert done and services.RETRIES["conflicts"] == conflicts  # neither started again
