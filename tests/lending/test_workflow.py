"""Acceptance 1: one test per row of the reference's long-term digital loan workflow table
(steps 1–6, LDL-4..7, LDL-11, LDL-12), and the transition table itself."""
from __future__ import annotations

import datetime as dt

import pytest

from syllabus.core.errors import RuleViolation
from syllabus.core.tasks import run_tick
from syllabus.lending import selectors, services
from syllabus.lending.models import LoanRequest, Outcome, Status, Step
from syllabus.lending.workflow import LOAN_WORKFLOW
from syllabus.notify.models import OutboxMessage

DAY = dt.timedelta(days=1)


def letters(code, user=None):
    qs = OutboxMessage.objects.filter(letter=code)
    if user is not None:
        qs = qs.filter(recipient=user)
    return qs


def state(req):
    req.refresh_from_db()
    return req.status, req.step


def test_step1_unavailable_resource_puts_the_request_in_the_waitlist_and_tells_the_place(clock, rep, patrons):
    p1, p2, p3 = patrons[:3]
    services.request_loan(p1, rep)                      # takes the only copy
    r2 = services.request_loan(p2, rep)
    r3 = services.request_loan(p3, rep)
    assert (r2.status, r2.step) == (Status.READY, Step.IN_WAITLIST) == ("ready", "in_waitlist")
    assert services.place_in_queue(r2) == 1 and services.place_in_queue(r3) == 2
    mail = letters("ldl_waitlist", p3).get(channel="email")
    assert mail.context["place"] == "2"
    assert "number 2 in the waitlist" in mail.subject and "2 days" in mail.body and "3 days" in mail.body
    assert letters("ldl_waitlist", p3).filter(channel="sms", address="+15550003").exists()
    assert not letters("ldl_available", p2).exists()


def test_step2_resource_becomes_available_the_next_enters_the_grace_period_with_place_0_and_a_link(clock, rep, patrons):
    p1, p2 = patrons[:2]
    r1 = services.request_loan(p1, rep)
    r2 = services.request_loan(p2, rep)
    services.access(p1, r1)
    clock.advance(dt.timedelta(hours=5))
    services.finish(p1, r1)                             # the copy frees up
    assert state(r2) == (Status.ACTIVE, Step.IN_GRACE_PERIOD)
    assert services.place_in_queue(r2) == 0
    assert r2.handed_over_at == clock.now()
    # Monday 14:00 + 2 open days (the test library opens Mon–Fri) = Wednesday 14:00
    assert r2.grace_due_at == clock.now() + 2 * DAY
    mail = letters("ldl_available", p2).get(channel="email")
    assert f"/lending/titles/{rep.pk}/" in mail.body and "is available for you" in mail.subject
    assert letters("ldl_available", p2).filter(channel="sms").exists()


def test_step3_accessing_within_the_grace_period_starts_the_session_clock(clock, rep, patrons):
    r1 = services.request_loan(patrons[0], rep)
    assert state(r1) == (Status.ACTIVE, Step.IN_GRACE_PERIOD)
    clock.advance(dt.timedelta(hours=20))
    services.access(patrons[0], r1)
    assert state(r1) == (Status.ACTIVE, Step.IS_BEING_VIEWED)
    assert r1.session_started_at == clock.now()
    assert r1.session_due_at == clock.now() + 3 * DAY


def test_step4_finishing_completes_the_request_and_the_next_is_notified(clock, rep, patrons):
    p1, p2 = patrons[:2]
    r1 = services.request_loan(p1, rep)
    r2 = services.request_loan(p2, rep)
    services.access(p1, r1)
    services.finish(p1, r1)
    assert state(r1) == (Status.COMPLETED, Step.COMPLETED) and r1.outcome == Outcome.FINISHED and r1.slot_id is None
    assert state(r2) == (Status.ACTIVE, Step.IN_GRACE_PERIOD)
    assert letters("ldl_available", p2).count() == 2  # e-mail and SMS


def test_step4_the_session_period_ending_completes_the_request_and_the_next_is_notified(clock, rep, patrons):
    p1, p2 = patrons[:2]
    r1 = services.request_loan(p1, rep)
    r2 = services.request_loan(p2, rep)
    services.access(p1, r1)
    due = r1.session_due_at if r1.session_due_at else LoanRequest.objects.get(pk=r1.pk).session_due_at
    clock.advance(3 * DAY + dt.timedelta(minutes=1))
    # a read never shows a state whose time has passed, even before the timer sweep runs
    seen = selectors.request_for(p1, r1.pk)
    assert (seen.status, seen.step, seen.outcome) == (Status.COMPLETED, Step.COMPLETED, Outcome.SESSION_ENDED)
    assert seen.completed_at == due
    assert state(r2) == (Status.ACTIVE, Step.IN_GRACE_PERIOD)
    assert letters("ldl_available", p2).exists()
    assert run_tick()["lending"] == 0  # idempotent: nothing left to move


def test_step5_grace_expiry_without_access_completes_tells_the_patron_and_moves_to_the_next(clock, rep, patrons):
    p1, p2 = patrons[:2]
    r1 = services.request_loan(p1, rep)
    r2 = services.request_loan(p2, rep)
    clock.advance(2 * DAY - dt.timedelta(minutes=1))
    assert run_tick()["lending"] == 0
    assert state(r1) == (Status.ACTIVE, Step.IN_GRACE_PERIOD)
    clock.advance(dt.timedelta(minutes=1))
    assert run_tick()["lending"] == 1                  # the sweep moves it once...
    assert run_tick()["lending"] == 0                  # ...and only once
    assert state(r1) == (Status.COMPLETED, Step.COMPLETED) and r1.outcome == Outcome.GRACE_EXPIRED
    assert letters("ldl_grace_expired", p1).filter(channel="email").get().subject.startswith("Your chance to read")
    assert state(r2) == (Status.ACTIVE, Step.IN_GRACE_PERIOD)
    assert letters("ldl_available", p2).exists()


def test_step6_staff_cancel_of_an_active_request_notifies_and_hands_the_copy_to_the_next(clock, rep, patrons, lending_staff):
    p1, p2 = patrons[:2]
    r1 = services.request_loan(p1, rep)
    r2 = services.request_loan(p2, rep)
    services.cancel(lending_staff, r1, reason="cannot_be_fulfilled", note="Scan is being redone")
    assert state(r1) == (Status.REJECTED, Step.COMPLETED)
    assert r1.cancel_reason == "cannot_be_fulfilled" and r1.cancel_note == "Scan is being redone"
    mail = letters("ldl_cancelled", p1).get(channel="email")
    assert "Request cannot be fulfilled" in mail.body and "Scan is being redone" in mail.body
    assert state(r2) == (Status.ACTIVE, Step.IN_GRACE_PERIOD)


def test_step6_staff_cancel_of_a_waiting_request_moves_later_ones_up(clock, rep, patrons, lending_staff):
    services.request_loan(patrons[0], rep)
    waiting = [services.request_loan(p, rep) for p in patrons[1:4]]
    assert [services.place_in_queue(r) for r in waiting] == [1, 2, 3]
    services.cancel(lending_staff, waiting[0], reason="duplicate")
    assert state(waiting[0]) == (Status.REJECTED, Step.COMPLETED)
    assert letters("ldl_cancelled", patrons[1]).exists()
    assert [services.place_in_queue(LoanRequest.objects.get(pk=r.pk)) for r in waiting[1:]] == [1, 2]
    assert not letters("ldl_available", patrons[2]).exists()


def test_step6_a_request_being_viewed_cannot_be_cancelled(clock, rep, patrons, lending_staff):
    r1 = services.request_loan(patrons[0], rep)
    services.access(patrons[0], r1)
    with pytest.raises(RuleViolation) as exc:
        services.cancel(lending_staff, r1, reason="other")
    assert exc.value.rule == "LDL-11"
    assert state(r1) == (Status.ACTIVE, Step.IS_BEING_VIEWED)


def test_the_transition_table_is_the_reference_workflow():
    """LDL-4: the reference workflow's moves, and nothing leaves a final state."""
    t = {(row.action, row.source): row.target for row in LOAN_WORKFLOW.transitions}
    assert t[("hand_over", "ready/in_waitlist")] == "active/in_grace_period"
    assert t[("access", "active/in_grace_period")] == "active/is_being_viewed"
    assert t[("finish", "active/is_being_viewed")] == "completed/completed"
    assert t[("session_end", "active/is_being_viewed")] == "completed/completed"
    assert t[("grace_expire", "active/in_grace_period")] == "completed/completed"
    assert t[("cancel", "ready/in_waitlist")] == "rejected/completed"
    assert t[("cancel", "active/in_grace_period")] == "rejected/completed"
    assert ("cancel", "active/is_being_viewed") not in t
    assert not any(before.split("/")[0] in ("completed", "rejected") for _, before in t)  # nothing leaves a final state


def test_a_finished_request_cannot_move_again(clock, rep, patrons):
    r1 = services.request_loan(patrons[0], rep)
    services.access(patrons[0], r1)
    services.finish(patrons[0], r1)
    for verb in (services.finish, services.access, services.renew):
        with pytest.raises(RuleViolation):
            verb(patrons[0], r1)
    assert state(r1) == (Status.COMPLETED, Step.COMPLETED)
