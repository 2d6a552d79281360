"""Issue 19 (session 12): on PostgreSQL a GET of the student view sends its list query in the
session's round trip once the same session key has viewed a list in this process (the reader and
the query's shape guessed from that view, the list taken from the path); the rows are used only
for that very reader, list and shape.  Whatever was read with the session is read fresh: every
change shows at once, as without it (acceptance 4)."""
from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from syllabus.catalog.models import Item
from syllabus.circulation import services
from syllabus.lists import selectors
from syllabus.lists import services as list_services

from .conftest import cite, item_html, make_record

pytestmark = pytest.mark.django_db


def _view(client: Client, lst) -> tuple[str, list[str]]:
    with CaptureQueriesContext(connection) as q:
        response = client.get(reverse("lists:view", args=[lst.pk]))
    assert response.status_code == 200
    return response.content.decode(), [c["sql"] for c in q.captured_queries]


def _alone(sqls: list[str]) -> list[str]:
    """The list queries sent by themselves (not with the session's)."""
    return [s for s in sqls if "EXECUTE lst_" in s and "EXECUTE ses_" not in s]


def _with_session(sqls: list[str]) -> list[str]:
    return [s for s in sqls if "EXECUTE lst_" in s and "EXECUTE ses_" in s]


def test_a_sessions_next_view_reads_its_list_with_the_session(titles, student):
    client = Client()
    client.force_login(student)   # once: one session key for every view below
    lst = titles["list"]
    first, sqls = _view(client, lst)
    for _ in range(2):
        page, sqls = _view(client, lst)
        assert "1 of 2 available" in item_html(page, titles["one"])
    if connection.vendor == "postgresql":
        assert len(_with_session(sqls)) == 1 and not _alone(sqls), sqls
        assert [s for s in sqls if "EXECUTE ses_" in s][0].count("EXECUTE") == 4   # session, person, configuration, list
    else:   # SQLite: one statement per query, nothing travels with the session
        assert not _with_session(sqls)


def test_every_change_shows_at_once_through_the_list_read_with_the_session(titles, student, instructor, course, inst_a):
    """Acceptance 4 with one session for all the views (each read of the list travels with it)."""
    client = Client()
    client.force_login(student)
    lst, one = titles["list"], titles["one"]
    for _ in range(2):
        _view(client, lst)

    def check(found, label):
        page, sqls = _view(client, lst)
        assert found(page), label
        if connection.vendor == "postgresql":
            assert _with_session(sqls) and not _alone(sqls), label

    list_services.update_list(instructor, lst, title="Modern history: the essentials")
    check(lambda p: "Modern history: the essentials" in p, "title")
    list_services.update_citation(instructor, one, public_note="Start with the prelude")
    check(lambda p: "Start with the prelude" in p, "note")
    three = cite(instructor, lst, titles["section"], make_record(inst_a, "Hard Times"))
    check(lambda p: "Hard Times" in p, "added")
    list_services.delete_citation(instructor, three)
    check(lambda p: "Hard Times" not in p, "removed")
    copy = Item.objects.get(pk=titles["copies"][1].pk)
    copy.status = Item.Status.IN_PLACE
    copy.save()   # (a plain save, as another process would)
    check(lambda p: "2 of 2 available" in item_html(p, one), "availability")
    course.name = "History of the modern world"
    course.save()
    check(lambda p: "History of the modern world" in p, "course")
    services.mark_done(student, one)
    check(lambda p: "1 of 2 items done" in p, "the reader's own done mark")
    list_services.unpublish_list(instructor, lst)
    assert client.get(reverse("lists:view", args=[lst.pk])).status_code == 404


def test_another_list_in_the_same_session_is_the_one_shown(titles, student, instructor, course):
    client = Client()
    client.force_login(student)
    first = titles["list"]
    other = list_services.create_list(instructor, title="HIST101 further reading", courses=[course])
    list_services.add_section(instructor, other, title="Week 2")
    list_services.publish_list(instructor, other)
    for _ in range(2):
        page, _sqls = _view(client, first)
        assert "Middlemarch" in page
    page, sqls = _view(client, other)
    assert "HIST101 further reading" in page and "Middlemarch" not in page
    page, sqls = _view(client, first)
    assert "Middlemarch" in page and "HIST101 further reading" not in page


def test_a_guess_naming_another_reader_is_not_used(titles, student, make_user, course):
    """The rows read with the session are used only for the reader the request signs in."""
    from syllabus.courses.models import Enrollment

    other = make_user("other-reader")
    Enrollment.objects.create(course=course, user=other)
    client = Client()
    client.force_login(student)
    lst = titles["list"]
    for _ in range(2):
        _view(client, lst)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    if connection.vendor == "postgresql":
        assert selectors._guesses[key][0] == student.pk
    selectors._guesses[key] = (other.pk, selectors._guesses.get(key, (0, ()))[1])
    page, sqls = _view(client, lst)
    assert "Middlemarch" in page
    if connection.vendor == "postgresql":
        assert _alone(sqls), "the guessed rows were not used: the list read again for this reader"
        assert selectors._guesses[key][0] == student.pk, "and the right reader learnt"


def test_other_pages_and_writes_read_no_list_with_the_session(titles, student):
    client = Client()
    client.force_login(student)
    lst = titles["list"]
    for _ in range(2):
        _view(client, lst)
    with CaptureQueriesContext(connection) as q:
        assert client.get(reverse("web:home")).status_code == 200
    assert not [c for c in q.captured_queries if "EXECUTE lst_" in c["sql"]]
    with CaptureQueriesContext(connection) as q:
        client.post(reverse("lists:view", args=[lst.pk]))
    assert not _with_session([c["sql"] for c in q.captured_queries])
