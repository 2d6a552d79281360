"""The same reader sending the same Find it suggestion twice at once (a double click, two tabs)
leaves one request and one letter, on SQLite and PostgreSQL: the reader's row is locked while
the open suggestions are counted (SRV-3)."""
from __future__ import annotations

import pytest

from syllabus.acquisitions import services
from syllabus.acquisitions.models import PurchaseRequest
from syllabus.core.errors import RuleViolation
from syllabus.notify.models import OutboxMessage
from tests.concurrency import at_once

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_double_suggestion_at_once_makes_one_request(student):
    _, refused, errors = at_once(
        lambda: services.suggest_purchase(student, {"type": "book", "title": "Empire of Cotton"}, note="twice"),
        expected=(RuleViolation,))
    assert errors == [] and [exc.rule for exc in refused] == ["SRV-3"]
    assert PurchaseRequest.objects.count() == 1
    assert OutboxMessage.objects.filter(letter="purchase_request_received", channel="email").count() == 1
