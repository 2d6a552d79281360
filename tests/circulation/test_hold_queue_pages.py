"""The hold queue's pages (SRV-5): paged like every other paged page (``core.paging``, the
``{% pager %}`` links), so the library and status filters stay on the next page, a page number that
is not a number opens the first page and one past the end opens the last — it used to read an
``offset`` by hand and its Next link was the only one of its kind."""
from __future__ import annotations

import re

import pytest

from syllabus.catalog.models import Item
from syllabus.circulation import services
from syllabus.courses.models import Enrollment

from .conftest import add_items, cite, make_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def fifty_two_holds(published, instructor, inst_a, library_a, make_user, course):
    lst, section = published
    record = make_record(inst_a, "Middlemarch")
    add_items(record, library_a, [Item.Status.ON_LOAN])
    title = cite(instructor, lst, section, record)
    for n in range(52):
        reader = make_user(f"reader{n:02d}")
        Enrollment.objects.create(course=course, user=reader)
        services.place_hold(reader, title, pickup_library=library_a)


def _rows(page: str) -> int:
    return len(re.findall(r"<tr[^>]* data-hold=", page))


def test_the_queue_pages_by_fifty_and_keeps_its_filters(fifty_two_holds, desk, library_a, client):
    client.force_login(desk)
    first = client.get("/circulation/holds/", {"library": library_a.code, "status": "waiting"}).content.decode()
    assert "52 holds" in first and "Page 1 of 2" in first and _rows(first) == 50
    nxt = re.search(r'<a href="\?([^"]*page=2)">Next</a>', first)
    assert nxt and f"library={library_a.code}" in nxt.group(1) and "status=waiting" in nxt.group(1)
    second = client.get("/circulation/holds/?" + nxt.group(1).replace("&amp;", "&")).content.decode()
    assert "Page 2 of 2" in second and _rows(second) == 2 and ">Previous</a>" in second


@pytest.mark.parametrize("asked, shown", [("abc", 1), ("-3", 1), ("0", 1), ("999999999999999999999", 2)])
def test_a_page_number_out_of_range_opens_the_nearest_page(fifty_two_holds, desk, client, asked, shown):
    client.force_login(desk)
    r = client.get("/circulation/holds/", {"page": asked})
    assert r.status_code == 200
    assert f"Page {shown} of 2" in r.content.decode()
