"""The editor's copies and access, loaded when opened (session 23; LST-2, issue 19).

Circulation's part of an item's library services — the copies table, online access, Find it,
Place a hold: ~2.6 KB of the ~6 KB an item weighed in the editor, and most of its render time —
is registered ``lazy`` (lists.slots): the editor shows a "Copies and access" disclosure per item
that loads it with htmx when opened, or, without JavaScript, links to the item's own page, which
shows it under "Library services".  The parts an instructor needs at a glance (digitization and
purchase statuses, new-edition notices, the library discussion) stay on the editor.
bench/bench_editor.py measures bytes and CPU at 50/200/500 items (BENCHMARKS.md)."""
from __future__ import annotations

import re

import pytest
from django.urls import reverse

from syllabus.lists.models import Citation
from tests.circulation.test_list_page_queries import rich_list
from tests.lists.test_queries import counting

pytestmark = pytest.mark.django_db


def _items(html: str) -> list[str]:
    return re.findall(r'<li class="item".*?(?=<li class="item"|</ol>)', html, re.S)


def _first(lst) -> Citation:
    return Citation.objects.filter(resource_list=lst).order_by("section__position", "position").first()


def test_the_editor_loads_each_items_copies_when_opened_and_keeps_its_statuses_at_a_glance(
        client, instructor, course, student, library_a):
    lst = rich_list(instructor, course, student, library_a, 12, title="Small")
    client.force_login(instructor)
    html = client.get(reverse("lists:edit", args=[lst.pk])).content.decode()
    items = _items(html)
    assert len(items) == 12
    assert 'data-testid="item-access"' not in html and 'data-testid="access-physical"' not in html
    for item, c in zip(items, Citation.objects.filter(resource_list=lst).order_by("section__position", "position")):
        services = reverse("lists:citation-services", args=[lst.pk, c.pk])
        page = reverse("lists:update-citation", args=[lst.pk, c.pk])
        assert f'hx-get="{services}" hx-trigger="toggle once from:closest details" hx-target="this" hx-swap="innerHTML"' in item
        assert f'<a href="{page}#services">Open the item page for its copies and access</a>' in item
        assert "<summary>Copies and access" in item
        # at a glance, as before: digitization and purchases, the discussion
        assert 'data-testid="digitization-services"' in item and 'data-testid="item-discussion"' in item

    book = _first(lst)
    fragment = client.get(reverse("lists:citation-services", args=[lst.pk, book.pk]), HTTP_HX_REQUEST="true")
    body = fragment.content.decode()
    assert fragment.status_code == 200 and "<html" not in body
    assert 'data-testid="access-physical"' in body and "of 2 available" in body and 'data-testid="find-it"' in body
    assert "HX-Request" in fragment["Vary"]


def test_without_javascript_the_copies_are_on_the_items_own_page(client, instructor, course, student, library_a):
    lst = rich_list(instructor, course, student, library_a, 3, title="Three")
    book = _first(lst)
    client.force_login(instructor)
    r = client.get(reverse("lists:citation-services", args=[lst.pk, book.pk]))
    page = reverse("lists:update-citation", args=[lst.pk, book.pk])
    assert r.status_code == 302 and r["Location"] == page + "#services"
    html = client.get(page).content.decode()
    section = html.split('id="services"', 1)[1].split("</section>", 1)[0]
    assert "Library services" in section and 'data-testid="access-physical"' in section and "of 2 available" in section


def test_only_the_lists_editors_get_an_items_copies_fragment(client, instructor, course, student, library_a):
    lst = rich_list(instructor, course, student, library_a, 3, title="Three")
    book = _first(lst)
    client.force_login(student)
    r = client.get(reverse("lists:citation-services", args=[lst.pk, book.pk]), HTTP_HX_REQUEST="true")
    assert r.status_code in (403, 404) and 'data-testid="item-access"' not in r.content.decode()
    other = rich_list(instructor, course, student, library_a, 1, title="Other")
    client.force_login(instructor)
    r = client.get(reverse("lists:citation-services", args=[other.pk, book.pk]), HTTP_HX_REQUEST="true")
    assert r.status_code == 404  # an item of another list


def test_an_items_copies_fragment_runs_the_same_statements_on_a_small_and_a_big_list(
        client, instructor, course, student, library_a):
    small = rich_list(instructor, course, student, library_a, 3, title="Small")
    big = rich_list(instructor, course, student, library_a, 40, title="Big")
    client.force_login(instructor)
    counts = []
    for lst in (small, big, small):
        url = reverse("lists:citation-services", args=[lst.pk, _first(lst).pk])
        with counting() as box:
            assert client.get(url, HTTP_HX_REQUEST="true").status_code == 200
        counts.append(len(box["sql"]))
    assert counts[1] == counts[2], counts   # (the first request warmed the process)
