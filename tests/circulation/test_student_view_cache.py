"""Issue 19: the student view reuses the rendering of each item's library services and of each
reader's own part across requests (``Slot.key``, lists.templatetags.lists_tags.per_item), keyed
by everything the template reads.  These tests prove that a change of availability or holdings
shows at once, and that no reader ever sees another reader's own data (done marks, holds, the
editors' done counts) nor another request's CSRF token."""
from __future__ import annotations

import pickle
import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from syllabus.catalog.models import Item
from syllabus.circulation import services

from tests.lists.test_view_cache import _view as _page

from .conftest import add_items, cite, make_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def titles(published, instructor, inst_a, library_a):
    lst, section = published
    cache.clear()
    one = make_record(inst_a, "Middlemarch")
    items = add_items(one, library_a, [Item.Status.IN_PLACE, Item.Status.ON_LOAN])
    two = make_record(inst_a, "Bleak House")
    add_items(two, library_a, [Item.Status.IN_PLACE])
    return {"list": lst, "section": section, "one": cite(instructor, lst, section, one), "two": cite(instructor, lst, section, two),
            "copies": items}


@pytest.fixture
def classmate(make_user, course):
    from syllabus.courses.models import Enrollment

    other = make_user("classmate")
    Enrollment.objects.create(course=course, user=other)
    return other


def _item(page: str, citation) -> str:
    start = page.index(f'id="item-{citation.pk}"')
    return page[start:page.index("</li>", start)]


def test_a_change_of_availability_shows_at_once(client, titles, student):
    lst = titles["list"]
    assert "1 of 2 available" in _item(_page(client, student, lst), titles["one"])
    assert "1 of 2 available" in _item(_page(client, student, lst), titles["one"])   # reused
    on_loan = titles["copies"][1]
    on_loan.status = Item.Status.IN_PLACE
    on_loan.save()
    assert "2 of 2 available" in _item(_page(client, student, lst), titles["one"])
    for copy in titles["copies"]:
        copy.status = Item.Status.ON_LOAN
        copy.save()
    assert "0 of 2 available" in _item(_page(client, student, lst), titles["one"])
    # a new copy (a change of holdings) too
    add_items(titles["one"].record, titles["copies"][0].library, [Item.Status.IN_PLACE])
    assert "1 of 3 available" in _item(_page(client, student, lst), titles["one"])


def test_a_readers_done_marks_and_holds_stay_theirs(client, titles, student, classmate, library_a):
    lst, one, two = titles["list"], titles["one"], titles["two"]
    before = _page(client, classmate, lst)        # the classmate fills the cache first
    assert 'data-testid="done-mark"' not in before and 'data-testid="my-hold"' not in before
    client.force_login(student)
    assert client.post(reverse("circulation:done", args=[one.pk]), {"done": "1"}).status_code in (200, 302)
    services.place_hold(student, two, pickup_library=library_a)
    mine = _page(client, student, lst)
    assert 'data-testid="done-mark"' in _item(mine, one) and 'data-testid="mark-done"' in _item(mine, two)
    assert 'data-testid="my-hold"' in _item(mine, two) and 'data-testid="my-hold"' not in _item(mine, one)
    assert "Your progress: 1 of 2 items done" in mine
    theirs = _page(client, classmate, lst)        # after the student: nothing of the student's shows
    assert 'data-testid="done-mark"' not in theirs and 'data-testid="my-hold"' not in theirs
    assert theirs.count('data-testid="mark-done"') == 2
    assert "Your progress: 0 of 2 items done" in theirs
    # and the student's own part is still theirs, from the cache or not
    again = _page(client, student, lst)
    assert 'data-testid="done-mark"' in _item(again, one) and 'data-testid="my-hold"' in _item(again, two)


def test_the_editors_done_counts_never_reach_a_student(client, titles, student, instructor):
    lst, one = titles["list"], titles["one"]
    client.force_login(student)
    client.post(reverse("circulation:done", args=[one.pk]), {"done": "1"})
    as_instructor = _page(client, instructor, lst)
    assert "1 reader marked this done" in _item(as_instructor, one)
    assert 'data-testid="done-count"' not in _page(client, student, lst)


def test_each_page_gets_its_own_csrf_token_never_a_cached_one(client, titles, student, classmate):
    lst = titles["list"]

    def tokens(page: str) -> set[str]:
        return set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page))

    # a done mark: the student's own part of that item is kept by its key (the parts of items
    # with nothing of theirs are filled in from a stand-in on each request, never kept)
    client.force_login(student)
    client.post(reverse("circulation:done", args=[titles["one"].pk]), {"done": "1"})
    first = _page(client, student, lst)
    client.logout()
    second = _page(client, classmate, lst)
    assert tokens(first) and tokens(second) and not tokens(first) & tokens(second)
    assert "syllabus-csrf-placeholder" not in first + second
    # what is kept across requests holds the placeholder, never a token
    stored = [pickle.loads(value) for key, value in cache._cache.items() if ":lists:slot:" in key]
    assert any("syllabus-csrf-placeholder" in html for html in stored)
    assert not any(tokens(html) - {"syllabus-csrf-placeholder-0f6d2b"} for html in stored)
    # the page's token works: the reader's own form posts with it
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(student)
    page = strict.get(reverse("lists:view", args=[lst.pk])).content.decode()
    r = strict.post(reverse("circulation:done", args=[titles["one"].pk]), {"done": "1", "csrfmiddlewaretoken": sorted(tokens(page))[0]})
    assert r.status_code in (200, 302)
