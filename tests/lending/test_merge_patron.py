"""Merging two accounts of one person who both asked for the same title (ORG-MERGE, LDL-3, LDL-5,
LDL-6): one open request per patron and title stays — the one with the better place — and the
duplicate is closed through the workflow (never an IntegrityError); a copy it held goes on."""
from __future__ import annotations

import datetime as dt

import pytest

from syllabus.lending import services
from syllabus.lending.models import LoanRequest, Status, Step
from syllabus.notify.models import OutboxMessage
from syllabus.org.merging import merge_people
from syllabus.org.roles import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def gsa(make_user):
    return make_user("gsa", group="staff", roles=[Role.GENERAL_SYSTEM_ADMINISTRATOR])


def test_the_active_request_stays_and_the_waiting_duplicate_is_cancelled(make_rep, patrons, gsa, clock):
    rep = make_rep(1)
    source, target, other = patrons[0], patrons[1], patrons[2]
    active = services.request_loan(source, rep)             # holds the one copy
    clock.advance(dt.timedelta(minutes=1))
    waiting = services.request_loan(target, rep)            # waits behind it
    merge_people(source, target, by=gsa)
    active.refresh_from_db()
    waiting.refresh_from_db()
    assert (active.patron_id, active.status) == (target.pk, Status.ACTIVE)
    assert (waiting.status, waiting.cancel_reason) == (Status.REJECTED, "duplicate")
    assert LoanRequest.objects.filter(patron=target, status__in=[Status.READY, Status.ACTIVE]).count() == 1
    assert not LoanRequest.objects.filter(patron=source).exists()
    del other


def test_a_duplicate_that_held_the_copy_hands_it_to_the_next_in_line(make_rep, patrons, gsa, clock):
    rep = make_rep(1)
    source, target, next_one = patrons[0], patrons[1], patrons[2]
    in_grace = services.request_loan(source, rep)           # in its grace period, copy held
    clock.advance(dt.timedelta(minutes=1))
    viewing_copy = make_rep(1)                              # (another title: unaffected)
    services.request_loan(target, viewing_copy)
    target_req = services.request_loan(target, rep)         # waits
    clock.advance(dt.timedelta(minutes=1))
    services.request_loan(next_one, rep)
    services.access(target, LoanRequest.objects.get(patron=target, representation=viewing_copy))
    # the target's own waiting request is worse than the source's active one: the active one stays
    merge_people(source, target, by=gsa)
    target_req.refresh_from_db()
    in_grace.refresh_from_db()
    assert in_grace.patron_id == target.pk and in_grace.status == Status.ACTIVE
    assert target_req.status == Status.REJECTED


def test_being_viewed_beats_grace_and_the_freed_copy_goes_on(make_rep, patrons, gsa, clock):
    rep = make_rep(2)
    source, target, next_one = patrons[0], patrons[1], patrons[2]
    viewing = services.access(source, services.request_loan(source, rep))   # being viewed
    grace = services.request_loan(target, rep)                              # second copy, in grace
    clock.advance(dt.timedelta(minutes=1))
    waiter = services.request_loan(next_one, rep)
    assert waiter.status == Status.READY
    before = OutboxMessage.objects.filter(recipient=next_one).count()
    merge_people(source, target, by=gsa)
    viewing.refresh_from_db()
    grace.refresh_from_db()
    waiter.refresh_from_db()
    assert (viewing.patron_id, viewing.step) == (target.pk, Step.IS_BEING_VIEWED)
    assert grace.status == Status.REJECTED and grace.slot_id is None
    # LDL-6: the copy the duplicate held went to the next in line, who is told
    assert waiter.status == Status.ACTIVE and waiter.step == Step.IN_GRACE_PERIOD
    assert OutboxMessage.objects.filter(recipient=next_one).count() > before
    # LDL-15: never more active requests than copies
    assert LoanRequest.objects.filter(representation=rep, status=Status.ACTIVE).count() == 2
