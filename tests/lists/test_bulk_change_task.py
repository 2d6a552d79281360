"""LST-6 for one action on many items: importing 115 Zotero entries into a list already sent to the
library used to put 112 "Changed since sent" tasks on the librarian's task list, one per item.

The seeds (leganto-alma-primo.txt): "every change that the instructor makes in Leganto shows up
immediately in Alma, and triggers a new task on the librarian's task list" — one change, one task;
they say nothing of grouping. An import is one change of the instructor: it is one task naming the
items it added, while each item keeps its own handling (Ready for processing, the item filter the
librarian works from, its own audit trail; a later change to one item is a task of its own)."""
from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from syllabus.lists import catalog_link, services
from syllabus.lists.models import Citation, LibrarianTask
from syllabus.lists.workflow import ItemStatus

pytestmark = pytest.mark.django_db


def _ris(n: int, bad: int = 0) -> str:
    good = "".join(f"TY  - BOOK\nTI  - Zotero entry {i:03d}\nAU  - Author, A.\nER  - \n\n" for i in range(n - bad))
    return good + "".join(f"TY  - BOOK\nTI  - Bad ISBN {i}\nSN  - 123\nER  - \n\n" for i in range(bad))


def _open():
    return LibrarianTask.objects.filter(resolved_at__isnull=True)


def test_an_import_into_a_sent_list_is_one_task_naming_its_items(instructor, built_list):
    lst = built_list["list"]
    services.send_list(instructor, lst)
    before = set(_open().values_list("pk", flat=True))

    report = catalog_link.import_into_list(instructor, lst.pk, _ris(115, bad=3), filename="zotero.ris")

    assert (report.created, len(report.rejected)) == (112, 3)
    new = _open().exclude(pk__in=before)
    assert new.count() == 1                    # was 112 "Changed since sent" tasks
    task = new.get()
    assert task.kind == LibrarianTask.ITEMS_ADDED and task.citation_id is None and task.count == 112
    assert task.kind_label == "Items added since sent" and task.created_by == instructor
    assert task.detail_text.startswith("112 items added since the list was sent (imported from RIS (zotero.ris)): "
                                  "Zotero entry 000; Zotero entry 001;")
    assert task.detail_text.endswith(" more") and len(task.detail_text) <= 2100
    # per-item handling stays: every imported item waits for the library on its own
    imported = Citation.objects.filter(resource_list=lst, title__startswith="Zotero entry")
    assert set(imported.values_list("status", flat=True)) == {ItemStatus.READY_FOR_PROCESSING}
    assert not imported.filter(sent_at__isnull=True).exists()
    # and a later change to one of them is a task of its own
    one = imported.order_by("pk").first()
    services.update_citation(instructor, one, public_note="read the introduction")
    assert _open().filter(kind=LibrarianTask.CHANGED, citation=one).count() == 1


def test_a_second_import_is_a_second_task_and_a_finished_one_is_not_reopened(instructor, librarian, built_list):
    lst = built_list["list"]
    services.send_list(instructor, lst)
    catalog_link.import_into_list(instructor, lst.pk, _ris(3), filename="week1.ris")
    first = _open().get(kind=LibrarianTask.ITEMS_ADDED)
    services.resolve_task(librarian, first)
    catalog_link.import_into_list(instructor, lst.pk, _ris(2), filename="week2.ris")
    second = _open().get(kind=LibrarianTask.ITEMS_ADDED)
    assert second.pk != first.pk and second.count == 2 and "(week2.ris)" in second.detail_text
    first.refresh_from_db()
    assert first.count == 3 and first.resolved_at is not None


def test_an_import_into_a_list_being_prepared_raises_no_task(instructor, built_list):
    catalog_link.import_into_list(instructor, built_list["list"].pk, _ris(5), filename="refs.ris")
    assert not LibrarianTask.objects.exists()


def test_a_single_item_added_after_sending_is_still_a_task_of_its_own(instructor, built_list):
    lst = built_list["list"]
    services.send_list(instructor, lst)
    late = services.add_citation(instructor, lst, None, "book", {"title": "Late addition"})
    assert _open().filter(kind=LibrarianTask.CHANGED, citation=late).count() == 1
    assert not _open().filter(kind=LibrarianTask.ITEMS_ADDED).exists()


def test_the_librarian_sees_one_task_for_the_import_with_a_way_to_its_items(client, instructor, librarian, built_list):
    lst = built_list["list"]
    services.send_list(instructor, lst)
    client.force_login(instructor)
    r = client.post(f"/catalog/lists/{lst.pk}/import/", {"file": SimpleUploadedFile("zotero.ris", _ris(40).encode())})
    assert r.status_code == 302
    client.force_login(librarian)
    page = client.get(f"/lists/{lst.pk}/library/").content.decode()
    assert page.count('data-kind="items_added"') == 1 and 'data-kind="changed"' not in page
    assert "40 items added since the list was sent" in page
    assert f'href="/lists/{lst.pk}/library/?item_status=ready_for_processing" data-testid="task-items"' in page


def test_a_background_import_into_a_sent_list_is_one_task_for_the_tick_not_one_per_item(client, instructor, built_list,
                                                                                       settings):
    """LST-6 with LST-9's background import (merge of session 18's two branches): a queued file
    imported by the timer gathers its items in one task, as an import within the request does."""
    from syllabus.core import clock
    from syllabus.core.tasks import sweeps

    lst = built_list["list"]
    services.send_list(instructor, lst)
    before = set(_open().values_list("pk", flat=True))
    settings.LIST_IMPORT_INLINE_BYTES = 500   # a file of a few entries goes to the background
    client.force_login(instructor)
    answer = client.post(f"/api/v1/lists/{lst.pk}/import",
                         {"file": SimpleUploadedFile("zotero.ris", _ris(40, bad=2).encode())})
    assert answer.status_code == 202, answer.content
    assert sweeps()["list_imports"](clock.now()) == 40

    new = _open().exclude(pk__in=before)
    assert new.count() == 1                    # not 38 tasks
    task = new.get()
    assert task.kind == LibrarianTask.ITEMS_ADDED and task.count == 38
    assert task.detail_text.startswith("38 items added since the list was sent (imported from RIS (zotero.ris)): ")
