"""Issue 19: on PostgreSQL a loan verb's statements are prepared once per connection
(``syllabus/lending/rows.py`` through ``syllabus/core/statements.py``).  A session whose prepared statements were dropped (a pooler's
``DISCARD ALL``, a ``DEALLOCATE``) still serves the next verb, and
``PREPARED_STATEMENTS=0`` (formerly ``LENDING_PREPARED_STATEMENTS=0``) sends the statements as they are; either way the loan cycle
does what it always did."""
from __future__ import annotations

import pytest
from django.db import connection

from syllabus.core import statements
from syllabus.lending import selectors, services
from syllabus.lending.models import LoanRequest, Status, Step


def _cycle(patron, rep) -> LoanRequest:
    req = services.request_loan(patron, rep)
    assert req.step == Step.IN_GRACE_PERIOD
    req = selectors.request_for(patron, req.pk)
    assert req.place == 0
    return services.finish(patron, services.access(patron, req))


@pytest.mark.django_db(transaction=True)
def test_a_loan_cycle_survives_a_session_whose_prepared_statements_were_dropped(make_rep, patrons):
    rep = make_rep(1)
    first = _cycle(patrons[0], rep)
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT count(*) FROM pg_prepared_statements WHERE name LIKE 'ldl_%%'")
            assert cur.fetchone()[0] > 0  # the verbs' statements were prepared
            cur.execute("DEALLOCATE ALL")
    second = _cycle(patrons[1], rep)
    waiting = services.request_loan(patrons[2], rep)
    blocked = services.request_loan(patrons[3], rep)
    assert selectors.request_for(patrons[3], blocked.pk).place == 1
    assert [r.status for r in LoanRequest.objects.filter(pk__in=[first.pk, second.pk, waiting.pk, blocked.pk])
            .order_by("pk")] == [Status.COMPLETED, Status.COMPLETED, Status.ACTIVE, Status.READY]


@pytest.mark.django_db(transaction=True)
def test_statements_sent_as_they_are_when_preparing_is_switched_off(make_rep, patrons, monkeypatch):
    monkeypatch.setattr(statements, "PREPARED", False)
    rep = make_rep(1)
    done = _cycle(patrons[0], rep)
    assert LoanRequest.objects.get(pk=done.pk).status == Status.COMPLETED
    waiting = services.request_loan(patrons[1], rep)
    blocked = services.request_loan(patrons[2], rep)
    assert waiting.status == Status.ACTIVE and blocked.status == Status.READY
    assert selectors.request_for(patrons[2], blocked.pk).place == 1
