"""Issue 19 (session 18): the pages students and instructors open most — the student view, the
editor and the list API — run the same number of queries for a realistic list of 12 items as for
one of 96, each item with copies in the catalog (some on loan, some kept on a hold shelf), some
with an e-resource, a digitization request, tags and a library discussion (LST acceptance 5).

The lists' own query tests (tests/lists/test_queries.py) use bare items; these items exercise
every item-access provider, the holds, digitization, acquisitions and discussion slots."""
from __future__ import annotations

import pytest
from django.core.cache import caches

from tests.lists.conftest import BOOK
from tests.lists.test_queries import counting

pytestmark = pytest.mark.django_db

SECTIONS = 12


def rich_list(instructor, course, student, library, n_items: int, *, title: str):
    """A published list of ``n_items`` catalogued items over 12 sections: every item with two
    copies (in place, on loan); every 3rd also an e-resource; every 4th copy in place kept on the
    student's hold shelf; every 5th a digitization request; every 6th a discussion message; tags
    on all."""
    from syllabus.catalog.models import EResource, Item, Record
    from syllabus.circulation.models import Hold
    from syllabus.circulation.workflow import HoldStatus
    from syllabus.core import clock
    from syllabus.citations.bibliography import format_citation
    from syllabus.discussion import services as discussion
    from syllabus.fulfillment.models import DigitizationRequest, Kind, Source
    from syllabus.lists import services
    from syllabus.lists.models import Citation
    from syllabus.org import config

    lst = services.create_list(instructor, title=title, courses=[course])
    sections = [services.add_section(instructor, lst, title=f"Week {k + 1}") for k in range(SECTIONS)]
    formatted = format_citation(BOOK)
    inst = lst.institution
    records = Record.objects.bulk_create([
        Record(institution=inst, source_id=f"{title}-{i}", title=f"{title} book {i}", type="book", csl=dict(BOOK, title=f"Book {i}"))
        for i in range(n_items)])
    copies = Item.objects.bulk_create([
        Item(record=r, library=library, barcode=f"{title[:3]}{i:04d}{k}", location="Main stacks", call_number="HD8390",
             item_type="book", status=status)
        for i, r in enumerate(records) for k, status in enumerate((Item.Status.IN_PLACE, Item.Status.ON_LOAN))])
    EResource.objects.bulk_create([EResource(record=r, institution=inst, url=f"https://ebooks.example.com/{r.pk}",
                                             provider="EBSCO eBooks") for r in records[::3]])
    citations = Citation.objects.bulk_create([
        Citation(resource_list=lst, section=sections[i % SECTIONS], position=i // SECTIONS, type="book", record=r,
                 metadata=dict(BOOK, title=f"Book {i}"), title=f"Book {i}", formatted=formatted, formatted_style="apa",
                 tags=["essential"] if i % 2 else ["essential", "recommended"], public_note="note", status="being_prepared")
        for i, r in enumerate(records)])
    now = clock.now()
    Hold.objects.bulk_create([
        Hold(patron=student, record=r, citation=c, pickup_library=library, status=HoldStatus.ON_HOLD_SHELF,
             item=copies[2 * i], on_shelf_at=now, pickup_by=now)
        for i, (r, c) in enumerate(zip(records, citations)) if i % 4 == 0])
    DigitizationRequest.objects.bulk_create([
        DigitizationRequest(institution=inst, kind=Kind.DIGITIZATION, source=Source.COURSE, requester=instructor,
                            record=r, citation=c, title=r.title)
        for i, (r, c) in enumerate(zip(records, citations)) if i % 5 == 0])
    config.set_value("library_discussion", "item", institution=inst)
    for c in citations[::6]:
        discussion.post_message(instructor, lst, "Is there a newer edition?", citation=c)
    services.publish_list(instructor, lst)
    return lst


def _get(client, url) -> int:
    for name in caches:   # every page and slot rendered afresh: the cold page, the costly one
        caches[name].clear()
    with counting() as box:
        r = client.get(url)
    assert r.status_code == 200, (url, r.status_code)
    return len(box["sql"])


@pytest.fixture
def two_lists(instructor, course, student, library_a):
    small = rich_list(instructor, course, student, library_a, 12, title="Small")
    big = rich_list(instructor, course, student, library_a, 96, title="Big")
    return small, big


def test_student_view_editor_and_api_do_not_grow_with_items(two_lists, client, api, instructor, student):
    small, big = two_lists
    for user, pattern in ((student, "/lists/{}/"), (instructor, "/lists/{}/"), (instructor, "/lists/{}/edit/")):
        client.force_login(user)
        client.get(pattern.format(small.pk))   # the process warmed (sessions, content types)
        n_small, n_big = _get(client, pattern.format(small.pk)), _get(client, pattern.format(big.pk))
        assert n_small == n_big, (user.username, pattern, n_small, n_big)
    page = client.get(f"/lists/{big.pk}/edit/").content.decode()
    assert page.count('data-testid="item"') == 96 and page.count('data-testid="digitization-services"') == 96
    for user in (student, instructor):
        caller = api(user)
        caller.get(f"/api/v1/lists/{small.pk}")
        with counting() as a:
            assert caller.get(f"/api/v1/lists/{small.pk}").status_code == 200
        with counting() as b:
            body = caller.get(f"/api/v1/lists/{big.pk}").json()
        assert len(a["sql"]) == len(b["sql"]) > 0, (user.username, len(a["sql"]), len(b["sql"]))
        assert sum(len(s["citations"]) for s in body["sections"]) == 96


def test_the_editor_reads_the_lists_items_once_for_its_suggestions(two_lists, client, instructor):
    """The editor's "often used with" pane (ANL) read the list's items twice, whole rows, on top
    of the items the page shows: now once, and only the three columns it needs."""
    _small, big = two_lists
    client.force_login(instructor)
    client.get(f"/lists/{big.pk}/edit/")
    with counting() as box:
        page = client.get(f"/lists/{big.pk}/edit/")
    assert page.status_code == 200
    whole_rows = [s for s in box["sql"] if s.startswith('SELECT "lists_citation"."id", "lists_citation"."created_at"')]
    assert len(whole_rows) == 1, whole_rows   # the items the page shows, and nothing else
