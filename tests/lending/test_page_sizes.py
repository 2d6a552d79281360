"""The back office's request pages — on behalf, edit, cancel — read their POST with the forms of
``lending/forms.py`` (session 11; by hand before), and their services bound every value (the "never a 500" audit, session 10).  Sent hostile values — a
100,000-character patron, note or reason, a 20-digit or negative priority, an id past a bigint in
the path — each page answers a refusal naming the rule (or a 404 for the id), never a 500, and
nothing is written: no request, no change, no audit entry, no letter."""
from __future__ import annotations

import pytest

from syllabus.core.limits import TEXT
from syllabus.lending import services
from syllabus.lending.models import LoanRequest
from tests.rowcounts import product_row_counts

HUGE = "x" * 100_000
HUGE_INT = "9" * 20


def _counts():
    return product_row_counts()


def _state(req):
    req.refresh_from_db()
    return (req.status, req.step, req.priority, req.note, req.cancel_reason, req.cancel_note)


@pytest.mark.parametrize("data, rule", [
    ({"patron": HUGE}, "LDL-3"),
    ({"patron": "p3", "note": "x" * (TEXT + 1)}, "LDL-3"),
    ({"patron": "p3", "note": HUGE}, "LDL-3"),
    ({"patron": "p3", "priority": HUGE_INT}, "LDL-5"),
    ({"patron": "p3", "priority": "-1"}, "LDL-5"),
    ({"patron": "p3", "priority": "1e9"}, "LDL-5"),
    ({"patron": "p3", "priority": "\u00b2"}, "LDL-5"),  # a "digit" int() does not read: was a 500
    ({"patron": "nobody", "priority": "x"}, "LDL-3"),  # the patron is checked first
], ids=["patron", "note-over", "note-huge", "priority-20-digits", "priority-negative", "priority-float",
        "priority-superscript", "patron-before-priority"])
def test_on_behalf_refuses_hostile_values_naming_the_rule(client, clock, rep, patrons, lending_staff, data, rule):
    client.force_login(lending_staff)
    before = _counts()
    r = client.post(f"/lending/representations/{rep.pk}/on-behalf/", data, follow=True)
    assert r.status_code == 200, r.status_code  # back on the queue, the refusal as a message
    assert rule in r.content.decode()
    assert _counts() == before


@pytest.mark.parametrize("data, rule", [
    ({"note": "x" * (TEXT + 1)}, "LDL-11"),
    ({"note": HUGE}, "LDL-11"),
    ({"priority": HUGE_INT}, "LDL-5"),
    ({"priority": "-1"}, "LDL-5"),
    ({"priority": HUGE}, "LDL-5"),
    ({"priority": "\u00b2"}, "LDL-5"),  # a "digit" int() does not read: was a 500
], ids=["note-over", "note-huge", "priority-20-digits", "priority-negative", "priority-huge-text",
        "priority-superscript"])
def test_edit_refuses_hostile_values_naming_the_rule(client, clock, rep, patrons, lending_staff, data, rule):
    r, unchanged = _post_for_the_waiting(client, rep, patrons, lending_staff, "edit", data)
    assert r.status_code == 400, r.status_code
    assert rule in r.content.decode()
    assert unchanged()


def _post_for_the_waiting(client, rep, patrons, staff, action, data):
    """Staff post ``data`` to ``action`` of a request in the waitlist; the answer, and whether
    nothing changed since (no row added, the request as it was)."""
    services.request_loan(patrons[0], rep)
    waiting = services.request_loan(patrons[1], rep)
    client.force_login(staff)
    before, state = _counts(), _state(waiting)
    r = client.post(f"/lending/requests/{waiting.pk}/{action}/", data)
    return r, lambda: _counts() == before and _state(waiting) == state


@pytest.mark.parametrize("data, rule", [
    ({"reason": HUGE}, "LDL-11"),
    ({"reason": "no_longer_needed", "note": "x" * (TEXT + 1)}, "LDL-11"),
    ({"reason": "no_longer_needed", "note": HUGE}, "LDL-11"),
    ({"reason": "no_longer_needed", "next": "/lending/" + HUGE}, None),  # a next of any length: back to the queue
], ids=["reason", "note-over", "note-huge", "next-huge"])
def test_cancel_refuses_hostile_values_naming_the_rule(client, clock, rep, patrons, lending_staff, data, rule):
    r, unchanged = _post_for_the_waiting(client, rep, patrons, lending_staff, "cancel", data)
    if rule is None:
        assert r.status_code == 302 and len(r["Location"]) < 1_000
        return
    assert r.status_code == 400, r.status_code
    assert rule in r.content.decode()
    assert unchanged()


@pytest.mark.parametrize("path", ["/lending/requests/{id}/edit/", "/lending/requests/{id}/cancel/",
                                  "/lending/representations/{id}/on-behalf/", "/lending/requests/{id}/"])
def test_an_id_past_a_bigint_is_a_404(client, rep, lending_staff, path):
    client.force_login(lending_staff)
    before = _counts()
    for value in (HUGE_INT, str(2**63), "0"):
        assert client.post(path.format(id=value), {"patron": "p1", "reason": "other"}).status_code == 404
        assert client.get(path.format(id=value)).status_code in (404, 405)
    assert _counts() == before
    assert not LoanRequest.objects.exists()
