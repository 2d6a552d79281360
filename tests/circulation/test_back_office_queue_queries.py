"""The back office's queues at volume (session 22; SRV-3, SRV-4, CON-2): the accessible file
requests, the purchase requests and the inter-library loans sent to us show the right page of a
long queue — the oldest open accessible request first, the newest purchase request and loan
first — for the same statements with 3 requests as with 40.  At 10,000 requests on PostgreSQL
these pages were a scan of the institution's requests and a sort (BENCHMARKS.md, session 22);
the indexes added with them (accessible_status_oldest, acq_purchase_queue_idx,
ill_supplier_newest, ill_requester_newest) read the page in the queue's order."""
from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from tests.lists.test_queries import counting

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue_data(inst_a, inst_b, librarian, student, instructor, course, clock):
    from syllabus.lists import services

    lst = services.create_list(instructor, title="Queue readings", courses=[course])
    citation = services.add_citation(instructor, lst, type="book", metadata={"type": "book", "title": "Queue book"})
    return {"citation": citation, "now": clock.now()}


def _add(queue_data, inst_a, inst_b, student, n: int, start: int) -> None:
    """``n`` requests of each kind, request ``i`` made ``i`` hours after the first."""
    from syllabus.acquisitions.models import PurchaseRequest
    from syllabus.circulation.models import AccessibleRequest
    from syllabus.consortium.models import IllRequest

    at = [queue_data["now"] - dt.timedelta(days=30) + dt.timedelta(hours=i) for i in range(start, start + n)]
    AccessibleRequest.objects.bulk_create([AccessibleRequest(requester=student, citation=queue_data["citation"],
                                                             format=f"Large print {i}", created_at=t)
                                           for i, t in zip(range(start, start + n), at)])
    PurchaseRequest.objects.bulk_create([PurchaseRequest(institution=inst_a, requester=student, title=f"Purchase {i}",
                                                         created_at=t) for i, t in zip(range(start, start + n), at)])
    IllRequest.objects.bulk_create([IllRequest(requesting_institution=inst_b, supplying_institution=inst_a,
                                               requesting_agency="XX-B", supplying_agency="XX-A",
                                               requesting_agency_request_id=f"r{i}", title=f"Loan {i}", created_at=t)
                                    for i, t in zip(range(start, start + n), at)])


def _statements(client, url: str) -> tuple[int, str]:
    client.get(url)
    with counting() as box:
        r = client.get(url)
    assert r.status_code == 200, url
    return box["n"], r.content.decode()


def test_each_queue_shows_its_page_in_order_with_the_same_statements_for_3_and_40_requests(
        client, librarian, student, inst_a, inst_b, queue_data):
    """SRV-4 (oldest open first), SRV-3 and CON-2 (newest first): the statements a queue's page
    runs do not grow with the queue."""
    pages = {"accessible": reverse("circulation:accessible"), "purchases": reverse("acquisitions:tasks"),
             "ill": reverse("consortium:ill")}
    client.force_login(librarian)
    _add(queue_data, inst_a, inst_b, student, 3, 0)
    few = {name: _statements(client, url)[0] for name, url in pages.items()}
    _add(queue_data, inst_a, inst_b, student, 37, 3)
    for name, url in pages.items():
        n, page = _statements(client, url)
        assert n == few[name], (name, few[name], n)
        if name == "accessible":   # SRV-4: the oldest request is the first to do
            assert page.index("Large print 0<") < page.index("Large print 1<") < page.index("Large print 39<")
        elif name == "purchases":  # SRV-3: the latest request first, all 40 under the page's 50
            assert page.index("Purchase 39<") < page.index("Purchase 38<") < page.index("Purchase 0<")
        else:                      # CON-2: newest first, 25 a page: the oldest 15 on page 2
            assert page.index("Loan 39<") < page.index("Loan 38<") and "Loan 15<" in page and "Loan 14<" not in page
