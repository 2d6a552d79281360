"""The same reader sending the same inter-library loan request twice at once (a double click, two
tabs), or two different ones past the open limit, leaves what the limits allow — one request and
one letter — on SQLite and PostgreSQL: the reader's row is locked while their requests are counted
(CON-2)."""
from __future__ import annotations

import pytest

from syllabus.consortium import reader_requests
from syllabus.consortium.models import IllRequest
from syllabus.core.errors import RuleViolation
from syllabus.notify.models import OutboxMessage
from tests.concurrency import at_once

pytestmark = pytest.mark.django_db(transaction=True)


def test_con2_a_double_request_at_once_makes_one_request_and_one_letter(student, library_a):
    _, refused, errors = at_once(
        lambda: reader_requests.ask_for_ill(student, {"kind": "book", "title": "A Book Nobody Has"}),
        expected=(RuleViolation,))
    assert errors == [] and [exc.rule for exc in refused] == ["CON-2"]
    assert IllRequest.objects.count() == 1
    assert OutboxMessage.objects.filter(letter="ill_request_received", channel="email").count() == 1


def test_con2_the_open_limit_holds_under_concurrent_requests(student, library_a, inst_a):
    from itertools import count

    from syllabus.org import config

    config.set_value("ill_reader_max_open", 2, institution=inst_a)
    n = count(1)
    _, refused, errors = at_once(
        lambda: reader_requests.ask_for_ill(student, {"kind": "book", "title": f"Title {next(n)}"}), n=3,
        expected=(RuleViolation,))
    assert errors == [] and len(refused) == 1 and "ill_reader_max_open" in refused[0].detail
    assert IllRequest.objects.count() == 2
