"""Timers and rules: grace over closed days (acceptance 4, LDL-7), the session clock (LDL-8),
renewals (acceptance 5, LDL-9), the reloan limit (LDL-10), waitlist order (LDL-5) and the
number of concurrent users (LDL-2, LDL-15)."""
from __future__ import annotations

import datetime as dt

import pytest

from syllabus.core.errors import RuleViolation
from syllabus.core.tasks import run_tick
from syllabus.lending import selectors, services
from syllabus.lending.models import LoanRequest, LoanSlot, Outcome, Status, Step
from syllabus.org import config
from syllabus.org.models import ClosedDate

from .conftest import DEFAULT_RULE

UTC = dt.timezone.utc
DAY = dt.timedelta(days=1)
FRIDAY_10 = dt.datetime(2026, 3, 6, 10, 0, tzinfo=UTC)


def fresh(req):
    return LoanRequest.objects.get(pk=req.pk)


# --- acceptance 4: grace counts library open days (LDL-7) --------------------------------------

def test_grace_of_2_days_over_a_closed_weekend_ends_on_the_second_open_day(clock, rep, patrons):
    clock.set_now(FRIDAY_10)
    req = services.request_loan(patrons[0], rep)                  # handed over on Friday 10:00
    tuesday_10 = dt.datetime(2026, 3, 10, 10, 0, tzinfo=UTC)       # Mon = 1st open day, Tue = 2nd
    assert req.grace_due_at == tuesday_10
    clock.set_now(dt.datetime(2026, 3, 10, 9, 59, tzinfo=UTC))
    run_tick()
    assert fresh(req).step == Step.IN_GRACE_PERIOD
    clock.set_now(tuesday_10)
    assert run_tick()["lending"] == 1
    assert (fresh(req).status, fresh(req).outcome) == (Status.COMPLETED, Outcome.GRACE_EXPIRED)


def test_grace_with_the_setting_on_ends_2_calendar_days_later(clock, rep, patrons, library_a):
    config.set_value("include_library_closing_days_in_digital_lending_grace_period", True, library=library_a)
    clock.set_now(FRIDAY_10)
    req = services.request_loan(patrons[0], rep)
    assert req.grace_due_at == dt.datetime(2026, 3, 8, 10, 0, tzinfo=UTC)   # Sunday 10:00


def test_grace_skips_closed_dates_as_well_as_closed_weekdays(clock, rep, patrons, library_a):
    ClosedDate.objects.create(library=library_a, start=dt.date(2026, 3, 9), end=dt.date(2026, 3, 9), description="Holiday")
    clock.set_now(FRIDAY_10)
    req = services.request_loan(patrons[0], rep)
    assert req.grace_due_at == dt.datetime(2026, 3, 11, 10, 0, tzinfo=UTC)  # Tue, Wed


def test_grace_in_hours_counts_only_the_hours_of_open_days(clock, make_policy, make_rep, patrons):
    """LDL-7: 24 hours of grace given Friday 17:00 do not run out on Saturday 17:00 while the
    library is closed: Friday 17:00-24:00 is 7 hours, Monday 00:00-17:00 the other 17."""
    pol = make_policy(grace_period=24, grace_period_unit="hours", session_period=5, session_period_unit="hours")
    r = make_rep(1, pol=pol)
    friday_17 = FRIDAY_10.replace(hour=17)
    clock.set_now(friday_17)
    req = services.request_loan(patrons[0], r)
    monday_17 = dt.datetime(2026, 3, 9, 17, 0, tzinfo=UTC)
    assert req.grace_due_at == monday_17
    clock.set_now(dt.datetime(2026, 3, 7, 17, 0, tzinfo=UTC))          # Saturday 17:00: still the patron's turn
    run_tick()
    assert fresh(req).step == Step.IN_GRACE_PERIOD
    clock.set_now(monday_17 - dt.timedelta(minutes=1))
    run_tick()
    assert fresh(req).step == Step.IN_GRACE_PERIOD
    services.access(patrons[0], req)                                    # the session is plain hours
    assert fresh(req).session_due_at == monday_17 - dt.timedelta(minutes=1) + dt.timedelta(hours=5)


def test_grace_in_hours_runs_out_on_the_next_open_day(clock, make_policy, make_rep, patrons):
    pol = make_policy(grace_period=3, grace_period_unit="hours")
    r = make_rep(1, pol=pol)
    clock.set_now(FRIDAY_10.replace(hour=22))                          # 2 hours on Friday, 1 on Monday
    req = services.request_loan(patrons[0], r)
    assert req.grace_due_at == dt.datetime(2026, 3, 9, 1, 0, tzinfo=UTC)
    clock.set_now(dt.datetime(2026, 3, 9, 1, 0, tzinfo=UTC))
    assert run_tick()["lending"] == 1
    assert fresh(req).outcome == Outcome.GRACE_EXPIRED


def test_grace_in_hours_handed_over_on_a_closed_day_starts_with_the_next_open_day(clock, make_policy, make_rep, patrons):
    pol = make_policy(grace_period=3, grace_period_unit="hours")
    r = make_rep(1, pol=pol)
    clock.set_now(dt.datetime(2026, 3, 7, 11, 0, tzinfo=UTC))          # Saturday
    req = services.request_loan(patrons[0], r)
    assert req.grace_due_at == dt.datetime(2026, 3, 9, 3, 0, tzinfo=UTC)


def test_grace_in_hours_keeps_the_library_time_zone(clock, make_policy, make_rep, patrons, library_a):
    library_a.timezone = "America/New_York"                             # UTC-5 in March before the DST change
    library_a.save()
    pol = make_policy(grace_period=24, grace_period_unit="hours")
    r = make_rep(1, pol=pol)
    clock.set_now(dt.datetime(2026, 3, 6, 22, 0, tzinfo=UTC))          # Friday 17:00 in New York
    req = services.request_loan(patrons[0], r)
    # 7 hours of Friday, then Monday 00:00-17:00 New York (the clocks moved on Sunday: UTC-4)
    assert req.grace_due_at == dt.datetime(2026, 3, 9, 21, 0, tzinfo=UTC)


def test_grace_in_hours_with_the_setting_on_is_plain_hours(clock, make_policy, make_rep, patrons, library_a):
    config.set_value("include_library_closing_days_in_digital_lending_grace_period", True, library=library_a)
    pol = make_policy(grace_period=24, grace_period_unit="hours")
    r = make_rep(1, pol=pol)
    clock.set_now(FRIDAY_10.replace(hour=17))
    req = services.request_loan(patrons[0], r)
    assert req.grace_due_at == dt.datetime(2026, 3, 7, 17, 0, tzinfo=UTC)   # Saturday 17:00



def test_grace_in_hours_reads_the_calendar_once(django_assert_max_num_queries, library_a):
    """The hours are counted inside the loan lock: the closed dates are read once, not once a day."""
    from syllabus.org.models import Library
    ClosedDate.objects.create(library=library_a, start=dt.date(2026, 3, 10), end=dt.date(2026, 3, 11))
    lib = Library.objects.get(pk=library_a.pk)
    with django_assert_max_num_queries(1):
        due = services.add_library_hours(lib, FRIDAY_10.replace(hour=17), 24 * 10)
    # Friday 7h, Mon 9 24h, Tue-Wed closed, Thu 12-Fri 13 48h, Mon 16-Fri 20 120h, Mon 23 00:00 + 41h
    assert due == dt.datetime(2026, 3, 24, 17, 0, tzinfo=UTC)


# --- the session clock (LDL-8) -------------------------------------------------------------------

def test_session_starts_at_first_access(clock, rep, patrons):
    req = services.request_loan(patrons[0], rep)
    assert req.session_due_at is None
    clock.advance(dt.timedelta(hours=30))
    services.access(patrons[0], req)
    assert fresh(req).session_due_at == clock.now() + 3 * DAY
    clock.advance(dt.timedelta(hours=1))
    services.access(patrons[0], req)  # opening the viewer again does not restart the clock
    assert fresh(req).session_due_at == clock.now() - dt.timedelta(hours=1) + 3 * DAY


def test_session_starts_with_the_grace_period_when_it_is_included(clock, make_policy, make_rep, patrons):
    pol = make_policy(grace_included_in_session=True, grace_period=2, session_period=3)
    r = make_rep(1, pol=pol)
    start = clock.now()
    req = services.request_loan(patrons[0], r)
    assert req.session_due_at == start + 3 * DAY
    clock.advance(DAY)
    services.access(patrons[0], req)
    assert fresh(req).session_due_at == start + 3 * DAY
    clock.advance(2 * DAY)
    assert selectors.request_for(patrons[0], req.pk).outcome == Outcome.SESSION_ENDED


def test_grace_included_is_capped_by_the_session_even_over_closed_days(clock, make_policy, make_rep, patrons):
    pol = make_policy(grace_included_in_session=True, grace_period=2, session_period=2)
    r = make_rep(1, pol=pol)
    clock.set_now(FRIDAY_10)
    req = services.request_loan(patrons[0], r)
    assert req.grace_due_at == req.session_due_at == FRIDAY_10 + 2 * DAY


# --- acceptance 5: renewals (LDL-9) ---------------------------------------------------------------

def test_renewal_arithmetic_of_the_reference_session_3_days_max_10_is_3_3_3_1(clock, make_policy, make_rep, patrons):
    pol = make_policy(session_period=3, renewable=True, max_renewal_days=10, open_for_renewal_days=1)
    r = make_rep(1, pol=pol)
    req = services.request_loan(patrons[0], r)
    services.access(patrons[0], req)
    start = clock.now()
    due = start + 3 * DAY
    extensions = []
    for _ in range(4):
        clock.set_now(due - dt.timedelta(hours=12))               # inside the 1-day window
        before = due
        due = services.renew(patrons[0], fresh(req)).session_due_at
        extensions.append((due - before) / DAY)
    assert extensions == [3, 3, 3, 1]
    assert due == start + 13 * DAY
    clock.set_now(due - dt.timedelta(hours=12))
    with pytest.raises(RuleViolation) as exc:
        services.renew(patrons[0], fresh(req))
    assert exc.value.rule == "LDL-9" and "used up" in exc.value.detail
    assert fresh(req).renewals == 4 and fresh(req).renewed_total == 10 * DAY


def test_renewal_is_refused_outside_the_open_for_renewal_window(clock, make_policy, make_rep, patrons):
    pol = make_policy(session_period=3, renewable=True, max_renewal_days=10, open_for_renewal_days=1)
    r = make_rep(1, pol=pol)
    req = services.request_loan(patrons[0], r)
    services.access(patrons[0], req)
    clock.advance(2 * DAY - dt.timedelta(minutes=1))             # the window opens 1 day before the due time
    with pytest.raises(RuleViolation) as exc:
        services.renew(patrons[0], fresh(req))
    assert exc.value.rule == "LDL-9" and "renewal opens" in exc.value.detail
    assert fresh(req).renewals == 0
    clock.advance(dt.timedelta(minutes=1))
    assert services.renew(patrons[0], fresh(req)).renewals == 1


def test_renewal_is_refused_when_others_wait_unless_the_rule_allows_it(clock, make_policy, make_rep, patrons):
    strict = make_rep(1, pol=make_policy(renewable=True, max_renewal_days=10))
    lenient = make_rep(1, pol=make_policy(renewable=True, max_renewal_days=10, renewable_when_others_wait=True))
    for r in (strict, lenient):
        req = services.request_loan(patrons[0], r)
        services.access(patrons[0], req)
        services.request_loan(patrons[1], r)
    clock.advance(2 * DAY + dt.timedelta(hours=1))
    with pytest.raises(RuleViolation) as exc:
        services.renew(patrons[0], LoanRequest.objects.get(representation=strict, patron=patrons[0]))
    assert exc.value.rule == "LDL-9" and "waiting" in exc.value.detail
    assert services.renew(patrons[0], LoanRequest.objects.get(representation=lenient, patron=patrons[0])).renewals == 1


def test_a_non_renewable_loan_cannot_be_renewed(clock, make_policy, make_rep, patrons):
    r = make_rep(1, pol=make_policy(renewable=False, max_renewal_days=0))
    req = services.request_loan(patrons[0], r)
    services.access(patrons[0], req)
    clock.advance(2 * DAY + dt.timedelta(hours=1))
    with pytest.raises(RuleViolation) as exc:
        services.renew(patrons[0], fresh(req))
    assert exc.value.rule == "LDL-9"


# --- acceptance 5: reloan limit (LDL-10) -------------------------------------------------------------

def test_reloan_limit_refuses_a_new_request_inside_the_period_and_accepts_one_after(clock, make_policy, make_rep, patrons):
    r = make_rep(1, pol=make_policy(limit_reloan=True, reloan_limit_days=7))
    req = services.request_loan(patrons[0], r)
    services.access(patrons[0], req)
    clock.advance(DAY)
    services.finish(patrons[0], req)
    finished = clock.now()
    clock.set_now(finished + 7 * DAY - dt.timedelta(minutes=1))
    with pytest.raises(RuleViolation) as exc:
        services.request_loan(patrons[0], r)
    assert exc.value.rule == "LDL-10" and exc.value.status == 409
    assert LoanRequest.objects.filter(patron=patrons[0]).count() == 1
    clock.set_now(finished + 7 * DAY + dt.timedelta(minutes=1))
    assert services.request_loan(patrons[0], r).status == Status.ACTIVE


def test_reloan_limit_counts_a_session_that_ended_but_not_a_grace_that_expired(clock, make_policy, make_rep, patrons):
    r = make_rep(1, pol=make_policy(limit_reloan=True, reloan_limit_days=7))
    services.request_loan(patrons[0], r)
    clock.advance(3 * DAY)                                          # grace expired (never viewed)
    assert services.request_loan(patrons[0], r).status == Status.ACTIVE
    req = LoanRequest.objects.get(patron=patrons[0], status=Status.ACTIVE)
    services.access(patrons[0], req)
    clock.advance(3 * DAY + dt.timedelta(minutes=1))                # the session ran out
    with pytest.raises(RuleViolation) as exc:
        services.request_loan(patrons[0], r)
    assert exc.value.rule == "LDL-10"


def test_no_reloan_limit_without_the_flag(clock, rep, patrons):
    req = services.request_loan(patrons[0], rep)
    services.access(patrons[0], req)
    services.finish(patrons[0], req)
    assert services.request_loan(patrons[0], rep).status == Status.ACTIVE


# --- waitlist order (LDL-5) and rules per user group (LDL-1) -----------------------------------------

def test_waitlist_order_is_priority_then_request_time(clock, make_policy, make_rep, patrons, make_user, groups, lending_staff):
    faculty_rule = DEFAULT_RULE | {"user_group": "faculty", "request_priority": 5, "session_period": 7}
    pol = make_policy(rules=[DEFAULT_RULE, faculty_rule])
    r = make_rep(1, pol=pol)
    services.request_loan(patrons[0], r)                              # takes the copy
    a = services.request_loan(patrons[1], r)
    clock.advance(dt.timedelta(minutes=1))
    prof = make_user("prof", group="faculty")
    b = services.request_loan(prof, r)
    clock.advance(dt.timedelta(minutes=1))
    c = services.request_loan(lending_staff, r, patron=patrons[2], priority=9)
    clock.advance(dt.timedelta(minutes=1))
    d = services.request_loan(patrons[3], r)
    assert (b.priority, b.terms["session_period"]) == (5, 7)
    assert [services.place_in_queue(fresh(x)) for x in (c, b, a, d)] == [1, 2, 3, 4]
    assert [x.patron.username for x in selectors.queue(r)["waiting"]] == ["p3", "prof", "p2", "p4"]


def test_a_policy_without_a_rule_for_the_group_refuses(clock, make_policy, make_rep, patrons):
    pol = make_policy(rules=[DEFAULT_RULE | {"user_group": "faculty"}])
    r = make_rep(1, pol=pol)
    with pytest.raises(RuleViolation) as exc:
        services.request_loan(patrons[0], r)
    assert exc.value.rule == "LDL-1"


# --- concurrent users (LDL-2, LDL-15) ----------------------------------------------------------------

def test_raising_the_concurrent_users_hands_copies_to_the_waitlist_at_once(clock, rep, patrons, lending_staff):
    reqs = [services.request_loan(p, rep) for p in patrons[:4]]
    services.configure_representation(lending_staff, rep, concurrent_users=3)
    assert [fresh(x).step for x in reqs] == [Step.IN_GRACE_PERIOD] * 3 + [Step.IN_WAITLIST]
    assert LoanSlot.objects.filter(representation=rep).count() == 3


def test_lowering_below_the_copies_on_loan_is_refused_and_slots_stay_compact(clock, make_rep, patrons, lending_staff):
    r = make_rep(3)
    reqs = [services.request_loan(p, r) for p in patrons[:3]]
    with pytest.raises(RuleViolation) as exc:
        services.configure_representation(lending_staff, r, concurrent_users=2)
    assert exc.value.rule == "LDL-15"
    services.cancel(lending_staff, reqs[1], reason="other")          # frees copy 2; copy 3 is still held
    services.configure_representation(lending_staff, r, concurrent_users=2)
    assert sorted(LoanSlot.objects.filter(representation=r).values_list("number", flat=True)) == [1, 2]
    assert sorted(fresh(x).slot.number for x in (reqs[0], reqs[2])) == [1, 2]


def test_the_database_refuses_an_active_request_without_a_copy(rep, patrons):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        LoanRequest.objects.create(representation=rep, patron=patrons[0], status=Status.ACTIVE, step=Step.IN_GRACE_PERIOD)


def test_the_database_refuses_two_requests_on_one_copy(clock, rep, patrons):
    from django.db import IntegrityError, transaction

    held = services.request_loan(patrons[0], rep)
    with pytest.raises(IntegrityError), transaction.atomic():
        LoanRequest.objects.create(representation=rep, patron=patrons[1], status=Status.ACTIVE, step=Step.IN_GRACE_PERIOD,
                                   slot=held.slot)


def test_the_sweep_is_idempotent(clock, make_rep, patrons):
    r = make_rep(2)
    for p in patrons[:4]:
        services.request_loan(p, r)
    clock.advance(3 * DAY)
    first = run_tick()["lending"]
    assert first == 2 and run_tick()["lending"] == 0
    assert LoanRequest.objects.filter(representation=r, status=Status.ACTIVE).count() == 2


def test_zero_concurrent_users_withdraws_the_title_and_tells_everyone_waiting(clock, make_rep, patrons, lending_staff):
    """LDL-2 "0 prevents any access": nobody waiting could ever be served, so the waitlist and
    the grace period end at once with reason resource_withdrawn and the LDL-12 letter."""
    from syllabus.notify.models import OutboxMessage

    r = make_rep(1)
    reqs = [services.request_loan(p, r) for p in patrons[:3]]              # p1 in grace, p2 and p3 waiting
    assert [x.step for x in reqs] == [Step.IN_GRACE_PERIOD, Step.IN_WAITLIST, Step.IN_WAITLIST]
    services.configure_representation(lending_staff, r, concurrent_users=0)
    for x in reqs:
        x = fresh(x)
        assert (x.status, x.cancel_reason, x.slot_id) == (Status.REJECTED, "resource_withdrawn", None)
        letter = OutboxMessage.objects.get(recipient=x.patron, letter="ldl_cancelled", channel="email")
        assert "Resource withdrawn from lending" in letter.body
    assert not LoanSlot.objects.filter(representation=r).exists()
    with pytest.raises(RuleViolation) as exc:
        services.request_loan(patrons[3], r)
    assert exc.value.rule == "LDL-2"


def test_zero_concurrent_users_is_refused_while_a_copy_is_being_read(clock, make_rep, patrons, lending_staff):
    r = make_rep(1)
    reading = services.access(patrons[0], services.request_loan(patrons[0], r))
    waiting = services.request_loan(patrons[1], r)
    with pytest.raises(RuleViolation) as exc:
        services.configure_representation(lending_staff, r, concurrent_users=0)
    assert (exc.value.rule, exc.value.status) == ("LDL-15", 409)
    assert (fresh(reading).step, fresh(waiting).step) == (Step.IS_BEING_VIEWED, Step.IN_WAITLIST)
