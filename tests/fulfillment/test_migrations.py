"""Migration 0003 turns a course request's bare citation id into a foreign key to the
citation: a request keeps its citation, one whose citation is gone keeps its history with no
citation, and deleting a citation later leaves its requests in place (SET NULL)."""
from __future__ import annotations

import pytest

from syllabus.fulfillment.models import DigitizationRequest
from syllabus.lists import services as lists
from tests.migrating import latest, migrate as _migrate

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE, AFTER = [("fulfillment", "0002_default_departments")], [("fulfillment", "0003_citation_foreign_key")]


def test_citation_ids_survive_the_move_to_a_foreign_key(instructor, course, inst_a):
    lst = lists.create_list(instructor, title="Readings", courses=[course])
    week = lists.add_section(instructor, lst, title="Week 1")
    book = lists.add_citation(instructor, lst, week, "book", {"title": "Middlemarch"})
    try:
        old = _migrate(BEFORE)
        OldRequest = old.get_model("fulfillment", "DigitizationRequest")
        common = {"institution_id": inst_a.pk, "requester_id": instructor.pk, "source": "course", "status": "pending_approval"}
        kept = OldRequest.objects.create(citation_id=book.pk, title="kept", access_token="t1", **common).pk
        dangling = OldRequest.objects.create(citation_id=book.pk + 10_000, title="dangling", access_token="t2",
                                             kind="copyright", **common).pk
    finally:
        _migrate(AFTER)
        _migrate(latest())  # every app's latest migrations: the rest of the suite runs on the current schema
    assert DigitizationRequest.objects.get(pk=kept).citation == book
    assert DigitizationRequest.objects.get(pk=dangling).citation_id is None
    assert list(book.digitization_requests.values_list("pk", flat=True)) == [kept]

    book.delete()
    assert DigitizationRequest.objects.get(pk=kept).citation_id is None, "the request stays as history"
