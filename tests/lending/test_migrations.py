"""Migration 0002 (LDL-15's database guard) fills ``LoanSlot.capacity`` and deletes surplus
slots (numbered above concurrent_users, held by nobody) before it adds the constraints.  On
PostgreSQL the delete leaves deferred foreign-key trigger events pending, and the ALTER TABLEs
that follow in the same transaction used to fail on them."""
from __future__ import annotations

import pytest

from syllabus.catalog.models import Record, Representation
from syllabus.lending.models import LoanSlot
from tests.migrating import latest as _latest, migrate as _migrate

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("lending", "0001_initial")]



def test_surplus_slots_are_removed_and_the_guard_is_added(inst_a, library_a):
    record = Record.objects.create(institution=inst_a, source_id="ldl-migration-1", title="Middlemarch")
    rep = Representation.objects.create(record=record, library=library_a, label="Scan")
    try:
        old = _migrate(BEFORE)
        OldSettings = old.get_model("lending", "LoanSettings")
        OldSlot = old.get_model("lending", "LoanSlot")
        OldSettings.objects.create(representation_id=rep.pk, concurrent_users=2)
        for number in (1, 2, 3):  # slot 3 is surplus
            OldSlot.objects.create(representation_id=rep.pk, number=number)
    finally:
        _migrate(_latest())  # the rest of the suite runs on the current schema
    slots = LoanSlot.objects.filter(representation=rep).order_by("number")
    assert [(s.number, s.capacity) for s in slots] == [(1, 2), (2, 2)]
