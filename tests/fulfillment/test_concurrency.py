"""DIG-7 under concurrency: two simultaneous requests of a patron with limit 1 — exactly one
is placed (the requester's row is locked and the open requests re-counted inside the lock)."""
import pytest

from syllabus.core.errors import RuleViolation
from syllabus.fulfillment import services
from syllabus.fulfillment.models import DigitizationRequest
from tests.concurrency import at_once

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_simultaneous_requests_under_limit_1_place_exactly_one(fadmin, student, record, edd_all, groups):
    services.set_patron_limit(fadmin, groups["undergraduate"], 1)
    placed, refused, errors = at_once(lambda: services.request_from_record(student, record, {}),
                                      expected=(RuleViolation,), timeout=30)
    assert errors == []  # a database lock timeout would show here
    assert len(placed) == 1 and [exc.rule for exc in refused] == ["DIG-7"]
    assert DigitizationRequest.objects.filter(requester=student).count() == 1
