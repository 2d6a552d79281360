"""LST-9 and LST-6, session 19: the background import of a large citation file (session 18) —

* bounded: at most ``LIST_IMPORT_MAX_ACTIVE_PER_LIST`` files waiting or importing into one list
  (409) and ``LIST_IMPORT_MAX_ACTIVE_PER_PERSON`` of one person's (429, Retry-After); nothing is
  stored for a refused file;
* cancellable while it waits or runs, by who sent it, a list owner or the library (page and API),
  audited on the list; the entries handled before stay;
* told: a letter through the outbox when it finishes or fails — added, skipped and why, a link to
  the list — once per import, whatever the timer retries;
* one librarian task for the whole import into a sent list, across the timer's slices, where each
  slice made its own; an entry refused after it changed something still takes its part back."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from syllabus.core import audit, clock
from syllabus.core.errors import RuleViolation
from syllabus.lists import catalog_link, services
from syllabus.lists.models import Citation, LibrarianTask, ListImport
from syllabus.notify.letters import letter_type
from syllabus.notify.models import OutboxMessage

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _ris(n: int, bad: int = 0, prefix: str = "Entry") -> str:
    good = "".join(f"TY  - BOOK\nTI  - {prefix} {i:03d}\nAU  - Author, A.\nER  - \n\n" for i in range(n - bad))
    return good + "".join(f"TY  - BOOK\nTI  - Bad ISBN {i}\nSN  - 123\nER  - \n\n" for i in range(bad))


@pytest.fixture
def background(settings):
    settings.LIST_IMPORT_INLINE_BYTES = 200  # a file of a few entries goes to the background
    settings.LIST_IMPORT_MAX_ACTIVE_PER_LIST = 2
    settings.LIST_IMPORT_MAX_ACTIVE_PER_PERSON = 3
    return settings


def _post(client, lst, text=None, name="refs.ris"):
    return client.post(f"/api/v1/lists/{lst.pk}/import", {"file": SimpleUploadedFile(name, (text or _ris(12, bad=1)).encode())})


def _sweep(**kw):
    return catalog_link.run_imports(clock.now(), 60, **kw)


def _letters(job, code=None):
    rows = OutboxMessage.objects.filter(idempotency_key__startswith=f"lists:import:{job.pk}:")
    return rows.filter(letter=code) if code else rows


# --- bounds ---------------------------------------------------------------------------------------

def test_a_list_takes_so_many_files_at_once_then_409_and_nothing_stored(client, instructor, course, background):
    lst = services.create_list(instructor, title="Readings", courses=[course])
    client.force_login(instructor)
    assert _post(client, lst).status_code == 202 and _post(client, lst).status_code == 202
    refused = _post(client, lst)
    assert refused.status_code == 409, refused.content
    body = refused.json()
    assert body["rule"] == "LST-9" and "this list already has 2 files waiting or being imported" in body["detail"]
    assert ListImport.objects.filter(resource_list=lst).count() == 2  # nothing stored
    _sweep()  # both done: room again
    assert _post(client, lst).status_code == 202
    # the import form says it in place, with the same status
    r = client.post(f"/catalog/lists/{lst.pk}/import/", {"file": SimpleUploadedFile("more.ris", _ris(12).encode())}, **HTMX)
    assert r.status_code == 202
    r = client.post(f"/catalog/lists/{lst.pk}/import/", {"file": SimpleUploadedFile("more.ris", _ris(12).encode())}, **HTMX)
    assert r.status_code == 409 and "LST-9:</strong> this list already has 2 files" in r.content.decode()


def test_a_person_has_so_many_files_at_once_then_429_with_retry_after(client, instructor, course, background):
    background.LIST_IMPORT_MAX_ACTIVE_PER_PERSON = 2
    lists = [services.create_list(instructor, title=f"Readings {n}", courses=[course]) for n in range(3)]
    client.force_login(instructor)
    assert [_post(client, lst).status_code for lst in lists[:2]] == [202, 202]
    refused = _post(client, lists[2])
    assert refused.status_code == 429 and refused.json()["rule"] == "LST-9"
    assert "you already have 2 files waiting or being imported" in refused.json()["detail"]
    assert int(refused["Retry-After"]) >= 1
    assert not ListImport.objects.filter(resource_list=lists[2]).exists()
    # a small file is imported within the request: never counted, never refused for this
    background.LIST_IMPORT_INLINE_BYTES = 10**6
    small = client.post(f"/api/v1/lists/{lists[2].pk}/import", {"file": SimpleUploadedFile("one.ris", _ris(1).encode())})
    assert small.status_code == 200


def test_the_bounds_are_at_least_one(client, instructor, course, background):
    background.LIST_IMPORT_MAX_ACTIVE_PER_LIST = 0  # a setting out of its bounds counts as its bound
    lst = services.create_list(instructor, title="Readings", courses=[course])
    client.force_login(instructor)
    assert [_post(client, lst).status_code for _ in range(2)] == [202, 409]


# --- cancel ---------------------------------------------------------------------------------------

def test_the_sender_cancels_a_waiting_import_through_the_api_audited(client, instructor, course, background):
    lst = services.create_list(instructor, title="Readings", courses=[course])
    client.force_login(instructor)
    job_id = _post(client, lst).json()["import_id"]
    r = client.post(f"/api/v1/lists/{lst.pk}/imports/{job_id}/cancel")
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "cancelled"
    assert _sweep() == 0 and not Citation.objects.filter(resource_list=lst).exists()
    job = ListImport.objects.get(pk=job_id)
    assert job.status == ListImport.CANCELLED and job.text == "" and job.finished_at is not None
    entry = audit.trail(lst).filter(action="import cancelled").get()
    assert entry.actor == instructor and f"import {job_id} of refs.ris" in entry.note
    assert not _letters(job).exists()  # who cancelled knows
    again = client.post(f"/api/v1/lists/{lst.pk}/imports/{job_id}/cancel")
    assert again.status_code == 409 and again.json()["rule"] == "LST-9" and "cancelled already" in again.json()["detail"]
    assert client.get(f"/api/v1/lists/{lst.pk}/imports/{job_id}").json()["status"] == "cancelled"


def test_the_library_cancels_a_running_import_from_the_page_and_what_was_imported_stays(client, instructor, librarian,
                                                                                       course, background):
    lst = services.create_list(instructor, title="Readings", courses=[course])
    client.force_login(instructor)
    job_id = _post(client, lst).json()["import_id"]
    assert _sweep(max_entries=5) == 5
    page = client.get(f"/lists/{lst.pk}/edit/").content.decode()
    assert f'action="/catalog/lists/{lst.pk}/imports/{job_id}/cancel/"' in page and 'data-testid="import-cancel"' in page
    client.force_login(librarian)
    r = client.post(f"/catalog/lists/{lst.pk}/imports/{job_id}/cancel/", **HTMX)
    assert r.status_code == 200 and 'data-status="cancelled"' in r.content.decode()
    assert "5 entries were handled before: they stay on the list." in r.content.decode()
    assert _sweep() == 0
    assert Citation.objects.filter(resource_list=lst).count() == 5
    assert ListImport.objects.get(pk=job_id).done == 5
    assert audit.trail(lst).filter(action="import cancelled", actor=librarian).exists()


def test_who_may_not_cancel(client, instructor, student, course, make_user, background):
    colleague = make_user("colleague", group="faculty")
    lst = services.create_list(instructor, title="Readings", courses=[course])
    lst.collaborators.add(colleague)
    services.publish_list(instructor, lst)
    client.force_login(instructor)
    job_id = _post(client, lst).json()["import_id"]
    client.force_login(colleague)  # a collaborator edits the list, but cancels only their own files
    r = client.post(f"/api/v1/lists/{lst.pk}/imports/{job_id}/cancel")
    assert r.status_code == 403 and r.json()["rule"] == "LST-9"
    assert client.post(f"/catalog/lists/{lst.pk}/imports/{job_id}/cancel/").status_code == 403
    mine = _post(client, lst).json()["import_id"]
    assert client.post(f"/api/v1/lists/{lst.pk}/imports/{mine}/cancel").status_code == 200
    client.force_login(student)
    assert client.post(f"/api/v1/lists/{lst.pk}/imports/{job_id}/cancel").status_code in (403, 404)
    assert ListImport.objects.get(pk=job_id).status == ListImport.QUEUED
    other = services.create_list(instructor, title="Other", courses=[course])
    client.force_login(instructor)  # another list's import: not found through this one
    assert client.post(f"/api/v1/lists/{other.pk}/imports/{job_id}/cancel").status_code == 404


def test_a_cancel_while_an_entry_is_added_rolls_that_entry_back(instructor, course, background, monkeypatch):
    lst = services.create_list(instructor, title="Readings", courses=[course])
    job = catalog_link.queue_import(instructor, lst.pk, _ris(12), filename="refs.ris")
    original = catalog_link.list_services.add_citation

    def add_then_cancelled(actor, lst_, section, **kw):
        citation = original(actor, lst_, section, **kw)
        if kw.get("metadata", {}).get("title") == "Entry 003":  # the sender cancels meanwhile
            ListImport.objects.filter(pk=job.pk).update(status=ListImport.CANCELLED)
        return citation

    monkeypatch.setattr(catalog_link.list_services, "add_citation", add_then_cancelled)
    assert _sweep() == 3
    assert sorted(Citation.objects.filter(resource_list=lst).values_list("title", flat=True)) == \
        ["Entry 000", "Entry 001", "Entry 002"]
    job.refresh_from_db()
    assert job.done == 3 and job.entries.count() == 3


# --- the letter -----------------------------------------------------------------------------------

def test_the_sender_gets_one_letter_when_it_is_done_with_counts_reasons_and_the_link(client, instructor, course,
                                                                                      background):
    background.SITE_URL = "https://syllabus.example.edu"
    lst = services.create_list(instructor, title="HIST101 readings", courses=[course])
    client.force_login(instructor)
    job_id = _post(client, lst, _ris(12, bad=2), name="zotero.ris").json()["import_id"]
    _sweep(max_entries=4)
    job = ListImport.objects.get(pk=job_id)
    assert not _letters(job).exists()  # not before it is done
    _sweep()
    mail = _letters(job, "list_import_done").get(channel="email")
    assert mail.recipient == instructor
    assert mail.subject == "zotero.ris is imported into HIST101 readings"
    assert "10 entries added, 2 skipped:" in mail.body and "- LST-2 (2): " in mail.body
    site = "https://syllabus.example.edu"  # both links absolute in the e-mail
    assert f"{site}/lists/{lst.pk}/edit/" in mail.body and f"{site}/catalog/lists/{lst.pk}/imports/{job_id}/" in mail.body
    assert _letters(job).filter(channel="inapp").count() == 1
    before = _letters(job).count()
    # the timer goes over it again (a runner that finished it but died before releasing it...)
    ListImport.objects.filter(pk=job_id).update(status=ListImport.RUNNING, lease_until=None)
    _sweep()
    assert _letters(job).count() == before  # once per import
    job.refresh_from_db()
    assert job.notified_at is not None


def test_the_sender_gets_a_letter_when_it_fails(client, instructor, course, make_user, background):
    other = make_user("colleague", group="faculty")
    lst = services.create_list(instructor, title="Readings", courses=[course])
    lst.collaborators.add(other)
    client.force_login(other)
    job_id = _post(client, lst).json()["import_id"]
    lst.collaborators.remove(other)
    _sweep()
    job = ListImport.objects.get(pk=job_id)
    assert job.status == ListImport.FAILED
    mail = _letters(job, "list_import_failed").get(channel="email")
    assert mail.recipient == other and mail.subject == "The import of refs.ris into Readings failed"
    assert f"{job.rule}: {job.detail}" in mail.body and "Nothing was imported." in mail.body
    catalog_link._fail(job, "LST-9", "again")  # failing it again queues nothing more
    assert _letters(job).count() == 2  # e-mail and in-app, once


def test_the_letters_are_declared_for_the_letter_administrator_with_french_descriptions():
    for code in ("list_import_done", "list_import_failed"):
        letter = letter_type(code)
        assert "owner" in letter.variables and "link" in letter.variables and letter.subject and letter.description
        with translation.override("en"):
            english = (str(letter.name), str(letter.description))
        with translation.override("fr"):
            assert str(letter.name) != english[0] and str(letter.description) != english[1]  # translated


# --- one librarian task for the whole import (LST-6) ------------------------------------------------

def _open():
    return LibrarianTask.objects.filter(resolved_at__isnull=True)


def test_a_long_import_into_a_sent_list_is_one_task_across_the_timers_slices(instructor, built_list, background):
    lst = built_list["list"]
    services.send_list(instructor, lst)
    before = set(_open().values_list("pk", flat=True))
    job = catalog_link.queue_import(instructor, lst.pk, _ris(40, bad=2), filename="zotero.ris")
    for _slice in range(5):  # five ticks of the timer
        _sweep(max_entries=9)
    job.refresh_from_db()
    assert job.status == ListImport.DONE
    new = _open().exclude(pk__in=before)
    assert new.count() == 1  # was one per slice
    task = new.get()
    assert task.kind == LibrarianTask.ITEMS_ADDED and task.count == 38
    assert task.detail_text.startswith("38 items added since the list was sent (imported from RIS (zotero.ris)): Entry 000; ")
    assert "Entry 037" in task.detail_text and "Bad ISBN" not in task.detail_text
    assert job.batch["task_id"] == task.pk and job.batch["n_added"] == 38


def test_a_task_resolved_between_slices_is_not_reopened(instructor, librarian, built_list, background):
    lst = built_list["list"]
    services.send_list(instructor, lst)
    job = catalog_link.queue_import(instructor, lst.pk, _ris(20), filename="zotero.ris")
    _sweep(max_entries=8)
    first = _open().get(kind=LibrarianTask.ITEMS_ADDED)
    services.resolve_task(librarian, first)
    _sweep()
    second = _open().get(kind=LibrarianTask.ITEMS_ADDED)
    first.refresh_from_db()
    assert second.pk != first.pk and (first.count, second.count) == (8, 12)
    assert second.detail_text.startswith("12 items added since the list was sent (imported from RIS (zotero.ris)): Entry 008;")
    job.refresh_from_db()
    assert job.status == ListImport.DONE


def test_an_entry_refused_after_it_changed_something_takes_its_part_back_across_slices(instructor, built_list,
                                                                                       background, monkeypatch):
    lst = built_list["list"]
    services.send_list(instructor, lst)
    job = catalog_link.queue_import(instructor, lst.pk, _ris(10), filename="zotero.ris")
    _sweep(max_entries=4)
    original = catalog_link.list_services.add_citation

    def refused_after_adding(actor, lst_, section, **kw):
        citation = original(actor, lst_, section, **kw)  # the task has gathered it already
        if kw.get("metadata", {}).get("title") == "Entry 006":
            raise RuleViolation("LST-2", "refused after it was added")
        return citation

    monkeypatch.setattr(catalog_link.list_services, "add_citation", refused_after_adding)
    _sweep()
    task = _open().get(kind=LibrarianTask.ITEMS_ADDED)
    assert task.count == 9 and "Entry 006" not in task.detail_text and "Entry 007" in task.detail_text
    assert not Citation.objects.filter(resource_list=lst, title="Entry 006").exists()
    job.refresh_from_db()
    assert job.entries.get(position=7).rule == "LST-2" and job.batch["n_added"] == 9


def test_a_stopped_runner_goes_on_with_the_same_task(instructor, built_list, background):
    lst = built_list["list"]
    services.send_list(instructor, lst)
    job = catalog_link.queue_import(instructor, lst.pk, _ris(12), filename="zotero.ris")
    _sweep(max_entries=5)
    ListImport.objects.filter(pk=job.pk).update(lease_until=clock.now() + timedelta(minutes=5))  # died holding it
    clock.set_now(clock.now() + timedelta(minutes=6))
    try:
        _sweep()
    finally:
        clock.set_now(None)
    assert _open().filter(kind=LibrarianTask.ITEMS_ADDED).get().count == 12
