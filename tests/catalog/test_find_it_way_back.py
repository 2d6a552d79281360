"""Find it opened from a list item has a way back (DSV-6; session 15): the item's Find it link
carries the item (``from_item``, our own resolver only), the page checks that the reader sees the
item's list and offers "Back to <list title>" — a link the page builds, never a URL from the
query (no open redirect).  The item rides along to "Suggest the library buy it", so that Bought
links an item without a record to the library's new copy (SRV-3)."""
from __future__ import annotations

import re

import pytest
from django.urls import reverse

from syllabus.citations import openurl

pytestmark = pytest.mark.django_db

NOBODY = {"type": "book", "title": "A History of the Nowhere Press", "author": [{"family": "Nobody", "given": "Ann"}],
          "ISBN": "9780306406157"}
KEV = openurl.from_csl(NOBODY)


@pytest.fixture
def item(instructor, course):
    from syllabus.lists import services

    lst = services.create_list(instructor, title="HIST101 readings", courses=[course])
    section = services.add_section(instructor, lst, title="Week 1")
    citation = services.add_citation(instructor, lst, section, "book", dict(NOBODY))
    services.publish_list(instructor, lst)
    return lst, citation


def _find_it_link(api, user, lst, citation) -> str:
    body = api(user).get(f"/api/v1/lists/{lst.pk}").json()
    return next(c["access"]["find_it"] for s in body["sections"] for c in s["citations"] if c["id"] == citation.pk)


def _suggest_link(page: str) -> str:
    found = re.findall(r'href="(%s\?[^"]*)"' % re.escape(reverse("acquisitions:suggest")), page)
    assert len(found) == 1, found
    return found[0]


def test_find_it_from_a_list_item_offers_the_way_back(item, student, client, api):
    lst, citation = item
    link = _find_it_link(api, student, lst, citation)
    assert link.startswith(reverse("resolver:openurl") + "?") and link.endswith(f"&from_item={citation.pk}")
    client.force_login(student)
    page = client.get(link).content.decode()
    back = reverse("lists:view", args=[lst.pk]) + f"#item-{citation.pk}"
    assert f'<a href="{back}" data-testid="back-to-list">Back to HIST101 readings</a>' in page
    # the next step carries the item along
    assert _suggest_link(page).endswith(f"&amp;from_item={citation.pk}")


def test_an_external_link_resolver_gets_no_private_parameter(item, student, api, inst_a):
    from syllabus.org import config

    config.set_value("link_resolver_base_url", "https://resolver.example.edu/openurl", institution=inst_a)
    lst, citation = item
    assert "from_item" not in _find_it_link(api, student, lst, citation)


def test_no_way_back_to_a_list_the_reader_cannot_see_nor_a_made_up_one(item, make_user, inst_b, client):
    lst, citation = item
    for other in (make_user("other-student"), make_user("outsider", institution=inst_b)):
        client.force_login(other)
        page = client.get(f"/openurl?{KEV}&from_item={citation.pk}")
        assert page.status_code == 200 and b"back-to-list" not in page.content and b"HIST101 readings" not in page.content
        assert "from_item" not in _suggest_link(page.content.decode())  # not carried to the next step either
    for bad in ("https://evil.example/", "-1", "0", "9" * 20, "1e3", "٣"):
        r = client.get(f"/openurl?{KEV}", {"from_item": bad})
        assert r.status_code == 400 and b"DSV-6" in r.content, bad


def test_a_suggestion_from_a_list_item_is_bought_and_the_item_resolves_to_it(item, student, librarian, client, api,
                                                                           library_a):
    from syllabus.acquisitions.models import PurchaseRequest

    lst, citation = item
    assert citation.record_id is None
    client.force_login(student)
    url = f'{reverse("acquisitions:suggest")}?{KEV}&from_item={citation.pk}'
    assert f'from_item={citation.pk}'.encode() in client.get(url).content  # Back to Find it keeps the item
    assert client.post(url, {"note": "for the seminar"}).status_code == 302
    req = PurchaseRequest.objects.get()
    assert (req.citation_id, req.from_citation_id) == (None, citation.pk)
    record_id = api(librarian).post(f"/api/v1/purchase-requests/{req.pk}/complete").json()["record_id"]
    citation.refresh_from_db()
    assert citation.record_id == record_id
    body = api(student).get(f"/api/v1/lists/{lst.pk}").json()
    access = next(c["access"] for s in body["sections"] for c in s["citations"] if c["id"] == citation.pk)
    assert access["physical"] and access["physical"][0]["total"] == 1


def test_a_suggestion_names_no_item_its_reader_cannot_see(item, make_user, api, client):
    from syllabus.acquisitions.models import PurchaseRequest

    _lst, citation = item
    other = make_user("other-student")
    client.force_login(other)
    assert client.post(f'{reverse("acquisitions:suggest")}?{KEV}&from_item={citation.pk}').status_code == 302
    assert PurchaseRequest.objects.get().from_citation_id is None
