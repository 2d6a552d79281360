"""Issue 19 acceptance 4: the rendered student view of a published list is cached (the shared
part: sections and items), and any change of the list shows at once — the cache is keyed by
the list's revision, which every change bumps in its own transaction (a frozen clock proves
that no timestamp is involved).  Per-reader parts (the "citation_services" slot) are never
taken from the cache."""
from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.urls import reverse

from syllabus.lists import services
from syllabus.lists.models import Citation, ResourceList

from .conftest import BOOK

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(built_list, instructor):
    services.publish_list(instructor, built_list["list"])
    cache.clear()
    return built_list


def _view(client, user, lst) -> str:
    client.force_login(user)
    response = client.get(reverse("lists:view", args=[lst.pk]))
    assert response.status_code == 200
    return response.content.decode()


def _items(page: str) -> str:
    """The sections and items, without the CSRF tokens of the reader's own forms (mark as done,
    place a hold), which are masked afresh on every request."""
    part = page[page.index('data-testid="section"'):page.index('<aside class="list-aside"')]
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', 'name="csrfmiddlewaretoken"', part)


def _cached_keys(lst) -> list[str]:
    lst = ResourceList.objects.get(pk=lst.pk)
    return [k for k in (f"lists:view:{lst.pk}:{lst.revision}:{lang}:{style}" for lang in ("en", "en-us", "fr")
                        for style in ("apa", "harvard", "chicago", "mla", "vancouver")) if cache.get(k) is not None]


def test_a_change_to_a_published_list_shows_at_once_in_the_cached_student_view(client, clock, published, instructor,
                                                                              student):
    lst = published["list"]
    page = _view(client, student, lst)
    assert "Read chapter 1" in page and _cached_keys(lst), "the first view fills the cache"
    assert _items(_view(client, student, lst)) == _items(page)  # the second one is served from it

    services.update_citation(instructor, published["book"], public_note="Read chapters 1 and 2")
    page = _view(client, student, lst)
    assert "Read chapters 1 and 2" in page and "Read chapter 1<" not in page

    services.update_section(instructor, published["sections"][1], title="Week 2: sources")
    assert "Week 2: sources" in _view(client, student, lst)

    new = services.add_citation(instructor, lst, published["sections"][1], "book", dict(BOOK, title="A newly added book"))
    assert "A newly added book" in _view(client, student, lst)

    services.delete_citation(instructor, published["site"])
    assert f'id="item-{published["site"].pk}"' not in _view(client, student, lst)

    services.move_citation(instructor, new, section=published["sections"][0], position=0)
    page = _view(client, student, lst)
    assert page.index(f'id="item-{new.pk}"') < page.index(f'id="item-{published["book"].pk}"')

    # a write behind the services' back (the admin, a script) bumps the revision too
    article = Citation.objects.get(pk=published["article"].pk)
    article.public_note = "Edited in the admin"
    article.save()
    assert "Edited in the admin" in _view(client, student, lst)


def test_the_cached_part_is_shared_but_each_readers_own_part_is_not(client, published, instructor, student):
    lst = published["list"]
    as_instructor = _view(client, instructor, lst)  # fills the cache first
    assert "Request digitization" in as_instructor and _cached_keys(lst)
    as_student = _view(client, student, lst)
    assert "Request digitization" not in as_student   # the instructor's services stay the instructor's
    assert "Read chapter 1" in as_student
    assert "csrfmiddlewaretoken" not in cache.get(_cached_keys(lst)[0])


def test_every_kind_of_change_of_sections_and_of_the_list_shows_at_once(client, published, instructor, student):
    """Acceptance 4 for the other kinds of change: a section added, moved and removed, the list's
    title and description, the item's tags and file, and its publication."""
    lst = published["list"]
    week1, week2 = published["sections"]
    _view(client, student, lst)
    assert _cached_keys(lst)

    week3 = services.add_section(instructor, lst, title="Week 3: archives")
    assert 'id="section-%d"' % week3.pk in _view(client, student, lst)

    services.move_section(instructor, week3, 0)
    page = _view(client, student, lst)
    assert page.index(f'id="section-{week3.pk}"') < page.index(f'id="section-{week1.pk}"')

    services.delete_section(instructor, week3)
    assert f'id="section-{week3.pk}"' not in _view(client, student, lst)

    services.update_section(instructor, week2, description="Primary sources only")
    assert "Primary sources only" in _view(client, student, lst)

    services.update_list(instructor, lst, title="HIST101: the readings", description="Start with week 1")
    page = _view(client, student, lst)
    assert "HIST101: the readings" in page and "Start with week 1" in page

    services.update_citation(instructor, published["book"], tags=["optional"])
    assert "tag-optional" in _items(_view(client, student, lst))

    # unpublished: the student no longer sees the list at all; published again: the latest items
    services.unpublish_list(instructor, ResourceList.objects.get(pk=lst.pk))
    client.force_login(student)
    assert client.get(reverse("lists:view", args=[lst.pk])).status_code in (403, 404)
    services.update_citation(instructor, published["book"], public_note="Read while it was a draft")
    services.publish_list(instructor, ResourceList.objects.get(pk=lst.pk))
    assert "Read while it was a draft" in _view(client, student, lst)
