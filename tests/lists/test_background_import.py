"""LST-9, session 18: a citation file over ``LIST_IMPORT_INLINE_BYTES`` is not imported within
the web request (a 5 MB file is thousands of citations, each formatted in the list's style: minutes
of a worker) but queued, answered at once (202), and imported by the timer's sweep a slice at a
time; the person who sent it sees its progress on the list's page, then the same per-entry report
as a small file gets on the spot."""
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from django.db.models import F as models_F

from syllabus.core import clock
from syllabus.core.tasks import sweeps
from syllabus.lists import catalog_link, services
from syllabus.lists.models import Citation, ListImport

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _bib(n: int) -> str:
    entries = [f"@book{{k{i},\n  title = {{Caf{{\\'e}} culture, volume {i}}},\n  author = {{M{{\\\"u}}ller, Anna}},\n"
               f"  publisher = {{Penguin}},\n  year = {{2001}}\n}}\n" for i in range(n)]
    entries.insert(3, "@book{untitled,\n  author = {Nobody, A.},\n  year = {2001}\n}\n")  # refused: no title
    return "".join(entries)


@pytest.fixture
def small_inline(settings):
    settings.LIST_IMPORT_INLINE_BYTES = 500  # a file of a few entries goes to the background
    return settings


def _post(client, lst, text, name="library.bib", **extra):
    return client.post(f"/api/v1/lists/{lst.pk}/import", {"file": SimpleUploadedFile(name, text.encode()), **extra})


def _sweep(**kw):
    if kw:
        return catalog_link.run_imports(clock.now(), 60, **kw)
    return sweeps()["list_imports"](clock.now())


def test_a_large_file_is_answered_at_once_and_imported_by_the_timer_with_the_same_report(client, instructor, course,
                                                                                       small_inline):
    text = _bib(12)
    inline = services.create_list(instructor, title="Inline", courses=[course])
    queued = services.create_list(instructor, title="Background", courses=[course])
    client.force_login(instructor)
    small_inline.LIST_IMPORT_INLINE_BYTES = 10**6
    expected = _post(client, inline, text).json()
    small_inline.LIST_IMPORT_INLINE_BYTES = 500

    r = _post(client, queued, text)
    assert r.status_code == 202, r.content
    body = r.json()
    assert body["status"] == "queued" and body["filename"] == "library.bib" and body["done"] == 0
    assert not Citation.objects.filter(resource_list=queued).exists()  # nothing done within the request

    assert _sweep() == 13  # the registered timer sweep
    status = client.get(f"/api/v1/lists/{queued.pk}/imports/{body['import_id']}").json()
    assert status["status"] == "done" and status["total"] == status["done"] == 13
    for key in ("format", "read", "created", "rejected", "dropped"):
        assert status[key] == expected[key], key
    assert [(e["position"], e["status"], e["title"], e["rule"], e["line"]) for e in status["entries"]] == \
        [(e["position"], e["status"], e["title"], e["rule"], e["line"]) for e in expected["entries"]]
    assert status["created"] == 12 and status["entries"][3]["detail"].endswith("has no title")
    assert Citation.objects.filter(resource_list=queued).count() == 12
    assert Citation.objects.get(resource_list=queued, title="Café culture, volume 0").metadata["author"] == [
        {"family": "Müller", "given": "Anna"}]


def test_an_import_stopped_half_way_goes_on_from_where_it_stopped_neither_losing_nor_repeating(client, instructor,
                                                                                              course, small_inline):
    lst = services.create_list(instructor, title="Readings", courses=[course])
    client.force_login(instructor)
    job_id = _post(client, lst, _bib(12)).json()["import_id"]
    assert _sweep(max_entries=5) == 5
    job = ListImport.objects.get(pk=job_id)
    assert (job.status, job.total, job.done) == (ListImport.RUNNING, 13, 5)
    page = client.get(f"/lists/{lst.pk}/edit/").content.decode()  # the list page shows how far it got
    assert 'data-status="running"' in page and "5 of 13 entries done" in page
    # a runner that died holding it: another leaves it alone until the lease ends
    ListImport.objects.filter(pk=job_id).update(lease_until=clock.now() + timedelta(minutes=5))
    assert _sweep() == 0
    clock.set_now(clock.now() + timedelta(minutes=6))
    try:
        assert _sweep() == 8
    finally:
        clock.set_now(None)
    job.refresh_from_db()
    assert (job.status, job.done) == (ListImport.DONE, 13) and job.text == "" and job.pending == []
    assert Citation.objects.filter(resource_list=lst).count() == 12
    assert sorted(job.entries.values_list("position", flat=True)) == list(range(1, 14))


def test_the_import_form_says_the_file_is_queued_and_the_report_comes_on_the_list_page(client, instructor, course,
                                                                                     small_inline):
    lst = services.create_list(instructor, title="Readings", courses=[course])
    client.force_login(instructor)
    r = client.post(f"/catalog/lists/{lst.pk}/import/", {"file": SimpleUploadedFile("zotero.bib", _bib(12).encode())}, **HTMX)
    assert r.status_code == 202
    html = r.content.decode()
    assert 'data-status="queued"' in html and "zotero.bib is large: it is waiting to be imported in the background" in html
    job = ListImport.objects.get(resource_list=lst)
    assert f'hx-get="/catalog/lists/{lst.pk}/imports/{job.pk}/"' in html  # polls its progress
    # without htmx: back to the list, with a message
    r = client.post(f"/catalog/lists/{lst.pk}/import/", {"file": SimpleUploadedFile("again.bib", _bib(12).encode())}, follow=True)
    assert "it is being imported in the background" in r.content.decode()
    _sweep()
    page = client.get(f"/lists/{lst.pk}/edit/").content.decode()
    assert "Imported in the background: zotero.bib, 13 entries." in page
    report = client.get(f"/catalog/lists/{lst.pk}/imports/{job.pk}/").content.decode()
    assert "<h1>Import into the list</h1>" in report
    assert "12 entries imported" in report and "1 refused" in report and "Café culture, volume 11" in report


def test_a_queued_file_that_holds_no_entry_fails_with_the_rule_and_the_reader_sees_nothing(client, instructor, student,
                                                                                          course, small_inline):
    lst = services.create_list(instructor, title="Readings", courses=[course])
    client.force_login(instructor)
    # no citation file at all: refused at once, as within the request
    r = _post(client, lst, "just some words\n" * 200, name="notes")
    assert r.status_code == 400 and r.json()["rule"] == "LST-9"
    job_id = _post(client, lst, "@comment{nothing}\n" * 200, name="empty.bib").json()["import_id"]
    _sweep()
    status = client.get(f"/api/v1/lists/{lst.pk}/imports/{job_id}").json()
    assert status["status"] == "failed" and status["rule"] == "LST-9" and "nothing to import" in status["detail"]
    page = client.get(f"/lists/{lst.pk}/edit/").content.decode()
    assert "Import of empty.bib failed:" in page
    client.force_login(student)  # a reader of the list may not see its imports
    assert client.get(f"/api/v1/lists/{lst.pk}/imports/{job_id}").status_code in (403, 404)
    assert client.get(f"/catalog/lists/{lst.pk}/imports/{job_id}/").status_code in (403, 404)


def test_an_editor_who_lost_the_list_meanwhile_imports_nothing(client, instructor, course, make_user, small_inline):
    other = make_user("colleague", group="faculty")
    lst = services.create_list(instructor, title="Readings", courses=[course])
    lst.collaborators.add(other)
    client.force_login(other)
    job_id = _post(client, lst, _bib(12)).json()["import_id"]
    lst.collaborators.remove(other)
    _sweep()
    job = ListImport.objects.get(pk=job_id)
    assert job.status == ListImport.FAILED and job.rule in ("NOT-FOUND", "ORG-3", "LST-8") and job.detail
    assert not Citation.objects.filter(resource_list=lst).exists()


def test_a_file_over_the_ceiling_is_refused_naming_the_rule_and_the_size(client, instructor, course):
    lst = services.create_list(instructor, title="Readings", courses=[course])
    client.force_login(instructor)
    r = _post(client, lst, "%" * (5 * 1024 * 1024 + 1))
    assert r.status_code == 400 and r.json()["rule"] == "LST-9" and "at most 5 MB" in r.json()["detail"]
    assert not ListImport.objects.exists()


def test_adding_to_a_long_section_reads_none_of_its_items_and_a_gap_is_still_mended(instructor, course):
    """Each entry of an import is added after the last item: the section's items were all read
    again (metadata and formatted text) for every one — quadratic over a file of thousands."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from syllabus.lists.models import Section

    lst = services.create_list(instructor, title="Readings", courses=[course])
    for n in range(30):
        services.add_citation(instructor, lst, type="book", metadata={"title": f"Book {n}"})
    section = Section.objects.get(resource_list=lst)
    with CaptureQueriesContext(connection) as ctx:
        added = services.add_citation(instructor, lst, section, type="book", metadata={"title": "Book 30"})
    item_reads = [q["sql"] for q in ctx.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")
                  and '"lists_citation"."metadata"' in q["sql"]]
    assert added.position == 30 and item_reads == []
    # positions with a gap (as an old database may hold): the next item mends them, as before
    Citation.objects.filter(section=section, position__gte=10).update(position=models_F("position") + 5)
    services.add_citation(instructor, lst, section, type="book", metadata={"title": "Book 31"})
    assert list(Citation.objects.filter(section=section).order_by("position").values_list("position", flat=True)) == \
        list(range(32))
