"""The same reader sending the same Find it suggestion twice at once (a double click, two tabs)
leaves one request and one letter, on SQLite and PostgreSQL: the reader's row is locked while
the open suggestions are counted (SRV-3)."""
from __future__ import annotations

import threading

import pytest
from django.db import connection

from syllabus.acquisitions import services
from syllabus.acquisitions.models import PurchaseRequest
from syllabus.core.errors import RuleViolation
from syllabus.notify.models import OutboxMessage

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_double_suggestion_at_once_makes_one_request(student):
    barrier, refused, errors = threading.Barrier(2), [], []

    def run():
        try:
            barrier.wait()
            services.suggest_purchase(student, {"type": "book", "title": "Empire of Cotton"}, note="twice")
        except RuleViolation as exc:
            refused.append(exc.rule)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == [] and refused == ["SRV-3"]
    assert PurchaseRequest.objects.count() == 1
    assert OutboxMessage.objects.filter(letter="purchase_request_received", channel="email").count() == 1
