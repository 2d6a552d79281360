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
from syllabus.notify.models import OutboxMessage


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


@pytest.mark.django_db(transaction=True)
def test_text_with_quotes_percent_signs_and_backslashes_is_written_as_given(make_rep, patrons):
    # on PostgreSQL the verbs' values are written into the EXECUTE text by Syllabus, quoted as
    # psycopg quotes them (issue 19, session 13): what a patron typed comes back unchanged
    note = "O'Brien's 100% \\ \"quoted\" — naïve; %s %(x)s $1 ''"
    first, second = patrons[:2]
    second.first_name, second.last_name = "Zoë 50%", "O'Neil \\ $2"
    second.save(update_fields=["first_name", "last_name"])
    rep = make_rep(1)
    held = services.request_loan(first, rep, note=note)
    waiting = services.request_loan(second, rep, note=note)
    assert [LoanRequest.objects.get(pk=r.pk).note for r in (held, waiting)] == [note, note]
    letter = OutboxMessage.objects.get(letter="ldl_waitlist", recipient=second, channel="email")
    assert "Dear Zoë 50% O'Neil \\ $2," in letter.body and "Your place in the queue is 1." in letter.body
