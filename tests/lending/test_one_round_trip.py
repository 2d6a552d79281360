"""Issue 19 / LDL-15: a verb reads its title, decides, and writes the whole decision at once (on
PostgreSQL in one round trip, optimistically behind a gate on the title row).  A decision made
on a state that another verb changed in the meantime is never written: the verb runs again on
the new state.  The configuration read before the lock (on PostgreSQL kept between verbs while
its rows are unchanged) is always the one in force."""
from __future__ import annotations

import pytest
from django.db import connection

from syllabus.lending import services
from syllabus.lending.models import AccessRule, LoanRequest, Status
from syllabus.notify.models import LetterConfig, OutboxMessage

from .conftest import DEFAULT_RULE
from .gates import inject_once


@pytest.mark.django_db(transaction=True)
def test_a_title_changed_between_reading_and_writing_is_read_again_and_never_overbooked(make_rep, patrons, monkeypatch):
    rep = make_rep(1)
    a, b = patrons[:2]
    injected = inject_once(monkeypatch, lambda: services.request_loan(b, rep))  # a's decision is made: b's request commits first

    conflicts = services.RETRIES["conflicts"]
    req_a = services.request_loan(a, rep)
    if not injected:  # SQLite: the writer lock serialises the verbs; b comes after a
        services.request_loan(b, rep)
    rows = {r.patron_id: r for r in LoanRequest.objects.filter(representation=rep)}
    assert len(rows) == 2
    assert sorted(r.status for r in rows.values()) == [Status.ACTIVE, Status.READY]
    first, second = (b, a) if injected else (a, b)
    assert rows[first.pk].status == Status.ACTIVE and rows[second.pk].status == Status.READY
    assert req_a.status == rows[a.pk].status  # what the verb returned is what was written
    assert services.place_in_queue(rows[second.pk]) == 1
    assert OutboxMessage.objects.filter(letter="ldl_available", recipient=first, channel="email").count() == 1
    assert not OutboxMessage.objects.filter(letter="ldl_available", recipient=second).exists()
    assert OutboxMessage.objects.filter(letter="ldl_waitlist", recipient=second, channel="email").count() == 1
    if connection.vendor == "postgresql":
        assert injected and services.RETRIES["conflicts"] == conflicts + 1


@pytest.mark.django_db
def test_a_changed_rule_or_letter_setting_applies_to_the_next_verb_at_once(make_policy, make_rep, patrons, lending_staff):
    pol = make_policy(session_period=3)
    rep = make_rep(1, pol=pol)
    first = services.request_loan(patrons[0], rep)
    assert first.terms["session_period"] == 3
    services.update_policy(lending_staff, pol, rules=[DEFAULT_RULE | {"session_period": 5}])
    assert services.request_loan(patrons[1], rep).terms["session_period"] == 5
    # the same row changed twice by one transaction (a caller's, or a test's): still seen at once
    AccessRule.objects.filter(policy=pol).update(session_period=6)
    assert services.request_loan(patrons[2], rep).terms["session_period"] == 6
    AccessRule.objects.filter(policy=pol).update(session_period=7)
    assert services.request_loan(patrons[3], rep).terms["session_period"] == 7
    assert OutboxMessage.objects.get(letter="ldl_waitlist", recipient=patrons[3], channel="email").status == "pending"
    LetterConfig.objects.create(institution=rep.library.institution, letter="ldl_waitlist", enabled=False)
    services.request_loan(patrons[4], rep)
    assert OutboxMessage.objects.get(letter="ldl_waitlist", recipient=patrons[4], channel="email").status != "pending"
