"""LDL-15, the database backstop: writes that bypass the services (ORM or raw SQL) and would
lend more copies than a representation owns are refused by the database itself, on SQLite
and on PostgreSQL.

The foreign keys are checked at commit (like Django's own), so these tests commit: each write
runs in its own transaction and must fail with IntegrityError, leaving nothing behind."""
from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from syllabus.lending import services
from syllabus.lending.models import LoanRequest, LoanSettings, LoanSlot, Status, Step

pytestmark = pytest.mark.django_db(transaction=True)


def active(rep) -> int:
    return LoanRequest.objects.filter(representation=rep, status=Status.ACTIVE).count()


def test_an_active_request_cannot_take_a_copy_of_another_representation(make_rep, patrons):
    one = make_rep(1, title="One copy")
    other = make_rep(1, title="Another title")
    services.request_loan(patrons[0], one)                            # the only copy of `one` is out
    waiting = services.request_loan(patrons[1], one)
    assert waiting.step == Step.IN_WAITLIST
    foreign = LoanSlot.objects.get(representation=other)              # free, but not a copy of `one`

    with pytest.raises(IntegrityError), transaction.atomic():         # ORM, bypassing the service
        LoanRequest.objects.filter(pk=waiting.pk).update(status=Status.ACTIVE, step=Step.IN_GRACE_PERIOD, slot=foreign)
    with pytest.raises(IntegrityError), transaction.atomic():         # a new row
        LoanRequest.objects.create(representation=one, patron=patrons[2], status=Status.ACTIVE,
                                   step=Step.IN_GRACE_PERIOD, slot=foreign)
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cur:  # raw SQL
        cur.execute(f"UPDATE {LoanRequest._meta.db_table} SET status = 'active', step = 'in_grace_period', slot_id = %s "
                    "WHERE id = %s", [foreign.pk, waiting.pk])

    assert active(one) == 1 and active(other) == 0
    assert LoanRequest.objects.get(pk=waiting.pk).status == Status.READY


def test_no_copy_can_be_added_beyond_the_number_of_concurrent_users(make_rep, patrons):
    rep = make_rep(1)
    services.request_loan(patrons[0], rep)
    waiting = services.request_loan(patrons[1], rep)

    with pytest.raises(IntegrityError), transaction.atomic():         # copy 2 of a 1-copy title
        LoanSlot.objects.create(representation=rep, number=2, capacity=1)
    with pytest.raises(IntegrityError), transaction.atomic():         # ... claiming a capacity it does not have
        LoanSlot.objects.create(representation=rep, number=2, capacity=2)
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cur:
        cur.execute(f"INSERT INTO {LoanSlot._meta.db_table} (representation_id, number, capacity) VALUES (%s, 2, 2)", [rep.pk])

    assert LoanSlot.objects.filter(representation=rep).count() == 1
    assert active(rep) == 1 and LoanRequest.objects.get(pk=waiting.pk).step == Step.IN_WAITLIST


def test_concurrent_users_cannot_be_lowered_below_the_copies_behind_the_services_back(make_rep, patrons):
    rep = make_rep(3)
    for p in patrons[:3]:
        services.request_loan(p, rep)

    with pytest.raises(IntegrityError), transaction.atomic():
        LoanSettings.objects.filter(representation=rep).update(concurrent_users=2)
    with pytest.raises(IntegrityError), transaction.atomic():         # even with no copy on loan above it
        LoanSettings.objects.filter(representation=rep).update(concurrent_users=0)

    assert LoanSettings.objects.get(representation=rep).concurrent_users == 3
    assert active(rep) == 3


def test_the_services_still_grow_and_shrink_the_copies(make_rep, patrons, lending_staff):
    rep = make_rep(1)
    first = services.request_loan(patrons[0], rep)
    services.configure_representation(lending_staff, rep, concurrent_users=3)
    assert sorted(LoanSlot.objects.filter(representation=rep).values_list("number", "capacity")) == [(1, 3), (2, 3), (3, 3)]
    services.configure_representation(lending_staff, rep, concurrent_users=1)
    assert list(LoanSlot.objects.filter(representation=rep).values_list("number", "capacity")) == [(1, 1)]
    assert LoanRequest.objects.get(pk=first.pk).slot.number == 1
