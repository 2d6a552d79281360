"""Issue 19: the librarian's page of a long list shows its items a page at a time (50), so that
an 800-item list's first load stays small (≤ 400 KB of HTML) and its actions work on any page."""
from __future__ import annotations

import re

import pytest

from syllabus.lists.models import Citation

from .conftest import bulk_list

pytestmark = pytest.mark.django_db


def _ids(page: str) -> list[int]:
    return [int(x) for x in re.findall(r'id="litem-(\d+)"', page)]


def _in_order(lst) -> list[int]:
    return list(Citation.objects.filter(resource_list=lst).order_by("section__position", "section_id", "position", "id")
                .values_list("id", flat=True))


def test_an_800_item_list_opens_on_a_first_page_of_50_items_under_400_kb(client, instructor, librarian, course):
    lst = bulk_list(instructor, course, 800, sent=True)
    client.force_login(librarian)
    response = client.get(f"/lists/{lst.pk}/library/")
    assert response.status_code == 200
    page = response.content.decode()
    assert len(response.content) <= 400 * 1024, len(response.content)
    assert _ids(page) == _in_order(lst)[:50]
    assert "Items 1–50 of 800" in page and 'data-testid="item-pages"' in page
    last = client.get(f"/lists/{lst.pk}/library/?page=16").content.decode()
    assert _ids(last) == _in_order(lst)[750:]
    assert client.get(f"/lists/{lst.pk}/library/?page=99").status_code == 200  # past the end: the last page
    assert client.get(f"/lists/{lst.pk}/library/?page=abc").status_code == 200  # not a number: the first page


def test_an_item_action_on_page_2_answers_with_page_2(client, instructor, librarian, course):
    lst = bulk_list(instructor, course, 120, sent=True)
    order = _in_order(lst)
    target = order[60]
    client.force_login(librarian)
    page2 = client.get(f"/lists/{lst.pk}/library/?page=2").content.decode()
    assert target in _ids(page2) and f"/lists/{lst.pk}/library/items/{target}/status/" in page2
    response = client.post(f"/lists/{lst.pk}/library/items/{target}/status/", {"status": "in_process", "page": "2"},
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    answer = response.content.decode()
    assert _ids(answer) == order[50:100]
    assert Citation.objects.get(pk=target).status == "in_process"


def test_a_short_list_is_one_page_with_its_empty_sections(client, instructor, librarian, built_list):
    from syllabus.lists import services

    lst = built_list["list"]
    services.add_section(instructor, lst, title="Week 3 (nothing yet)")
    services.send_list(instructor, lst)
    client.force_login(librarian)
    page = client.get(f"/lists/{lst.pk}/library/").content.decode()
    assert 'data-testid="item-pages"' not in page
    assert "Week 3 (nothing yet)" in page and "No item here." in page
    assert len(_ids(page)) == 3


def test_mark_the_list_complete_says_how_many_items_are_not_done(client, instructor, librarian, course):
    """LST-4 (outside-in review, session 20): completing a list leaves its items' statuses as they are;
    the button says how many are neither complete nor declined, and says nothing once none is."""
    from syllabus.lists import services

    lst = bulk_list(instructor, course, 4, sent=True)
    items = list(Citation.objects.filter(resource_list=lst).order_by("id"))
    services.set_item_status(librarian, items[0], "complete")
    services.set_item_status(librarian, items[1], "declined", note="Out of print")
    client.force_login(librarian)
    page = client.get(f"/lists/{lst.pk}/library/").content.decode()
    assert 'id="list-to-complete" aria-describedby="list-unfinished"' in page
    assert re.search(r'data-testid="list-unfinished">\s*2 items are neither complete nor declined', page), page
    for item in items[2:]:
        services.set_item_status(librarian, item, "complete")
    page = client.get(f"/lists/{lst.pk}/library/").content.decode()
    assert 'id="list-to-complete"' in page and "list-unfinished" not in page
