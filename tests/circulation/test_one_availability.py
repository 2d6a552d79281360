"""DSV-6 (session 17): a copy's availability is one answer on every page and in the API.

The demo's walk found *The Age of Revolution* "0 of 1 available" on the student's list (its one
copy waits on the student's hold shelf) while Find it counted it "1 / 1": the catalog did not
know circulation's hold shelf.  Now ``catalog.availability`` asks (``HELD``, filled by
circulation), and the list, Find it, the record page, the search and the API agree."""
from __future__ import annotations

import pytest
from django.urls import reverse

from syllabus.citations import openurl

from .conftest import add_items, cite, make_record

pytestmark = pytest.mark.django_db

AGE = {"type": "book", "title": "The Age of Revolution", "author": [{"family": "Hobsbawm", "given": "Eric"}],
       "issued": {"date-parts": [[1962]]}, "publisher": "Weidenfeld & Nicolson"}


@pytest.fixture
def on_hold_shelf(shelf, instructor, student, desk, inst_a, library_a):
    """The Age of Revolution: one copy, in place, on the student's hold shelf."""
    from syllabus.catalog.models import Item
    from syllabus.circulation import services
    from syllabus.circulation.models import Hold

    record = make_record(inst_a, AGE["title"], csl=AGE)
    [copy] = add_items(record, library_a, [Item.Status.IN_PLACE])
    citation = cite(instructor, shelf["list"], shelf["section"], record)
    services.place_hold(student, citation, pickup_library=library_a.code)
    hold = services.fulfil_hold(desk, Hold.objects.get(patron=student, record=record))
    copy.refresh_from_db()
    assert copy.status == Item.Status.IN_PLACE and hold.item_id == copy.pk  # on the shelf, but kept for the student
    return {"record": record, "copy": copy, "citation": citation, "hold": hold, "list": shelf["list"]}


def test_list_find_it_record_search_and_api_agree(on_hold_shelf, student, make_user, client, api):
    record, citation = on_hold_shelf["record"], on_hold_shelf["citation"]
    # the list (API and page)
    body = api(student).get(f"/api/v1/lists/{on_hold_shelf['list'].pk}").json()
    access = {c["id"]: c for s in body["sections"] for c in s["citations"]}[citation.pk]["access"]
    assert [(p["available"], p["total"]) for p in access["physical"]] == [(0, 1)]
    # Find it (API): the same copy, the same count
    resolved = api(student).get(f"/api/v1/resolve?{openurl.from_csl(AGE)}").json()
    assert [(h["available"], h["total"]) for h in resolved["holdings"] if h["record_id"] == record.pk] == [(0, 1)]
    # the record (API): the copy is not available, and its library counts 0 of 1
    rec = api(student).get(f"/api/v1/records/{record.pk}").json()
    assert [(a["available"], a["total"]) for a in rec["availability"]] == [(0, 1)]
    assert [(i["status"], i["available"]) for i in rec["items"]] == [("in_place", False)]
    # the search: not among the available titles, among the unavailable ones
    found = {r["id"]: r for r in api(student).get("/api/v1/search?q=Age+Revolution&availability=unavailable").json()["items"]}
    assert record.pk in found and [a["available"] for a in found[record.pk]["availability"]] == [0]
    available = api(student).get("/api/v1/search?q=Age+Revolution&availability=available").json()["items"]
    assert record.pk not in {r["id"] for r in available}
    # Find it (page) and the record page, seen by someone else: 0 of 1, nothing of theirs
    other = make_user("other_student")
    client.force_login(other)
    page = client.get(f"/openurl?{openurl.from_csl(AGE)}").content.decode()
    assert "0 of 1 available" in page and 'data-testid="your-hold"' not in page
    page = client.get(reverse("catalog:record", args=[record.pk])).content.decode()
    assert "On the hold shelf" in page and "On your hold shelf" not in page and ": 0 of 1 available" in page


def test_the_student_whose_hold_it_is_sees_when_to_collect_it(on_hold_shelf, student, client):
    day = on_hold_shelf["hold"].pickup_by.date().isoformat()
    client.force_login(student)
    find_it = client.get(f"/openurl?{openurl.from_csl(AGE)}").content.decode()
    assert "0 of 1 available" in find_it and f"On your hold shelf — collect by {day}" in find_it
    record = client.get(reverse("catalog:record", args=[on_hold_shelf["record"].pk])).content.decode()
    assert f"On your hold shelf — collect by {day}" in record
    listing = client.get(reverse("lists:view", args=[on_hold_shelf["list"].pk])).content.decode()
    assert "0 of 1 available" in listing and f"— collect by {day}." in listing


def test_a_copy_in_place_and_held_by_nobody_is_available_everywhere(shelf, instructor, student, inst_a, library_a, client, api):
    from syllabus.catalog.models import Item

    record = make_record(inst_a, AGE["title"], csl=AGE)
    add_items(record, library_a, [Item.Status.IN_PLACE, Item.Status.IN_PROCESS])
    citation = cite(instructor, shelf["list"], shelf["section"], record)
    body = api(student).get(f"/api/v1/lists/{shelf['list'].pk}").json()
    access = {c["id"]: c for s in body["sections"] for c in s["citations"]}[citation.pk]["access"]
    assert [(p["available"], p["total"]) for p in access["physical"]] == [(1, 2)]
    resolved = api(student).get(f"/api/v1/resolve?{openurl.from_csl(AGE)}").json()
    assert [(h["available"], h["total"]) for h in resolved["holdings"] if h["record_id"] == record.pk] == [(1, 2)]
    available = api(student).get("/api/v1/search?q=Age+Revolution&availability=available").json()["items"]
    assert record.pk in {r["id"] for r in available}


def test_digitization_picks_a_copy_on_the_shelf_not_the_one_kept_on_a_hold_shelf(on_hold_shelf, library_a):
    """DSV-6 with DIG-5: a digitization request without a chosen copy takes an available one —
    a copy kept on a reader's hold shelf is not available, so the other copy is scanned (before,
    fulfillment asked ``is_available`` of copies nobody had marked, and took the held one); and the
    record is still requestable through the free copy."""
    from syllabus.catalog.models import Item
    from syllabus.fulfillment.services.requests import _pick_item

    record, held = on_hold_shelf["record"], on_hold_shelf["copy"]
    [free] = add_items(record, library_a, [Item.Status.IN_PLACE])
    assert held.pk < free.pk   # the held copy comes first in the order the pick walks
    assert _pick_item(record, None) == free
    free.status = Item.Status.ON_LOAN
    free.save()
    assert _pick_item(record, None) == held   # none available: the first copy, as before
