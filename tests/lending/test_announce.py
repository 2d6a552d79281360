"""Issue 19: the letters of a loan verb are announced to the outbox's listeners right after
its commit (``notify.delivery.announce``; PostgreSQL) — for a finish whose hand-over the
database decides among the first waiting (``_Title._hand_over_late``), only the letters it
wrote: the patron who got the copy is named, the other candidates are not.  On SQLite there
is nothing to listen to; the letters written are the same."""
from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from syllabus.lending import services
from syllabus.lending.models import Status, Step
from syllabus.notify.delivery import OutboxListener
from syllabus.notify.models import OutboxMessage

from .gates import inject_once


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


def _all_payloads(listener) -> list[str]:
    payloads: list[str] = []
    while True:
        got = listener.wait(0.5)
        if not got:
            return payloads
        payloads += got


@pytest.mark.django_db(transaction=True)
def test_a_write_that_found_its_title_changed_announces_nothing_and_the_one_written_is_announced_with_it(
        make_rep, patrons, monkeypatch):
    """The announcement goes in the verb's own write, after its ``COMMIT`` (PostgreSQL): a patron
    is never told of a copy by a write that was not committed — here a's first decision (the
    free copy is a's) fails its gate because b took the copy meanwhile; a runs again and waits —
    and the verb needs no round trip of its own to announce (2 for a request, read and write)."""
    rep = make_rep(1)
    a, b, c = patrons[:3]
    real_run = services._run
    injected = inject_once(monkeypatch, lambda: services.request_loan(b, rep))  # a's decision is made: b's request commits first

    listener = OutboxListener.open()
    assert (listener is not None) == (connection.vendor == "postgresql")
    try:
        services.request_loan(a, rep)
        if not injected:  # SQLite: the writer lock serialises the verbs; b comes after a
            services.request_loan(b, rep)
        monkeypatch.setattr(services, "_run", real_run)
        with CaptureQueriesContext(connection) as queries:
            services.request_loan(c, rep)
    except BaseException:
        if listener is not None:
            listener.close()
        raise
    first, second = (b, a) if injected else (a, b)
    assert OutboxMessage.objects.filter(letter="ldl_available", recipient=first, channel="email").count() == 1
    assert not OutboxMessage.objects.filter(letter="ldl_available", recipient=second).exists()
    assert OutboxMessage.objects.filter(letter="ldl_waitlist", recipient__in=[second, c], channel="email").count() == 2
    if listener is None:
        return
    sent = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith("PREPARE")]
    assert len(sent) == 2 and not any(s.startswith("SELECT pg_notify") for s in sent)
    with listener:
        tokens = [t for p in _all_payloads(listener) for t in p.split()]
    assert injected
    assert tokens.count(f"ldl_available:{b.pk}") == 1
    assert f"ldl_available:{a.pk}" not in tokens  # a's first write failed: never announced
    assert tokens.count(f"ldl_waitlist:{a.pk}") == 1 and tokens.count(f"ldl_waitlist:{c.pk}") == 1
