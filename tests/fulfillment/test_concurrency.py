"""DIG-7 under concurrency: two simultaneous requests of a patron with limit 1 — exactly one
is placed (the requester's row is locked and the open requests re-counted inside the lock)."""
import threading

import pytest
from django.db import connection

from syllabus.core.errors import RuleViolation
from syllabus.fulfillment import services
from syllabus.fulfillment.models import DigitizationRequest

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_simultaneous_requests_under_limit_1_place_exactly_one(fadmin, student, record, edd_all, groups):
    services.set_patron_limit(fadmin, groups["undergraduate"], 1)
    barrier = threading.Barrier(2)
    outcomes = []

    def place():
        try:
            barrier.wait(timeout=5)
            services.request_from_record(student, record, {})
            outcomes.append("placed")
        except RuleViolation as exc:
            outcomes.append(exc.rule)
        except Exception as exc:  # a database lock timeout would show here
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=place) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes) == ["DIG-7", "placed"]
    assert DigitizationRequest.objects.filter(requester=student).count() == 1
