"""What the editor no longer carries on every item (session 20; LST-1, LST-3, SRV-3): the file
form, the choice of another section and the purchase forms are on the item's own page
(``/lists/<id>/edit/items/<id>/``) — plain forms that work without JavaScript and come back to
where they were posted from — and the editor links each item there.  bench/bench_editor.py
measures what that saves per item (BENCHMARKS.md)."""
from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from syllabus.lists.models import Citation
from tests.lists.conftest import bulk_list

pytestmark = pytest.mark.django_db


def _pdf(name="notes.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.4\n%%EOF\n" + b"0" * 100, content_type="application/pdf")


def _page(built_list, item="book"):
    return reverse("lists:update-citation", args=[built_list["list"].pk, built_list[item].pk])


def test_the_editor_links_each_item_to_its_file_on_its_page_and_carries_no_file_form_nor_section_choice(client, instructor,
                                                                                                     course):
    lst = bulk_list(instructor, course, 24)
    client.force_login(instructor)
    html = client.get(reverse("lists:edit", args=[lst.pk])).content.decode()
    items = re.findall(r'<li class="item".*?(?=<li class="item"|</ol>)', html, re.S)
    assert len(items) == 24
    for item in items:  # (the list's import panel keeps its own file field and choice of section)
        assert 'type="file"' not in item and "multipart/form-data" not in item and 'name="section"' not in item
    for c in Citation.objects.filter(resource_list=lst):
        page = reverse("lists:update-citation", args=[lst.pk, c.pk])
        assert re.search(rf'<a href="{page}#file" id="c{c.pk}-file-link">Upload a file<span class="visually-hidden"> — Book \d+',
                         html), c.pk


def test_a_file_is_uploaded_replaced_and_removed_on_the_items_page_without_javascript(client, instructor, built_list):
    client.force_login(instructor)
    lst, book = built_list["list"], built_list["book"]
    page = _page(built_list)
    html = client.get(page).content.decode()
    section = html.split('data-testid="item-file"', 1)[1].split("</section>", 1)[0]
    upload = reverse("lists:upload", args=[lst.pk, book.pk])
    assert f'action="{upload}"' in section and "hx-post" not in section and "No file yet" in section
    r = client.post(upload, {"file": _pdf()})
    assert r.status_code == 302 and r["Location"] == page + "#file"
    html = client.get(r["Location"]).content.decode()
    assert "File uploaded." in html and 'data-testid="file-link">notes.pdf</a>' in html and "Replace the file" in html
    editor = client.get(reverse("lists:edit", args=[lst.pk])).content.decode()
    assert f'<a href="{page}#file" id="c{book.pk}-file-link">Replace or remove the file' in editor
    assert 'data-testid="file-link">notes.pdf</a>' in editor  # the file itself still shows at a glance
    r = client.post(reverse("lists:remove-file", args=[lst.pk, book.pk]))
    assert r.status_code == 302 and r["Location"] == page + "#file"
    assert "File removed." in client.get(r["Location"]).content.decode()
    assert not Citation.objects.get(pk=book.pk).file


def test_an_upload_without_a_file_is_refused_naming_the_rule_back_on_the_items_page(client, instructor, built_list):
    client.force_login(instructor)
    page = _page(built_list)
    r = client.post(reverse("lists:upload", args=[built_list["list"].pk, built_list["book"].pk]), {}, HTTP_REFERER=page)
    assert r.status_code == 302 and r["Location"] == page
    assert "LST-3: choose a file to upload" in client.get(page).content.decode()


def test_with_htmx_a_file_action_answers_the_editor_as_before(client, instructor, built_list):
    client.force_login(instructor)
    r = client.post(reverse("lists:upload", args=[built_list["list"].pk, built_list["book"].pk]), {"file": _pdf()},
                    HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and 'id="editor"' in r.content.decode() and "File uploaded." in r.content.decode()


def test_an_item_moves_to_another_section_from_its_page(client, instructor, built_list):
    client.force_login(instructor)
    lst, book = built_list["list"], built_list["book"]
    week1, week2 = built_list["sections"]
    html = client.get(_page(built_list)).content.decode()
    form = html.split('data-testid="item-move"', 1)[1].split("</form>", 1)[0]
    assert "hx-post" not in form and f'<option value="{week2.pk}">Week 2</option>' in form and f'value="{week1.pk}"' not in form
    r = client.post(reverse("lists:move-citation", args=[lst.pk, book.pk]), {"section": week2.pk})
    assert r.status_code == 302
    assert Citation.objects.get(pk=book.pk).section_id == week2.pk
    assert "Item moved." in client.get(r["Location"]).content.decode()


def test_a_list_of_one_section_offers_no_move(client, instructor, course):
    from syllabus.lists import services

    lst = services.create_list(instructor, title="One week", courses=[course])
    only = services.add_section(instructor, lst, title="Week 1")
    item = services.add_citation(instructor, lst, only, "book", {"title": "Alone"})
    client.force_login(instructor)
    html = client.get(reverse("lists:update-citation", args=[lst.pk, item.pk])).content.decode()
    assert 'data-testid="item-move"' not in html and 'data-testid="item-file"' in html
