"""LST-4..6: the two state machines, default status of items needing no library action, tasks
raised by instructor changes to a sent list, and ordering (LST-1)."""
import pytest

from syllabus.core.audit import trail
from syllabus.core.errors import PermissionDenied, RuleViolation
from syllabus.lists import services
from syllabus.lists.models import LibrarianTask
from syllabus.lists.workflow import ITEM_WORKFLOW, LIST_WORKFLOW, ItemStatus, ListStatus
from syllabus.org import config

from .conftest import BOOK, WEBSITE


def test_acceptance_4_a_website_gets_the_configured_default_status_without_librarian_action(api, instructor, built_list):
    assert built_list["site"].status == ItemStatus.COMPLETE  # the default configuration: complete
    r = api(instructor).post(f"/api/v1/lists/{built_list['list'].pk}/citations",
                             {"type": "website", "metadata": {"title": "Spartacus Educational", "URL": "https://spartacus-educational.com/"}})
    assert r.status_code == 201 and r.json()["status"] == "complete"
    assert not LibrarianTask.objects.exists()


def test_acceptance_4_the_default_status_comes_from_the_configuration(instructor, built_list, inst_a):
    config.set_value("citation_default_status_no_action", "ready_for_processing", institution=inst_a)
    site = services.add_citation(instructor, built_list["list"], None, "website", WEBSITE)
    assert site.status == ItemStatus.READY_FOR_PROCESSING
    config.set_value("citation_types_no_action", ["website", "video_audio"], institution=inst_a)
    config.set_value("citation_default_status_no_action", "complete", institution=inst_a)
    video = services.add_citation(instructor, built_list["list"], None, "video_audio", {"title": "Documentary"})
    assert video.status == ItemStatus.COMPLETE


def test_an_open_access_item_needs_no_library_action(instructor, built_list, inst_a):
    oa = services.add_citation(instructor, built_list["list"], None, "article", {"title": "Open paper"}, open_access=True)
    assert oa.status == ItemStatus.COMPLETE
    config.set_value("citation_open_access_no_action", False, institution=inst_a)
    oa2 = services.add_citation(instructor, built_list["list"], None, "article", {"title": "Open paper 2"}, open_access=True)
    assert oa2.status == ItemStatus.BEING_PREPARED


def test_a_website_stays_complete_when_the_list_is_sent(instructor, built_list):
    services.send_list(instructor, built_list["list"])
    built_list["site"].refresh_from_db()
    built_list["book"].refresh_from_db()
    assert built_list["site"].status == ItemStatus.COMPLETE
    assert built_list["book"].status == ItemStatus.READY_FOR_PROCESSING


def test_the_transition_tables_are_the_documented_ones():
    L, I = ListStatus, ItemStatus  # noqa: E741
    assert {(t.source, t.target) for t in LIST_WORKFLOW.transitions} == {
        (L.BEING_PREPARED, L.SENT_TO_LIBRARY), (L.SENT_TO_LIBRARY, L.IN_PROCESS),
        (L.SENT_TO_LIBRARY, L.COMPLETE), (L.IN_PROCESS, L.COMPLETE), (L.COMPLETE, L.IN_PROCESS)}
    assert ITEM_WORKFLOW.between(I.BEING_PREPARED, I.READY_FOR_PROCESSING).permission == "instructor"
    assert ITEM_WORKFLOW.between(I.BEING_PREPARED, I.COMPLETE) is None
    assert all(t.permission == "librarian" for t in ITEM_WORKFLOW.transitions if t.source != I.BEING_PREPARED)


@pytest.mark.parametrize("start, target", [
    (ItemStatus.BEING_PREPARED, ItemStatus.IN_PROCESS), (ItemStatus.BEING_PREPARED, ItemStatus.DECLINED),
    (ItemStatus.COMPLETE, ItemStatus.DECLINED), (ItemStatus.DECLINED, ItemStatus.COMPLETE),
])
def test_every_move_outside_the_item_table_is_refused(librarian, built_list, start, target):
    book = built_list["book"]
    book.status = start
    book.save()
    with pytest.raises(RuleViolation) as exc:
        services.set_item_status(librarian, book, target)
    assert exc.value.rule == "LST-4" and exc.value.status == 409


def test_single_items_are_sent_before_the_list_and_raise_a_task(instructor, librarian, built_list):
    book = services.send_citation(instructor, built_list["book"])
    assert book.status == ItemStatus.READY_FOR_PROCESSING and book.sent_at is not None
    task = LibrarianTask.objects.get()
    assert task.kind == LibrarianTask.ITEM_SENT and task.citation_id == book.pk
    # the list itself is still being prepared; sending it now sends the rest
    lst = services.send_list(instructor, built_list["list"])
    assert lst.status == ListStatus.SENT_TO_LIBRARY
    built_list["article"].refresh_from_db()
    assert built_list["article"].status == ItemStatus.READY_FOR_PROCESSING
    assert sorted(LibrarianTask.objects.values_list("kind", flat=True)) == ["item_sent", "list_sent"]


def test_an_item_added_after_sending_goes_to_the_library_at_once(instructor, built_list):
    services.send_list(instructor, built_list["list"])
    late = services.add_citation(instructor, built_list["list"], None, "book", BOOK | {"title": "Late addition"})
    assert late.status == ItemStatus.READY_FOR_PROCESSING
    assert LibrarianTask.objects.filter(kind="changed", citation=late).exists()


def test_every_instructor_change_to_a_sent_list_is_a_task_and_repeated_changes_gather(instructor, librarian, built_list):
    lst, book = built_list["list"], built_list["book"]
    services.update_citation(instructor, book, public_note="before sending")
    assert not LibrarianTask.objects.exists()  # not sent yet: nothing for the library
    services.send_list(instructor, lst)
    services.update_citation(instructor, book, public_note="one")
    services.update_citation(instructor, book, public_note="two")
    services.move_citation(instructor, built_list["article"], position=0)
    services.add_section(instructor, lst, title="Week 3")
    services.update_list(instructor, lst, title="HIST101 core readings")
    changed = LibrarianTask.objects.filter(kind="changed", resolved_at__isnull=True)
    per_item = changed.get(citation=book)
    assert per_item.count == 2
    assert changed.filter(citation=built_list["article"]).exists()
    assert changed.filter(citation__isnull=True).count() == 1  # list-level changes gather in one task
    assert changed.get(citation__isnull=True).count == 2
    # a librarian's own changes raise nothing
    n = LibrarianTask.objects.count()
    services.update_citation(librarian, book, library_note="checked the shelf")
    assert LibrarianTask.objects.count() == n


def test_the_librarian_moving_an_item_resolves_its_tasks_and_starts_the_list(instructor, librarian, built_list):
    lst = services.send_list(instructor, built_list["list"])
    services.update_citation(instructor, built_list["book"], public_note="changed")
    services.set_item_status(librarian, built_list["book"], ItemStatus.IN_PROCESS)
    lst.refresh_from_db()
    assert lst.status == ListStatus.IN_PROCESS
    assert not LibrarianTask.objects.filter(citation=built_list["book"], resolved_at__isnull=True).exists()
    assert not LibrarianTask.objects.filter(kind="list_sent", resolved_at__isnull=True).exists()


def test_completing_the_list_tells_the_owners(instructor, librarian, built_list):
    from syllabus.notify.models import OutboxMessage

    lst = services.send_list(instructor, built_list["list"])
    services.set_list_status(librarian, lst, ListStatus.COMPLETE)
    msg = OutboxMessage.objects.get(letter="list_complete")
    assert msg.recipient == instructor and "HIST101 readings" in msg.subject
    # reopening and completing again is a new letter, not a duplicate of the first
    services.set_list_status(librarian, lst, ListStatus.IN_PROCESS)
    assert OutboxMessage.objects.filter(letter="list_complete").count() == 1


def test_the_completion_letter_says_what_is_still_waiting_and_what_was_declined(instructor, librarian, built_list):
    """Session 20 (a librarian's tour): a list completed with items still to do told the instructor
    "every item is now available to your students"."""
    from syllabus.notify.models import OutboxMessage

    lst = services.send_list(instructor, built_list["list"])
    services.set_item_status(librarian, built_list["article"], ItemStatus.DECLINED)
    services.set_list_status(librarian, lst, ListStatus.COMPLETE)
    body = OutboxMessage.objects.get(letter="list_complete").body
    assert "1 of its items is still waiting for the library" in body, body
    assert "The library declined 1 item: the list says why." in body and "Every item" not in body

    services.set_list_status(librarian, lst, ListStatus.IN_PROCESS)
    services.set_item_status(librarian, built_list["book"], ItemStatus.COMPLETE)
    services.set_list_status(librarian, lst, ListStatus.COMPLETE)
    body = OutboxMessage.objects.filter(letter="list_complete").latest("pk").body
    assert "Every item is now available to your students." in body and "waiting" not in body


def test_status_changes_are_in_the_audit_trail(instructor, librarian, built_list):
    lst = services.send_list(instructor, built_list["list"])
    services.set_item_status(librarian, built_list["book"], ItemStatus.COMPLETE)
    entry = trail(built_list["book"]).first()
    assert entry.actor == librarian and entry.changes == {"status": ["ready_for_processing", "complete"]}
    actions = [e.action for e in trail(lst)]
    assert "sent" in actions


def test_items_and_sections_are_reordered_and_moved(instructor, built_list):
    lst = built_list["list"]
    week1, week2 = built_list["sections"]
    services.move_citation(instructor, built_list["article"], position=0)
    assert list(week1.citations.values_list("title", flat=True)) == [built_list["article"].title, built_list["book"].title]
    services.move_citation(instructor, built_list["book"], section=week2, position=0)
    assert list(week1.citations.values_list("position", flat=True)) == [0]
    assert list(week2.citations.order_by("position").values_list("title", flat=True)) == [built_list["book"].title, built_list["site"].title]
    services.move_section(instructor, week2, 0)
    assert list(lst.sections.values_list("title", flat=True)) == ["Week 2", "Week 1"]
    with pytest.raises(RuleViolation):
        other = services.create_list(instructor, title="Other")
        services.move_citation(instructor, built_list["book"], section=services.add_section(instructor, other, title="S"))


def test_sending_is_the_instructors_even_for_a_librarian_who_is_not_an_owner(librarian, built_list):
    with pytest.raises(PermissionDenied) as exc:
        services.send_list(librarian, built_list["list"])
    assert exc.value.rule == "LST-4"


def test_a_citation_from_a_catalog_record_copies_its_metadata(api, instructor, built_list, inst_a, library_a):
    from syllabus.catalog.models import EResource, Record

    record = Record.objects.create(institution=inst_a, source_id="991001", type="article-journal", title="Open Science",
                                   csl={"type": "article-journal", "title": "Open Science",
                                        "author": [{"family": "Nosek", "given": "Brian"}], "issued": {"date-parts": [[2015]]},
                                        "DOI": "10.1126/science.aab2374"})
    EResource.objects.create(record=record, institution=inst_a, url="https://example.org/oa", open_access=True)
    r = api(instructor).post(f"/api/v1/lists/{built_list['list'].pk}/citations", {"record_id": record.pk})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["record_id"] == record.pk and body["type"] == "article" and body["metadata"]["title"] == "Open Science"
    assert body["open_access"] is True and body["status"] == "complete"  # open access: no library action (LST-5)
    r = api(instructor).post(f"/api/v1/lists/{built_list['list'].pk}/citations", {"record_id": 999999})
    assert r.status_code == 404 and r.json()["rule"] == "LST-2"  # like another consortium's record (DSV-2)


# --- LST-5: the no-action default status follows the item's type ---------------------------------


def test_a_website_made_a_book_goes_back_to_the_library_side_and_can_be_sent(api, instructor, built_list):
    site = built_list["site"]
    assert site.status == ItemStatus.COMPLETE  # the no-action default, never sent
    r = api(instructor).patch(f"/api/v1/citations/{site.pk}", {"type": "book", "metadata": {"publisher": "Penguin"}})
    assert r.status_code == 200 and r.json()["status"] == "being_prepared"
    r = api(instructor).post(f"/api/v1/citations/{site.pk}/send")
    assert r.status_code == 200 and r.json()["status"] == "ready_for_processing"
    assert LibrarianTask.objects.filter(kind=LibrarianTask.ITEM_SENT, citation=site).exists()


def test_a_website_made_a_book_on_a_sent_list_is_ready_for_processing_with_a_task(instructor, built_list):
    services.send_list(instructor, built_list["list"])
    site = built_list["site"]
    site.refresh_from_db()
    assert site.status == ItemStatus.COMPLETE
    services.update_citation(instructor, site, type="book")
    site.refresh_from_db()
    assert site.status == ItemStatus.READY_FOR_PROCESSING and site.sent_at is not None
    assert LibrarianTask.objects.filter(citation=site, resolved_at__isnull=True).exists()


def test_a_book_being_prepared_made_a_website_gets_the_no_action_default(instructor, built_list):
    book = built_list["book"]
    services.update_citation(instructor, book, type="website", metadata=BOOK | {"URL": "https://example.org/thompson"})
    book.refresh_from_db()
    assert book.status == ItemStatus.COMPLETE
    # and back: it was never sent, so it returns to Being prepared
    services.update_citation(instructor, book, type="book")
    book.refresh_from_db()
    assert book.status == ItemStatus.BEING_PREPARED


def test_an_item_the_library_completed_keeps_its_status_when_its_type_changes(instructor, librarian, built_list):
    book = services.send_citation(instructor, built_list["book"])
    services.set_item_status(librarian, book, ItemStatus.COMPLETE)
    services.update_citation(instructor, book, type="website", metadata=BOOK | {"URL": "https://example.org/thompson"})
    services.update_citation(instructor, book, type="book")
    book.refresh_from_db()
    assert book.status == ItemStatus.COMPLETE


# --- LST-6: changes to what the library already has, on a list still being prepared --------------


def test_changing_an_item_sent_on_its_own_raises_a_task(instructor, built_list):
    lst, book, article = built_list["list"], built_list["book"], built_list["article"]
    services.send_citation(instructor, book)
    assert lst.status == ListStatus.BEING_PREPARED
    services.update_citation(instructor, book, public_note="read chapter 2 instead")
    task = LibrarianTask.objects.get(kind=LibrarianTask.CHANGED, citation=book)
    assert task.detail_text == "Item changed (Note for students): The Making of the English Working Class"
    assert (task.detail_code, task.detail_params["fields"]) == ("item_changed", ["public_note"])
    # an item the library does not have yet still raises nothing
    services.update_citation(instructor, article, public_note="skim it")
    assert not LibrarianTask.objects.filter(kind=LibrarianTask.CHANGED, citation=article).exists()


@pytest.mark.parametrize("status", [ItemStatus.READY_FOR_PROCESSING, ItemStatus.IN_PROCESS])
def test_every_change_to_an_item_in_the_librarys_hands_raises_a_task(instructor, librarian, built_list, status):
    lst, book = built_list["list"], built_list["book"]
    services.send_citation(instructor, book)
    if status == ItemStatus.IN_PROCESS:
        services.set_item_status(librarian, book, ItemStatus.IN_PROCESS)
    lst.refresh_from_db()
    assert lst.status == ListStatus.BEING_PREPARED
    LibrarianTask.objects.update(resolved_at=book.sent_at)
    services.move_citation(instructor, book, position=1)
    services.update_citation(instructor, book, metadata=BOOK | {"publisher": "Penguin"})
    task = LibrarianTask.objects.get(kind=LibrarianTask.CHANGED, citation=book, resolved_at__isnull=True)
    assert task.count == 2
    services.delete_citation(instructor, book)
    assert LibrarianTask.objects.filter(kind=LibrarianTask.CHANGED, citation__isnull=True, resolved_at__isnull=True,
                                        detail_code="item_deleted").exists()
