"""Issue 19 / LDL-8, LDL-15: a patron who opens a copy handed over to them, with the request just
read (as every page and API call reads it before the verb), is written in ONE round trip on
PostgreSQL — behind a gate that locks only the request's own row (session 14: no title lock,
tests/lending/test_access_without_title_lock.py) and checks that the row is the one read and
that nothing of the title is overdue.  Otherwise the title is read and the
access decided as usual: a stale request is never written, a due timer is always applied
first.  On SQLite the same calls give the same outcome."""
from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext

from syllabus.core import clock
from syllabus.core.errors import RuleViolation
from syllabus.core.models import AuditEntry
from syllabus.lending import selectors, services
from syllabus.lending.models import LoanRequest, Outcome, Status, Step

from .conftest import DEFAULT_RULE


def _audited(req, action: str) -> int:
    return AuditEntry.objects.filter(content_type=ContentType.objects.get_for_model(LoanRequest), object_id=str(req.pk),
                                     action=action).count()


@pytest.mark.django_db(transaction=True)
def test_opening_a_copy_just_read_is_one_round_trip_with_the_same_writes(make_rep, patrons):
    rep = make_rep(1)
    p1 = patrons[0]
    handed = services.request_loan(p1, rep)
    req = selectors.request_for(p1, handed.pk)
    with CaptureQueriesContext(connection) as queries:
        opened = services.access(p1, req)
    if connection.vendor == "postgresql":  # (the first time a connection meets a statement, its PREPARE goes first)
        assert len([q for q in queries.captured_queries if not q["sql"].startswith("PREPARE ")]) == 1
    row = LoanRequest.objects.get(pk=handed.pk)
    assert opened.step == row.step == Step.IS_BEING_VIEWED
    assert row.session_started_at == opened.session_started_at is not None
    assert row.session_due_at == opened.session_due_at == row.session_started_at + row.session_length
    assert _audited(row, "access") == 1
    assert req.step == Step.IN_GRACE_PERIOD  # the caller's object is left as it was read
    assert services.finish(p1, opened).status == Status.COMPLETED


@pytest.mark.django_db(transaction=True)
def test_a_request_changed_since_it_was_read_is_read_again_and_refused(make_rep, patrons, lending_staff):
    rep = make_rep(1)
    p1 = patrons[0]
    handed = services.request_loan(p1, rep)
    req = selectors.request_for(p1, handed.pk)
    services.cancel(lending_staff, selectors.request_for(lending_staff, handed.pk), reason="other")  # meanwhile
    read_again = services.RETRIES.get("read_again", 0)
    with pytest.raises(RuleViolation) as refused:
        services.access(p1, req)
    assert refused.value.rule == "LDL-8"
    row = LoanRequest.objects.get(pk=handed.pk)
    assert (row.outcome, row.session_started_at) == (Outcome.CANCELLED, None)
    assert _audited(row, "access") == 0
    if connection.vendor == "postgresql":
        assert services.RETRIES["read_again"] == read_again + 1


@pytest.mark.django_db(transaction=True)
def test_a_timer_due_meanwhile_is_applied_before_the_access_and_its_copy_handed_on(make_policy, make_rep, make_user):
    short = DEFAULT_RULE | {"grace_period": 1, "grace_period_unit": "hours"}
    pol = make_policy(rules=[short, DEFAULT_RULE | {"user_group": "faculty", "grace_period": 5}])
    rep = make_rep(2, pol=pol)
    reader = make_user("reader", group="faculty")  # 5 days to open it
    late, waiting = make_user("late"), make_user("waiting")  # 1 hour
    try:
        clock.set_now(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone.utc))
        mine = services.request_loan(reader, rep)
        other = services.request_loan(late, rep)
        queued = services.request_loan(waiting, rep)
        assert (mine.step, other.step, queued.step) == (Step.IN_GRACE_PERIOD, Step.IN_GRACE_PERIOD, Step.IN_WAITLIST)
        req = selectors.request_for(reader, mine.pk)
        clock.advance(dt.timedelta(days=2))  # late's grace period is over, the reader's is not
        overdue = services.RETRIES.get("changed:overdue", 0)
        opened = services.access(reader, req)
        rows = {r.patron_id: r for r in LoanRequest.objects.filter(representation=rep)}
        assert opened.step == rows[reader.pk].step == Step.IS_BEING_VIEWED
        assert rows[late.pk].outcome == Outcome.GRACE_EXPIRED
        assert rows[waiting.pk].step == Step.IN_GRACE_PERIOD  # the copy went to the next in line
        assert rows[waiting.pk].slot_id == other.slot_id
        if connection.vendor == "postgresql":
            assert services.RETRIES["changed:overdue"] == overdue + 1
    finally:
        clock.set_now(None)
