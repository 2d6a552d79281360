"""ANL-1: each kind of usage event is recorded once per action, attributed to the right course,
list, item, role and user group, written with at most one extra write per page view, rolled up
by the timer sweep and expired after the retention; a student sees what is recorded about them."""
from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from syllabus.analytics.models import DailyUsage, ListReader, UsageEvent
from syllabus.core import usage
from syllabus.core.tasks import run_tick

WRITES = ("INSERT", "UPDATE", "DELETE")


def _writes(ctx) -> list[str]:
    return [q["sql"] for q in ctx.captured_queries if q["sql"].lstrip().upper().startswith(WRITES)]


def _one(**filters) -> UsageEvent:
    """The one event matching ``filters``, once the rollup (``syllabus tick``) has attributed it
    to its course and role (issue 19: the page view itself only INSERTs it)."""
    run_tick()
    events = list(UsageEvent.objects.filter(**filters))
    assert len(events) == 1, f"{len(events)} events for {filters}"
    return events[0]


def test_a_list_view_is_recorded_once_for_the_students_course_role_and_group(client, reading, student, course):
    lst, _items = reading
    client.force_login(student)
    assert client.get(f"/lists/{lst.pk}/").status_code == 200
    e = _one(kind="list_view")
    assert (e.resource_list_id, e.course_id, e.role, e.user_group_id, e.user_id, e.institution_id) == \
        (lst.pk, course.pk, "student", student.user_group_id, student.pk, lst.institution_id)
    assert e.citation_id is None and e.day == dt.date(2026, 3, 2)


def test_a_page_view_with_recording_adds_at_most_one_write(client, reading, student):
    lst, _items = reading
    client.force_login(student)
    client.get(f"/lists/{lst.pk}/")               # warm the caches (formatted items, sessions)
    usage.provide(None)
    try:
        with CaptureQueriesContext(connection) as without:
            client.get(f"/lists/{lst.pk}/")
    finally:
        from syllabus.analytics.recording import _record

        usage.provide(_record)
    with CaptureQueriesContext(connection) as with_recording:
        client.get(f"/lists/{lst.pk}/")
    extra = len(_writes(with_recording)) - len(_writes(without))
    assert extra <= 1, _writes(with_recording)
    assert len([s for s in _writes(with_recording) if "analytics_usageevent" in s.lower()]) == 1
    assert UsageEvent.objects.filter(kind="list_view").count() == 2
    # issue 19: and no read at all — who the reader is (course, role) is worked out by the rollup
    def reads(ctx) -> list[str]:
        return [q["sql"] for q in ctx.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")]

    assert len(reads(with_recording)) == len(reads(without)), reads(with_recording)


def test_a_page_view_is_attributed_by_the_rollup_as_the_reader_is_then(client, reading, student, instructor, course, make_user):
    lst, _items = reading
    client.force_login(student)
    client.get(f"/lists/{lst.pk}/")
    client.force_login(instructor)
    client.get(f"/lists/{lst.pk}/")
    raw = list(UsageEvent.objects.order_by("id").values_list("course_id", "role"))
    assert raw == [(None, ""), (None, "")]        # written as they came, not yet attributed
    run_tick()
    assert list(UsageEvent.objects.order_by("id").values_list("user_id", "course_id", "role")) == \
        [(student.pk, course.pk, "student"), (instructor.pk, course.pk, "instructor")]
    assert DailyUsage.objects.get(kind="list_view", role="student").course_id == course.pk
    assert not DailyUsage.objects.filter(role="").exists()


@pytest.mark.parametrize("kind,link", [("item_open", "doi:0"), ("findit_click", "")])
def test_a_followed_link_and_find_it_are_recorded_per_item(client, reading, student, course, kind, link):
    lst, items = reading
    client.force_login(student)
    r = client.post("/analytics/events/", {"kind": kind, "citation": items[1].pk, "link": link})
    assert r.status_code == 204
    e = _one(kind=kind)
    assert (e.citation_id, e.resource_list_id, e.course_id, e.role, e.link) == (items[1].pk, lst.pk, course.pk, "student", link)


def test_the_event_endpoint_refuses_other_kinds_and_items_the_reader_cannot_see(client, reading, make_user, inst_b, student):
    _lst, items = reading
    client.force_login(student)
    r = client.post("/analytics/events/", {"kind": "list_view", "citation": items[0].pk})
    assert r.status_code == 400 and b"ANL-1" in r.content
    assert client.post("/analytics/events/", {"kind": "item_open", "citation": "99999999999999999999"}).status_code == 400
    client.force_login(make_user("stranger", institution=inst_b))
    assert client.post("/analytics/events/", {"kind": "item_open", "citation": items[0].pk}).status_code == 404
    assert not UsageEvent.objects.exists()


def test_a_file_download_is_recorded_once(client, reading, student, course):
    lst, items = reading
    c = items[2]
    c.file.save("notes.txt", ContentFile(b"lecture notes"), save=False)
    c.file_name, c.file_type, c.file_size = "notes.txt", "text/plain", 13
    c.save()
    client.force_login(student)
    r = client.get(f"/lists/items/{c.pk}/file/")
    assert r.status_code == 200 and b"".join(r.streaming_content) == b"lecture notes"
    # the event is written when the streamed file has been sent (the response closed)
    e = _one(kind="file_download")
    assert (e.citation_id, e.resource_list_id, e.course_id) == (c.pk, lst.pk, course.pk)


def test_marked_done_is_recorded_once_per_mark(client, reading, student, course):
    _lst, items = reading
    client.force_login(student)
    client.post(f"/circulation/citations/{items[0].pk}/done/", {"done": "1"})
    client.post(f"/circulation/citations/{items[0].pk}/done/", {"done": "1"})   # already done: no new mark
    e = _one(kind="marked_done")
    assert (e.citation_id, e.course_id, e.role) == (items[0].pk, course.pk, "student")


def test_the_instructor_is_recorded_as_instructor(client, reading, instructor, course):
    lst, _items = reading
    client.force_login(instructor)
    client.get(f"/lists/{lst.pk}/")
    assert _one(kind="list_view").role == "instructor"


def test_the_sweep_rolls_events_up_per_day_and_expires_raw_events(client, reading, student, instructor, course, clock):
    lst, items = reading
    client.force_login(student)
    client.get(f"/lists/{lst.pk}/")
    client.get(f"/lists/{lst.pk}/")
    client.post("/analytics/events/", {"kind": "item_open", "citation": items[0].pk, "link": "doi:0"})
    assert not DailyUsage.objects.exists()       # nothing counted before the sweep
    run_tick()
    views = DailyUsage.objects.get(kind="list_view")
    assert (views.events, views.readers, views.course_id, views.role) == (2, 1, course.pk, "student")
    assert DailyUsage.objects.get(kind="item_open", citation=items[0]).events == 1
    assert ListReader.objects.filter(user=student, resource_list=lst, course=course).count() == 1
    run_tick()                                   # idempotent
    assert DailyUsage.objects.get(kind="list_view").events == 2
    # a day later, one more view: that day is counted apart, the first day stays
    clock.set_now(clock.now() + dt.timedelta(days=1))
    client.get(f"/lists/{lst.pk}/")
    run_tick()
    assert sorted(DailyUsage.objects.filter(kind="list_view").values_list("events", flat=True)) == [1, 2]
    # past the retention (180 days by default) the raw events go, the daily counts stay
    clock.set_now(clock.now() + dt.timedelta(days=181))
    run_tick()
    assert not UsageEvent.objects.exists()
    assert DailyUsage.objects.filter(kind="list_view").count() == 2


def test_a_student_sees_what_is_recorded_about_them(client, reading, student, make_user, course):
    lst, _items = reading
    client.force_login(student)
    client.get(f"/lists/{lst.pk}/")
    page = client.get("/analytics/me/")
    assert page.status_code == 200
    assert b"HIST101 readings" in page.content and b"List viewed" in page.content and b"1 action recorded" in page.content
    client.force_login(make_user("other-student"))
    assert b"Nothing is recorded about you." in client.get("/analytics/me/").content


@pytest.mark.django_db(transaction=True)
def test_a_page_views_event_alone_is_committed_without_waiting_for_its_wal_flush(reading, student):
    """Issue 19: on PostgreSQL the event of a page view — one INSERT, its own transaction — is
    committed with ``synchronous_commit`` off (``ANALYTICS_SYNCHRONOUS_COMMIT``); a caller's
    transaction never is, the setting does not outlive the INSERT, and SQLite writes it plainly."""
    from django.db import transaction

    from syllabus.analytics.services import record_events
    from syllabus.core import clock

    lst, _items = reading

    def view():
        return [{"kind": "list_view", "user": student, "at": clock.now(), "list_id": lst.pk,
                 "institution_id": lst.institution_id}]

    with CaptureQueriesContext(connection) as alone:
        record_events(view())
    with CaptureQueriesContext(connection) as inside, transaction.atomic():
        record_events(view())
    postgres = connection.vendor == "postgresql"
    assert [q["sql"].startswith("INSERT") for q in alone.captured_queries] == [True]
    assert ["SET LOCAL synchronous_commit TO OFF" in q["sql"] for q in alone.captured_queries] == [postgres]
    assert not any("synchronous_commit" in q["sql"] for q in inside.captured_queries)
    assert UsageEvent.objects.filter(kind="list_view", resource_list_id=lst.pk).count() == 2
    if postgres:
        with connection.cursor() as cur:
            cur.execute("SHOW synchronous_commit")
            assert cur.fetchone()[0] == "on"


@pytest.fixture
def kept(monkeypatch):
    """Page views kept in the process, as in a web worker of ``syllabus serve`` (issue 19,
    session 11) — without the writer thread (its own connection would not see the test's
    transaction): the test writes them as that thread, or a worker's exit, does."""
    from syllabus.analytics import recording

    monkeypatch.setattr(recording, "BUFFER_SECONDS", 0.5)
    monkeypatch.setattr(recording, "_start_writer", lambda: None)
    recording._take()
    yield recording
    recording._take()


def test_kept_page_views_are_written_together_and_counted_exactly(client, reading, student, course, kept):
    lst, _items = reading
    client.force_login(student)
    with CaptureQueriesContext(connection) as views:
        for _ in range(5):
            assert client.get(f"/lists/{lst.pk}/").status_code == 200
    assert not _writes(views)   # no page view waited for a write of its own
    assert UsageEvent.objects.filter(kind="list_view").count() == 0
    with CaptureQueriesContext(connection) as written:
        assert kept.write_kept() == 5   # the writer's turn (or the worker's exit: atexit)
    assert len(_writes(written)) == 1
    assert kept.write_kept() == 0
    run_tick()
    events = list(UsageEvent.objects.filter(kind="list_view"))
    assert len(events) == 5
    assert {(e.resource_list_id, e.course_id, e.role, e.user_id) for e in events} == {(lst.pk, course.pk, "student", student.pk)}
    assert b"5 actions recorded" in client.get("/analytics/me/").content


def test_a_full_buffer_is_written_by_the_request_that_fills_it(client, reading, student, kept, monkeypatch):
    lst, _items = reading
    monkeypatch.setattr(kept, "BUFFER_LIMIT", 3)
    client.force_login(student)
    for n in (1, 2):
        client.get(f"/lists/{lst.pk}/")
        assert UsageEvent.objects.count() == 0, n
    client.get(f"/lists/{lst.pk}/")
    assert UsageEvent.objects.filter(kind="list_view").count() == 3
    assert kept.write_kept() == 0


@pytest.mark.parametrize("raw", ["-1", "11", "soon"])
def test_the_buffer_seconds_setting_is_bounded(raw, monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from syllabus.analytics import recording

    monkeypatch.setenv("ANALYTICS_BUFFER_SECONDS", raw)
    with pytest.raises(ImproperlyConfigured, match="ANL-1: ANALYTICS_BUFFER_SECONDS"):
        recording._buffer_seconds()
    monkeypatch.setenv("ANALYTICS_BUFFER_SECONDS", "2")
    assert recording._buffer_seconds() == 2
    monkeypatch.delenv("ANALYTICS_BUFFER_SECONDS")
    monkeypatch.setenv("SYLLABUS_WEB_WORKER", "1")
    assert recording._buffer_seconds() == 0.5
    monkeypatch.setenv("SYLLABUS_WEB_WORKER", "")
    assert recording._buffer_seconds() == 0
