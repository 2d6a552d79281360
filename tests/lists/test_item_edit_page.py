"""The editor's items are edited on demand (LST-2, LST-3; issue 19 session 19): the editor shows
each item's summary and an "Edit item" link to the item's own page — a full page that works
without JavaScript, the same form with the same rules and refusals, that returns to the item in
the editor once saved — and, asked by htmx, the same address answers the form alone, loaded in
place (``Vary: HX-Request``).  The editor carries no per-item form any more: its size per item is
the item's summary and actions (bench/bench_editor.py measures it)."""
from __future__ import annotations

import re

import pytest
from django.urls import reverse

from syllabus.lists.models import Citation
from tests.lists.conftest import bulk_list

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


def _url(built_list, item: str = "book") -> str:
    return reverse("lists:update-citation", args=[built_list["list"].pk, built_list[item].pk])


def _back(built_list, item: str = "book") -> str:
    return reverse("lists:edit", args=[built_list["list"].pk]) + f"#item-{built_list[item].pk}"


def test_the_editor_links_each_item_to_its_edit_page_and_carries_no_item_form(client, instructor, course):
    lst = bulk_list(instructor, course, 24)
    client.force_login(instructor)
    html = client.get(reverse("lists:edit", args=[lst.pk])).content.decode()
    assert html.count('data-testid="item"') == 24
    assert html.count('data-testid="citation-form"') == 4  # the four sections' "Add an item" forms, no item's
    for c in Citation.objects.filter(resource_list=lst):
        url = reverse("lists:update-citation", args=[lst.pk, c.pk])
        link = re.search(rf'<a class="button" id="c{c.pk}-edit" href="([^"]+)" hx-get="([^"]+)" hx-target="#c{c.pk}-form"', html)
        assert link and link.groups() == (url, url), c.pk
        assert f'<div id="c{c.pk}-form" class="item-edit" data-inplace-region data-refocus="c{c.pk}-edit"></div>' in html


def test_the_item_page_is_a_whole_page_with_the_items_form_posting_to_itself(client, instructor, built_list):
    client.force_login(instructor)
    r = client.get(_url(built_list))
    assert r.status_code == 200 and "HX-Request" in r["Vary"]
    html = r.content.decode()
    assert "<h1>Edit item: The Making of the English Working Class</h1>" in html
    assert "<title>Edit item: The Making of the English Working Class" in html
    form = html.split('data-testid="citation-form"', 1)[0].rsplit("<form", 1)[1]
    assert f'action="{_url(built_list)}"' in form and "hx-post" not in form  # a plain form: no JavaScript needed
    book = built_list["book"].pk
    assert f'id="f-{book}-title" name="title" value="The Making of the English Working Class"' in html
    assert f'id="f-{book}-public-note" name="public_note" rows="2" cols="40">Read chapter 1</textarea>' in html
    assert 'name="tags" value="essential" checked' in html
    assert f'href="{_back(built_list)}" data-inplace-cancel>Cancel</a>' in html
    assert f'href="{_back(built_list)}" data-testid="back-to-editor"' in html


def test_asked_by_htmx_the_same_address_answers_the_form_alone(client, instructor, built_list):
    client.force_login(instructor)
    r = client.get(_url(built_list), **HX)
    assert r.status_code == 200 and "HX-Request" in r["Vary"]
    html = r.content.decode()
    assert "<html" not in html and "<h1" not in html
    # the item's form first (the focus lands in its first field), then its move to the other section
    assert html.count("<form") == 2 and f'hx-post="{_url(built_list)}"' in html  # saved: the editor answers, as before
    assert html.index('data-testid="citation-form"') < html.index('data-testid="item-move"')
    move = reverse("lists:move-citation", args=[built_list["list"].pk, built_list["book"].pk])
    assert f'hx-post="{move}"' in html and f'<option value="{built_list["sections"][1].pk}">Week 2</option>' in html
    assert 'value="The Making of the English Working Class"' in html and "data-inplace-cancel" in html


def test_saved_from_its_page_the_item_returns_to_its_place_in_the_editor(client, instructor, built_list):
    client.force_login(instructor)
    r = client.post(_url(built_list), {"type": "book", "title": "The Making of the English Working Class",
                                       "authors": "Thompson, E. P.", "year": "1963", "tags": ["recommended"],
                                       "public_note": "Read the preface", "copyright_status": ""})
    assert r.status_code == 302 and r["Location"] == _back(built_list)
    book = Citation.objects.get(pk=built_list["book"].pk)
    assert book.public_note == "Read the preface" and book.tags == ["recommended"]
    page = client.get(r["Location"]).content.decode()
    assert "Item saved." in page and "Read the preface" in page


def test_refused_on_its_page_the_rule_shows_and_nothing_typed_is_lost(client, instructor, built_list):
    """The same rule as in the editor (LST-2: the ISBN's check digit), on the page itself: the
    rule id and message, everything typed back in the form, nothing saved."""
    client.force_login(instructor)
    r = client.post(_url(built_list), {"type": "book", "title": "A new title", "isbn": "978-0-14-143954-0",
                                       "public_note": "typed note", "tags": ["optional"], "open_access": "on"})
    assert r.status_code == 400
    html = r.content.decode()
    assert re.search(r'<p class="error" role="alert" data-testid="error" id="list-error"><strong>LST-2:</strong> .*ISBN 978-0-14-143954-0 is not valid', html)
    book = built_list["book"].pk
    assert f'id="f-{book}-title" name="title" value="A new title"' in html
    assert 'value="978-0-14-143954-0"' in html and ">typed note</textarea>" in html
    assert 'name="tags" value="optional" checked' in html and 'name="tags" value="essential" checked' not in html
    assert f'name="open_access" id="f-{book}-oa" checked' in html
    saved = Citation.objects.get(pk=book)
    assert saved.title == "The Making of the English Working Class" and saved.public_note == "Read chapter 1"


def test_an_overlong_value_on_its_page_is_refused_naming_the_rule_and_is_not_echoed_whole(client, instructor, built_list):
    client.force_login(instructor)
    r = client.post(_url(built_list), {"type": "book", "title": "x" * 100_000})
    assert r.status_code == 400
    html = r.content.decode()
    assert "LST-2" in html and "x" * 100_000 not in html
    assert Citation.objects.get(pk=built_list["book"].pk).title == "The Making of the English Working Class"


def test_saved_in_place_the_editor_answers_and_a_refusal_goes_to_the_live_region(client, instructor, built_list):
    client.force_login(instructor)
    r = client.post(_url(built_list), {"type": "book", "title": "Renamed in place"}, **HX)
    assert r.status_code == 200 and 'id="editor"' in r.content.decode() and "Item saved." in r.content.decode()
    r = client.post(_url(built_list), {"type": "book", "title": "Bad", "isbn": "123"}, **HX)
    assert r.status_code == 400 and r["HX-Retarget"] == "#messages-live" and "LST-2" in r.content.decode()
    assert Citation.objects.get(pk=built_list["book"].pk).title == "Renamed in place"


def test_the_item_page_offers_what_the_editor_offered_to_each_side(client, instructor, librarian, built_list):
    """The library (process) gets the system tags and every copyright status on the item's page,
    as it did in the editor's form (LST-3, DIG-3); the instructor only the free ones."""
    client.force_login(librarian)
    html = client.get(_url(built_list)).content.decode()
    assert '<option value="approved"' in html and 'name="tags" value="new_edition_available"' in html
    client.force_login(instructor)
    html = client.get(_url(built_list)).content.decode()
    assert '<option value="approved"' not in html and 'name="tags" value="new_edition_available"' not in html


def test_an_item_of_another_list_is_not_found_under_this_lists_address(client, instructor, course, built_list):
    from syllabus.lists import services

    other = services.create_list(instructor, title="Other", courses=[course])
    elsewhere = services.add_citation(instructor, other, None, "book", {"title": "Elsewhere"})
    client.force_login(instructor)
    url = reverse("lists:update-citation", args=[built_list["list"].pk, elsewhere.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"type": "book", "title": "Moved"}).status_code == 404
    assert Citation.objects.get(pk=elsewhere.pk).title == "Elsewhere"


def test_a_student_and_another_institution_are_refused_and_nothing_is_written(client, student, make_user, inst_b,
                                                                             built_list, instructor):
    from syllabus.org.roles import Role

    services_publish(instructor, built_list)
    client.force_login(student)
    assert client.get(_url(built_list)).status_code == 403
    assert client.post(_url(built_list), {"type": "book", "title": "Sneaky"}).status_code == 403
    foreign = make_user("foreign-editor", institution=inst_b, group="staff", roles=[Role.COURSE_RESERVES_OPERATOR])
    client.force_login(foreign)
    assert client.get(_url(built_list)).status_code == 404
    assert client.get(_url(built_list), **HX).status_code == 404
    assert client.post(_url(built_list), {"type": "book", "title": "Sneaky"}).status_code == 404
    assert not Citation.objects.filter(title="Sneaky").exists()


def services_publish(instructor, built_list):
    from syllabus.lists import services

    services.publish_list(instructor, built_list["list"])
