"""Library discussion (DSC-1..2): threads at list and item level, alerts for librarians, unread
counts per thread / per list / in total with read state per person, a letter per message."""
from __future__ import annotations

import pytest

from syllabus.discussion import services
from syllabus.discussion.models import Message, ReadState, Thread
from syllabus.lists.models import LibrarianTask
from syllabus.notify.delivery import deliver_due
from syllabus.notify.models import Notification, OutboxMessage
from tests.problem import problem

pytestmark = pytest.mark.django_db


def _unread(api, user):
    return api(user).get("/api/v1/me/unread").json()


# --- acceptance 4 (API): write → count 1 → read → 0 → reply raises the other side's count -------

def test_acceptance_4_item_thread_counts_go_up_and_clear_when_read(api, reading_list, instructor, librarian):
    book = reading_list["book"]
    assert api(instructor).get(f"/api/v1/citations/{book.pk}/messages").json() == {"thread_id": None, "messages": []}

    r = api(instructor).post(f"/api/v1/citations/{book.pk}/messages", {"body": "Could you buy a second copy?"})
    assert r.status_code == 201, r.content
    thread_id = r.json()["thread_id"]
    assert r.json()["from_library"] is False and r.json()["author"] == "instructor"

    assert _unread(api, librarian) == {"total": 1, "threads": [
        {"thread_id": thread_id, "list_id": reading_list["list"].pk, "citation_id": book.pk, "level": "item", "unread": 1}],
        "lists": [{"list_id": reading_list["list"].pk, "unread": 1}]}
    assert _unread(api, instructor)["total"] == 0, "one's own message is never new"

    body = api(librarian).get(f"/api/v1/citations/{book.pk}/messages").json()
    assert body["thread_id"] == thread_id
    assert [(m["body"], m["unread"]) for m in body["messages"]] == [("Could you buy a second copy?", True)]
    r = api(librarian).post(f"/api/v1/threads/{thread_id}/read")
    assert r.status_code == 200 and r.json() == {"thread_id": thread_id, "unread": 0, "total_unread": 0}
    assert _unread(api, librarian)["total"] == 0

    r = api(librarian).post(f"/api/v1/citations/{book.pk}/messages", {"body": "Ordered: two more copies."})
    assert r.status_code == 201 and r.json()["from_library"] is True
    assert _unread(api, instructor)["total"] == 1
    assert _unread(api, librarian)["total"] == 0
    api(instructor).post(f"/api/v1/threads/{thread_id}/read")
    assert _unread(api, instructor)["total"] == 0


def test_list_level_thread_through_the_api(api, reading_list, instructor, librarian):
    lst = reading_list["list"]
    r = api(instructor).post(f"/api/v1/lists/{lst.pk}/messages", {"body": "Please check week 1 before Monday."})
    assert r.status_code == 201
    body = api(librarian).get(f"/api/v1/lists/{lst.pk}/messages").json()
    assert body["thread_id"] == r.json()["thread_id"] and len(body["messages"]) == 1
    assert Thread.objects.get().level == "list"


def test_read_state_is_per_person(api, reading_list, instructor, librarian, librarian2):
    r = api(instructor).post(f"/api/v1/citations/{reading_list['book'].pk}/messages", {"body": "Hello"})
    api(librarian).post(f"/api/v1/threads/{r.json()['thread_id']}/read")
    assert _unread(api, librarian)["total"] == 0
    assert _unread(api, librarian2)["total"] == 1


def test_counts_per_thread_and_per_list(api, reading_list, instructor, librarian):
    lst, book, article = reading_list["list"], reading_list["book"], reading_list["article"]
    api(instructor).post(f"/api/v1/citations/{book.pk}/messages", {"body": "one"})
    api(instructor).post(f"/api/v1/citations/{book.pk}/messages", {"body": "two"})
    api(instructor).post(f"/api/v1/citations/{article.pk}/messages", {"body": "three"})
    api(instructor).post(f"/api/v1/lists/{lst.pk}/messages", {"body": "four"})
    body = _unread(api, librarian)
    assert body["total"] == 4 and body["lists"] == [{"list_id": lst.pk, "unread": 4}]
    assert {(t["level"], t["citation_id"]): t["unread"] for t in body["threads"]} == {
        ("item", article.pk): 1, ("item", book.pk): 2, ("list", None): 1}


# --- DSC-2: alerts on the librarians' task list ----------------------------------------------------

def test_an_instructor_message_raises_an_alert_and_the_answer_clears_it(reading_list, instructor, librarian):
    lst, book = reading_list["list"], reading_list["book"]
    services.post_message(instructor, lst, "Is a digital copy possible?", citation=book)
    services.post_message(instructor, lst, "Or a chapter scan?", citation=book)
    task = LibrarianTask.objects.get(kind="discussion")
    assert (task.resource_list, task.citation, task.count, task.detail_text, task.resolved_at) == (lst, book, 2, "Or a chapter scan?", None)
    thread = Thread.objects.get()
    assert thread.awaiting_library is True
    services.post_message(librarian, lst, "We will scan chapter 1.", citation=book)
    task.refresh_from_db()
    thread.refresh_from_db()
    assert task.resolved_at is not None and task.resolved_by == librarian
    assert thread.awaiting_library is False
    assert Message.objects.filter(from_library=True).count() == 1


def test_the_task_list_row_shows_the_alert(client, reading_list, instructor, librarian):
    from syllabus.lists.services import assign_list

    assign_list(librarian, reading_list["list"], "librarian")
    services.post_message(instructor, reading_list["list"], "Question", citation=reading_list["book"])
    client.force_login(librarian)
    html = client.get("/lists/tasks/", {"tab": "mine"}).content.decode()
    assert "scope=\"col\">" in html and "Discussion</th>" in html
    cell = html[html.index('data-testid="task-discussion"'):]
    cell = cell[:cell.index("</td>")]
    assert 'aria-label="1 new message">1<' in cell and "1 awaiting an answer" in cell


# --- DSC-2: each new message is also a letter ---------------------------------------------------

def test_each_message_goes_out_as_a_letter_to_the_other_side(reading_list, instructor, librarian, librarian2):
    lst, book = reading_list["list"], reading_list["book"]
    msg = services.post_message(instructor, lst, "Second copy please", citation=book)
    rows = OutboxMessage.objects.filter(letter="discussion_to_library")
    assert sorted((r.recipient.username, r.channel) for r in rows) == [
        ("librarian", "email"), ("librarian", "inapp"), ("librarian2", "email"), ("librarian2", "inapp")]
    email = rows.get(recipient=librarian, channel="email")
    assert email.idempotency_key == f"dsc:{msg.pk}:{librarian.pk}:email"
    assert email.subject == "Irene Instructor wrote about “The Making of the English Working Class” in HIST101 readings"
    assert "Second copy please" in email.body and f"/lists/{lst.pk}/library/?discussion=item-{book.pk}#litem-{book.pk}" in email.body

    from syllabus.lists.services import assign_list

    assign_list(librarian, lst, "librarian")
    services.post_message(instructor, lst, "Any news?", citation=book)
    assert OutboxMessage.objects.filter(letter="discussion_to_library").count() == 6, "now only the assignee is told"

    services.post_message(librarian, lst, "Ordered.", citation=book)
    answer = OutboxMessage.objects.get(letter="discussion_to_instructor", channel="email")
    assert answer.recipient == instructor and "Ordered." in answer.body
    deliver_due()
    n = Notification.objects.get(user=instructor)
    assert n.subject.startswith("The library answered about") and n.link == f"/lists/{lst.pk}/?discussion=item-{book.pk}#item-{book.pk}"


def test_a_disabled_discussion_letter_is_suppressed_but_the_message_is_posted(reading_list, instructor, make_user, inst_a):
    from syllabus.notify.services import save_letter
    from syllabus.org.roles import Role

    admin = make_user("letters", roles=[Role.LETTER_ADMINISTRATOR])
    save_letter(admin, inst_a, "discussion_to_library", enabled=False)
    services.post_message(instructor, reading_list["list"], "Hi")
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"suppressed"}
    assert Message.objects.count() == 1


# --- DSC-1: configuration ---------------------------------------------------------------------

@pytest.mark.parametrize("setting, list_ok, item_ok", [
    ("both", True, True), ("list", True, False), ("item", False, True), ("off", False, False)])
def test_library_discussion_setting_switches_the_levels(api, reading_list, instructor, discussion_setting, setting, list_ok, item_ok):
    discussion_setting(setting)
    lst, book = reading_list["list"], reading_list["book"]
    r = api(instructor).post(f"/api/v1/lists/{lst.pk}/messages", {"body": "list-level"})
    assert r.status_code == (201 if list_ok else 400)
    r2 = api(instructor).post(f"/api/v1/citations/{book.pk}/messages", {"body": "item-level"})
    assert r2.status_code == (201 if item_ok else 400)
    if not item_ok:
        assert r2.json()["rule"] == "DSC-1" and "item level is switched off" in r2.json()["detail"]
        assert api(instructor).get(f"/api/v1/citations/{book.pk}/messages").status_code == 400
    assert Message.objects.count() == int(list_ok) + int(item_ok)


def test_switching_a_level_off_hides_its_counts(api, reading_list, instructor, librarian, discussion_setting):
    api(instructor).post(f"/api/v1/citations/{reading_list['book'].pk}/messages", {"body": "x"})
    assert _unread(api, librarian)["total"] == 1
    discussion_setting("list")
    assert _unread(api, librarian) == {"total": 0, "threads": [], "lists": []}


# --- who takes part -----------------------------------------------------------------------------

def test_who_may_read_and_write(api, reading_list, student, other_student, make_user, inst_b):
    lst, book = reading_list["list"], reading_list["book"]
    for path in (f"/api/v1/lists/{lst.pk}/messages", f"/api/v1/citations/{book.pk}/messages"):
        assert api().get(path).status_code == 401
        assert api().post(path, {"body": "x"}).status_code == 401
        r = api(student).get(path)
        assert r.status_code == 403 and r.json()["rule"] == "DSC-2", "an enrolled student sees the list, not the discussion"
        assert api(student).post(path, {"body": "x"}).status_code == 403
        assert api(other_student).get(path).status_code == 404
        outsider = make_user(f"outsider{len(path)}", institution=inst_b)
        assert api(outsider).post(path, {"body": "x"}).status_code == 404
    assert Message.objects.count() == 0


def test_threads_of_someone_elses_list_are_not_readable(api, reading_list, instructor, other_student):
    r = api(instructor).post(f"/api/v1/lists/{reading_list['list'].pk}/messages", {"body": "x"})
    tid = r.json()["thread_id"]
    assert api(other_student).post(f"/api/v1/threads/{tid}/read").status_code == 404
    assert api(other_student).post("/api/v1/threads/999999/read").status_code == 404
    assert not ReadState.objects.exclude(user=instructor).exists()


def test_a_librarian_of_another_institution_sees_nothing(api, reading_list, instructor, make_user, inst_b):
    from syllabus.org.roles import Role

    api(instructor).post(f"/api/v1/lists/{reading_list['list'].pk}/messages", {"body": "x"})
    other = make_user("lib-b", institution=inst_b, roles=[Role.COURSE_RESERVES_OPERATOR])
    assert _unread(api, other)["total"] == 0
    assert api(other).get(f"/api/v1/lists/{reading_list['list'].pk}/messages").status_code == 404


@pytest.mark.parametrize("body, detail", [("   ", "a message needs some text"), ("x" * 5001, "a message has at most 5000 characters")])
def test_an_empty_or_huge_message_is_refused(api, reading_list, instructor, body, detail):
    r = api(instructor).post(f"/api/v1/lists/{reading_list['list'].pk}/messages", {"body": body})
    assert r.status_code == 400 and problem(r) == {"rule": "DSC-2", "detail": detail, "field": "body"}
    assert not Thread.objects.exists() and not LibrarianTask.objects.filter(kind="discussion").exists()


def test_a_failure_while_posting_leaves_nothing_half_written(reading_list, instructor, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("outbox down")

    monkeypatch.setattr(services, "queue_letter", broken)
    with pytest.raises(RuntimeError):
        services.post_message(instructor, reading_list["list"], "Hello", citation=reading_list["book"])
    assert not Message.objects.exists() and not LibrarianTask.objects.filter(kind="discussion").exists()
    assert not Thread.objects.filter(awaiting_library=True).exists()


def test_reading_a_thread_also_clears_its_notifications_in_the_bell(reading_list, instructor, librarian):
    lst, book, article = reading_list["list"], reading_list["book"], reading_list["article"]
    services.post_message(instructor, lst, "About the book", citation=book)
    services.post_message(instructor, lst, "About the article", citation=article)
    deliver_due()
    assert Notification.objects.filter(user=librarian, read_at__isnull=True).count() == 2
    services.mark_read(librarian, Thread.objects.get(citation=book))
    assert list(Notification.objects.filter(user=librarian, read_at__isnull=True).values_list("body", flat=True)) == [
        Notification.objects.get(user=librarian, body__contains="About the article").body]
