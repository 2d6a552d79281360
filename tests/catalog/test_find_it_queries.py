"""What a student's Find it costs at term start (DSV-6; issue 19, session 21): opened from a list
item, the page checks that the reader sees the item's list in two statements (the item, then its
list with the reader's flags) whatever the list's size, owners and collaborators; and the citation
shown at the top is formatted once per metadata, not by citeproc on every request."""
from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from syllabus.citations import bibliography, openurl

pytestmark = pytest.mark.django_db

BOOK = {"type": "book", "title": "The Age of Revolution", "author": [{"family": "Hobsbawm", "given": "Eric"}]}


@pytest.fixture
def item(instructor, course):
    from syllabus.lists import services

    lst = services.create_list(instructor, title="HIST101 readings", courses=[course])
    section = services.add_section(instructor, lst, title="Week 1")
    citation = services.add_citation(instructor, lst, section, "book", dict(BOOK))
    services.publish_list(instructor, lst)
    return lst, section, citation


def _statements(client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return [q["sql"] for q in queries.captured_queries]


def test_the_way_back_costs_two_statements_whatever_the_list(item, student, instructor, make_user, client):
    from syllabus.lists import services

    lst, section, citation = item
    url = "/openurl?" + openurl.from_csl(BOOK)
    client.force_login(student)
    client.get(url)
    alone = _statements(client, url)
    small = _statements(client, url + f"&from_item={citation.pk}")
    for i in range(30):
        services.add_citation(instructor, lst, section, "book", {"title": f"Reading {i}"})
    people = [make_user(f"colleague{i}", group="faculty") for i in range(6)]
    services.update_list(instructor, lst, collaborators=[p.username for p in people[:3]])
    big = _statements(client, url + f"&from_item={citation.pk}")
    assert len(big) == len(small) == len(alone) + 2, "\n".join(big)
    page = client.get(url + f"&from_item={citation.pk}").content.decode()
    assert f"#item-{citation.pk}" in page and "HIST101 readings" in page


def test_an_item_of_a_list_the_reader_cannot_see_gives_no_way_back(item, make_user, client):
    lst, _section, citation = item
    outsider = make_user("outsider")
    client.force_login(outsider)
    page = client.get("/openurl?" + openurl.from_csl(BOOK) + f"&from_item={citation.pk}").content.decode()
    assert f"#item-{citation.pk}" not in page and "HIST101 readings" not in page


def test_the_citation_is_formatted_once_for_every_reader(item, student, client, monkeypatch):
    calls = []
    render = bibliography.render
    monkeypatch.setattr(bibliography, "render", lambda *a, **kw: calls.append(a) or render(*a, **kw))
    bibliography._format_one.cache_clear()
    client.force_login(student)
    url = "/openurl?" + openurl.from_csl(BOOK)
    first = client.get(url).content.decode()
    client.get(url)
    client.get(url)
    assert len(calls) == 1 and "Hobsbawm, E. (" in first
