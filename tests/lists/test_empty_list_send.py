"""LST-4: "Send to library" on an empty list is refused — in the service, the API and the page —
and the editor shows the button disabled, saying why. The library would otherwise get a "List sent
to library" task with nothing to process (seeds, leganto-alma-primo.txt: the instructor sends the
list "for processing"; the librarian then makes its items available)."""
from __future__ import annotations

import pytest

from syllabus.core.errors import RuleViolation
from syllabus.lists import services
from syllabus.lists.models import LibrarianTask
from syllabus.lists.workflow import ListStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def empty(instructor, course):
    lst = services.create_list(instructor, title="Week zero", courses=[course])
    services.add_section(instructor, lst, title="Week 1")   # a section is no item
    return lst


def _unsent(lst):
    lst.refresh_from_db()
    assert lst.status == ListStatus.BEING_PREPARED and lst.sent_at is None
    assert not LibrarianTask.objects.filter(resource_list=lst).exists()


def test_the_service_refuses_to_send_an_empty_list(instructor, empty):
    with pytest.raises(RuleViolation) as refused:
        services.send_list(instructor, empty)
    assert refused.value.rule == "LST-4" and "no items" in refused.value.detail
    _unsent(empty)


def test_the_api_refuses_to_send_an_empty_list_naming_the_rule(api, instructor, empty):
    r = api(instructor).post(f"/api/v1/lists/{empty.pk}/send")
    assert r.status_code == 409, r.content
    assert r.json()["rule"] == "LST-4" and "add at least one" in r.json()["detail"]
    _unsent(empty)


def test_the_page_refuses_and_the_editor_disables_the_button_until_there_is_an_item(client, instructor, empty):
    client.force_login(instructor)
    r = client.post(f"/lists/{empty.pk}/edit/send/", HTTP_HX_REQUEST="true")   # the editor's button (htmx)
    assert r.status_code == 409 and "LST-4" in r.content.decode() and "add at least one" in r.content.decode()
    r = client.post(f"/lists/{empty.pk}/edit/send/", HTTP_REFERER=f"/lists/{empty.pk}/edit/", follow=True)  # a plain post
    assert "the list has no items" in r.content.decode() and "LST-4" in r.content.decode()
    _unsent(empty)
    page = client.get(f"/lists/{empty.pk}/edit/").content.decode()
    assert 'id="send-list" disabled aria-describedby="send-list-why"' in page
    assert "Add at least one item before sending the list to the library." in page
    assert f'action="/lists/{empty.pk}/edit/send/"' not in page
    services.add_citation(instructor, empty, None, "book", {"title": "Middlemarch"})
    page = client.get(f"/lists/{empty.pk}/edit/").content.decode()
    assert f'action="/lists/{empty.pk}/edit/send/"' in page and "send-list-why" not in page
    assert client.post(f"/lists/{empty.pk}/edit/send/").status_code == 302
    empty.refresh_from_db()
    assert empty.status == ListStatus.SENT_TO_LIBRARY
