"""Issue 19, session 14 / LDL-8, LDL-11, LDL-15: on PostgreSQL a patron opening the copy handed
over to them (with the request just read) is written without the title's lock, under its own
row's lock and only if the row is the version read.  These are its races with the verbs that
take the title's lock and write that row:

- an optimistic verb (here a staff cancel) that read the copy in its grace period while the
  patron opened it: its write of the row is version-checked, so it reads again and decides on
  the opened copy (refused: a copy being viewed cannot be cancelled);
- a locked verb (here the title withdrawn, LDL-2/LDL-15) holds the rows of the copies in
  their grace period from before its read: the patron's access waits for it, finds the row
  changed, reads the title again and is refused — the withdrawal never takes back a copy that
  is being read.

On SQLite the verbs run in the writer lock: the same calls give the same outcome."""
from __future__ import annotations

import threading
import time

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from syllabus.core.errors import RuleViolation
from syllabus.core.models import AuditEntry
from syllabus.lending import selectors, services
from syllabus.lending.models import CancelReason, LoanRequest, LoanSettings, Outcome, Status, Step
from tests.lending.gates import inject_once

pytestmark = pytest.mark.django_db(transaction=True)


def _audited(req, action: str) -> int:
    return AuditEntry.objects.filter(content_type=ContentType.objects.get_for_model(LoanRequest), object_id=str(req.pk),
                                     action=action).count()


def _title_row_version(rep) -> str:
    with connection.cursor() as cur:
        cur.execute(f"SELECT xmin::text FROM {LoanSettings._meta.db_table} WHERE representation_id = %s", [rep.pk])
        return cur.fetchone()[0]


def test_opening_takes_no_title_lock_a_staff_cancel_read_before_it_reads_again_and_is_refused(
        make_rep, patrons, lending_staff, monkeypatch):
    rep = make_rep(1)
    p1 = patrons[0]
    handed = services.request_loan(p1, rep)
    mine = selectors.request_for(p1, handed.pk)  # as the viewer page reads it
    seen_by_staff = selectors.request_for(lending_staff, handed.pk)
    changed = services.RETRIES.get("changed:request", 0)
    title_row: list = []

    def open_it():  # between the cancel's read and its write
        title_row.append(_title_row_version(rep))
        services.access(p1, mine)
        title_row.append(_title_row_version(rep))

    done = inject_once(monkeypatch, open_it)
    if connection.vendor != "postgresql":  # SQLite: the writer lock serialises the verbs
        services.access(p1, mine)
    with pytest.raises(RuleViolation) as refused:
        services.cancel(lending_staff, seen_by_staff, reason=CancelReason.OTHER)
    assert (refused.value.rule, refused.value.status) == ("LDL-11", 409)
    row = LoanRequest.objects.get(pk=handed.pk)
    assert (row.status, row.step, row.outcome) == (Status.ACTIVE, Step.IS_BEING_VIEWED, "")
    assert row.session_started_at is not None and row.slot_id is not None
    assert _audited(row, "access") == 1 and _audited(row, "cancel") == 0
    if connection.vendor == "postgresql":
        assert title_row[0] == title_row[1]  # the access did not write (so did not lock) the title's row
        assert done and services.RETRIES["changed:request"] == changed + 1  # the cancel's write found the row opened


def test_a_withdrawal_holds_the_copies_in_their_grace_period_so_an_access_meanwhile_waits_and_is_refused(
        make_rep, patrons, lending_staff, monkeypatch):
    rep = make_rep(2)
    p1, p2 = patrons[:2]
    handed = services.request_loan(p1, rep)
    services.request_loan(p2, rep)
    mine = selectors.request_for(p1, handed.pk)
    outcome: dict = {}
    started = threading.Event()

    def open_it():
        started.set()
        t0 = time.monotonic()
        try:
            services.access(p1, mine)
            outcome["opened"] = True
        except RuleViolation as exc:
            outcome["refused"] = (exc.rule, exc.status)
        finally:
            outcome["waited"] = time.monotonic() - t0
            connection.close()

    opener = threading.Thread(target=open_it)
    real_run = services._run

    def run(statements, gate=None, **kwargs):  # the withdrawal decided, inside its lock: the patron opens now
        if gate is None and connection.in_atomic_block and not opener.is_alive() and "ran" not in outcome:
            outcome["ran"] = True
            opener.start()
            started.wait(10)
            time.sleep(0.4)  # the access runs meanwhile (it would be written now if it took no lock at all)
            assert "opened" not in outcome and "refused" not in outcome
        return real_run(statements, gate, **kwargs)

    monkeypatch.setattr(services, "_run", run)
    services.configure_representation(lending_staff, rep, concurrent_users=0)
    monkeypatch.setattr(services, "_run", real_run)
    opener.join(60)
    assert outcome.get("ran") and not opener.is_alive()
    assert outcome.get("refused") == ("LDL-8", 409)  # "this loan has ended"
    assert outcome["waited"] >= 0.3  # it waited for the withdrawal's commit
    row = LoanRequest.objects.get(pk=handed.pk)
    assert (row.status, row.outcome, row.cancel_reason) == (Status.REJECTED, Outcome.CANCELLED, CancelReason.RESOURCE_WITHDRAWN)
    assert row.session_started_at is None and _audited(row, "access") == 0
    assert not LoanRequest.objects.filter(representation=rep, status=Status.ACTIVE).exists()
