"""DIG-10 (session 21): the digitization work queue's tabs say how many requests each holds,
counted in one aggregate query whatever the number of tabs or requests."""
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from syllabus.fulfillment import selectors, services
from syllabus.fulfillment.models import DigitizationRequest, Status

pytestmark = pytest.mark.django_db


def _badges(html: str) -> dict[str, int]:
    return {k: int(n) for k, n in re.findall(r'data-testid="tab-([a-z]+)"[^>]*>[^<]*<span class="badge" data-testid="tab-count">(\d+)</span>', html)}


def test_each_tab_of_the_work_queue_shows_its_count(client, operator, student, record, edd_all):
    for _ in range(3):
        services.request_from_record(student, record, {})
    DigitizationRequest.objects.filter(pk=DigitizationRequest.objects.order_by("pk").first().pk).update(status=Status.DELIVERED)
    client.force_login(operator)
    badges = _badges(client.get("/services/work/").content.decode())
    assert badges == {"open": 2, "pick": 2, "approval": 0, "copyright": 0, "digitization": 0, "delivered": 1, "closed": 0}
    # the htmx answer of a tab carries the counts too (the tabs are inside the replaced region)
    assert _badges(client.get("/services/work/", {"tab": "delivered"}, HTTP_HX_REQUEST="true").content.decode()) == badges


def test_the_counts_are_one_query_for_every_tab(operator, student, record, edd_all):
    operator.role_assignments_cached()  # read once per request by every back-office page (the menu)
    for n in (2, 9):
        while DigitizationRequest.objects.count() < n:
            services.request_from_record(student, record, {})
        with CaptureQueriesContext(connection) as ctx:
            counts = selectors.work_queue_counts(operator)
        assert len(ctx) == 1 and "COUNT" in ctx[0]["sql"].upper(), [q["sql"] for q in ctx]
        assert counts["open"] == counts["pick"] == n and sum(counts.values()) == 2 * n


def test_an_operator_counts_only_the_requests_of_the_departments_they_work_for(client, operator, make_user, student, record,
                                                                              edd_all, inst_b):
    services.request_from_record(student, record, {})
    other = make_user("elsewhere", group="staff", institution=inst_b)
    assert selectors.work_queue_counts(other)["open"] == 0
    assert selectors.work_queue_counts(operator)["open"] == 1
