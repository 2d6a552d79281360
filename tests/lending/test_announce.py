"""Issue 19: the letters of a loan verb are announced to the outbox's listeners right after
its commit (``notify.delivery.announce``; PostgreSQL) — for a finish whose hand-over the
database decides among the first waiting (``_Title._hand_over_late``), only the letters it
wrote: the patron who got the copy is named, the other candidates are not.  On SQLite there
is nothing to listen to; the letters written are the same."""
from __future__ import annotations

import pytest
from django.db import connection

from syllabus.lending import services
from syllabus.lending.models import Status, Step
from syllabus.notify.delivery import OutboxListener
from syllabus.notify.models import OutboxMessage


@pytest.mark.django_db(transaction=True)
def test_a_finish_announces_the_available_letter_of_the_patron_who_got_the_copy_only(make_rep, patrons):
    rep = make_rep(3)  # three copies: the finish reads the first three waiting (its candidates)
    p1, h2, h3, p2, p3 = patrons[:5]
    mine = services.access(p1, services.request_loan(p1, rep))
    services.request_loan(h2, rep)
    services.request_loan(h3, rep)
    services.request_loan(p2, rep)
    services.request_loan(p3, rep)
    listener = OutboxListener.open()
    if connection.vendor == "postgresql":
        assert listener is not None
    else:
        assert listener is None
    try:
        services.finish(p1, mine)
    except BaseException:
        if listener is not None:
            listener.close()
        raise
    got = {r.patron_id: r for r in services.LoanRequest.objects.filter(representation=rep)}
    assert got[p2.pk].step == Step.IN_GRACE_PERIOD and got[p3.pk].status == Status.READY
    available = OutboxMessage.objects.filter(letter="ldl_available", recipient__in=[p2, p3])
    assert set(available.values_list("recipient_id", flat=True)) == {p2.pk}
    if listener is None:
        return
    with listener:
        payloads = listener.wait(5)
    tokens = {t for p in payloads for t in p.split()}
    assert f"ldl_available:{p2.pk}" in tokens
    assert f"ldl_available:{p3.pk}" not in tokens  # a candidate the database did not choose
    assert "*" not in tokens
