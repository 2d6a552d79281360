"""LST-9, session 24: a background import commits its entries in chunks (``catalog_link.IMPORT_CHUNK``
entries a transaction) instead of one commit an entry — a 500-entry import's wall time was ~10× its
CPU, waiting on its commits (BENCHMARKS.md, session 23). What an importer sees stays: the progress
is durable chunk by chunk, an entry refused by the rules is named in the report and leaves nothing
behind, and an import that stops on an error keeps every entry before it, nothing half-written.
These tests run in real transactions (not inside a test's own), so that a commit is a commit."""
import pytest
from django.db import connections

from syllabus.core import clock
from syllabus.core.errors import RuleViolation
from syllabus.lists import catalog_link, services
from syllabus.lists.models import Citation, ListImport

pytestmark = pytest.mark.django_db(transaction=True)


def _ris(n: int) -> str:
    return "".join(f"TY  - BOOK\nTI  - Entry {i:03d}\nAU  - Author, Ann\nPY  - 2001\nPB  - Penguin\nER  - \n" for i in range(n))


@pytest.fixture
def commits(monkeypatch):
    """The commits made on the default connection (the outermost transactions' ends)."""
    connection = connections["default"]
    seen = []
    original = connection.commit

    def commit():
        seen.append(1)
        return original()

    monkeypatch.setattr(connection, "commit", commit)
    return seen


def test_sixty_entries_are_three_commits_with_the_same_report(instructor, course, commits, monkeypatch):
    monkeypatch.setattr(catalog_link, "IMPORT_CHUNK_SECONDS", 600)  # chunks closed by their size alone, whatever the load
    original = catalog_link.list_services.add_citation

    def refused_after_adding(actor, lst_, section, **kw):
        citation = original(actor, lst_, section, **kw)  # written, then refused: nothing of it may stay
        if kw.get("metadata", {}).get("title") == "Entry 007":
            raise RuleViolation("LST-2", "refused after it was added")
        return citation

    monkeypatch.setattr(catalog_link.list_services, "add_citation", refused_after_adding)
    lst = services.create_list(instructor, title="Readings", courses=[course])
    job = catalog_link.queue_import(instructor, lst.pk, _ris(61), filename="refs.ris")
    catalog_link.run_imports(clock.now(), 600, max_entries=1)  # the slice that reads the file
    commits.clear()
    assert catalog_link.run_imports(clock.now(), 600, max_entries=60) == 60
    assert len(commits) == 4  # 60 entries in chunks of 25, and the import's end (a commit an entry before: 61)
    job.refresh_from_db()
    assert job.done == 61 and job.entries.count() == 61
    refused = job.entries.get(title="Entry 007")
    assert refused.status == "rejected" and refused.rule == "LST-2" and refused.detail == "refused after it was added"
    assert Citation.objects.filter(resource_list=lst).count() == 60
    assert not Citation.objects.filter(resource_list=lst, title="Entry 007").exists()


def test_a_chunk_is_closed_after_its_time_whatever_its_size(instructor, course, commits, monkeypatch):
    monkeypatch.setattr(catalog_link, "IMPORT_CHUNK_SECONDS", 0)  # every entry over its chunk's time
    lst = services.create_list(instructor, title="Readings", courses=[course])
    catalog_link.queue_import(instructor, lst.pk, _ris(6), filename="refs.ris")
    catalog_link.run_imports(clock.now(), 600, max_entries=1)
    commits.clear()
    assert catalog_link.run_imports(clock.now(), 600, max_entries=4) == 4
    assert len(commits) == 4


def test_an_error_half_way_through_a_chunk_keeps_the_entries_before_it_and_names_the_rule(instructor, course,
                                                                                          monkeypatch):
    lst = services.create_list(instructor, title="Readings", courses=[course])
    job = catalog_link.queue_import(instructor, lst.pk, _ris(20), filename="refs.ris")
    original = catalog_link.list_services.add_citation

    def add_or_fail(actor, lst_, section, **kw):
        citation = original(actor, lst_, section, **kw)  # written, then the entry fails: rolled back
        if kw.get("metadata", {}).get("title") == "Entry 012":
            raise RuntimeError("the disk is full")
        return citation

    monkeypatch.setattr(catalog_link.list_services, "add_citation", add_or_fail)
    catalog_link.run_imports(clock.now(), 600)
    job.refresh_from_db()
    assert job.status == ListImport.FAILED and job.rule == "LST-9"
    assert "the entries before it were imported" in job.detail
    titles = set(Citation.objects.filter(resource_list=lst).values_list("title", flat=True))
    assert titles == {f"Entry {i:03d}" for i in range(12)}
    assert job.done == 12 and job.entries.count() == 12
