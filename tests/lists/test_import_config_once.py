"""LST-9, session 20: a background import reads the institution's configuration (the citation
style and language, the initial status of an item: LST-5) once per timer slice, not again for each
entry (~40% of what an entry cost after session 19's citeproc work) — and never keeps it longer:
the next slice sees a librarian's change, and two institutions' imports in one sweep each get their
own institution's values.  The consortium's row is not read for it at all (its id is on the
institution's row); nor the list's last section for each entry."""
from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from syllabus.core import clock
from syllabus.courses.models import Course
from syllabus.lists import catalog_link, services
from syllabus.lists.models import Citation, ItemStatus
from syllabus.org import config

pytestmark = pytest.mark.django_db


def _ris(n: int, first: int = 0) -> str:
    return "".join(f"TY  - BOOK\nTI  - Book {i}\nAU  - Author, Ann\nPY  - 2001\nPB  - Penguin\nER  - \n"
                   for i in range(first, first + n))


def _slice(n: int) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        assert catalog_link.run_imports(clock.now(), 600, max_entries=n) == n
    return [q["sql"] for q in ctx.captured_queries]


def _reads(sql: list[str], table: str) -> int:
    """The reads of ``table`` among ``sql``; the configuration's memo is one prepared statement on
    PostgreSQL (``EXECUTE cfg_…``, org.config.every_read), a plain SELECT elsewhere."""
    prepared = {"org_configvalue": "EXECUTE cfg_"}.get(table)
    return sum(1 for q in sql if q.lstrip().upper().startswith("SELECT") and f'FROM "{table}"' in q
               or prepared is not None and prepared in q)


def test_a_slice_reads_the_configuration_once_whatever_its_size(instructor, course, monkeypatch):
    monkeypatch.setattr(catalog_link, "IMPORT_CHUNK_SECONDS", 600)  # chunks of IMPORT_CHUNK whatever the machine's load
    lst = services.create_list(instructor, title="Big import", courses=[course])
    catalog_link.queue_import(instructor, lst.pk, _ris(70), filename="big.ris")
    _slice(10)  # the slice that reads the file
    ten, forty = _slice(10), _slice(40)
    for sql in (ten, forty):
        assert _reads(sql, "org_configvalue") == 1
        assert _reads(sql, "org_consortium") == 0
        assert _reads(sql, "lists_section") == 1
    # what an entry costs now, in statements: 8 queries (the list's row locked, the position, the
    # citation, its audit entry, the list's revision twice: the service and the signal, the import's
    # report line and its progress) — 12 before session 20 — and its savepoints' own: three, the
    # entry's in its chunk, the task's and the citation's (session 24: the chunk's transaction, one
    # commit for IMPORT_CHUNK entries, replaced the entry's own transaction)
    control = ("SAVEPOINT", "RELEASE", "BEGIN", "COMMIT", "ROLLBACK")
    forty_q, forty_t, ten_q, ten_t = (len([q for q in sql if q.lstrip().upper().startswith(control) is kind])
                                      for sql in (forty, ten) for kind in (False, True))
    assert (forty_q - ten_q) / 30 <= 8, (forty_q - ten_q) / 30
    assert (forty_t - ten_t) / 30 <= 6.5, (forty_t - ten_t) / 30
    assert Citation.objects.filter(resource_list=lst).count() == 60
    assert set(Citation.objects.filter(resource_list=lst).values_list("formatted_style", flat=True)) == {"apa"}


def test_the_next_slice_sees_a_librarians_change(instructor, librarian, course, inst_a):
    lst = services.create_list(instructor, title="Style changes", courses=[course])
    catalog_link.queue_import(instructor, lst.pk, _ris(20), filename="refs.ris")
    _slice(10)
    config.set_value("citation_style", "modern-language-association", actor=librarian, institution=inst_a)
    config.set_value("citation_types_no_action", ["book"], actor=librarian, institution=inst_a)  # LST-5
    _slice(10)
    first, second = [set(Citation.objects.filter(resource_list=lst, title__in=[f"Book {i}" for i in rng])
                         .values_list("formatted_style", "status")) for rng in (range(10), range(10, 20))]
    assert first == {("apa", ItemStatus.BEING_PREPARED)}
    no_action = config.get("citation_default_status_no_action", institution=inst_a)
    assert second == {("modern-language-association", no_action)}


def test_two_institutions_imports_in_one_sweep_each_read_their_own(instructor, course, inst_b, make_user, librarian):
    config.set_value("citation_style", "modern-language-association", actor=librarian, institution=inst_b)
    theirs = make_user("their-instructor", institution=inst_b, group="faculty")
    their_course = Course.objects.create(institution=inst_b, code="ART200", section="01", name="Art", term="2026S")
    their_course.instructors.add(theirs)
    ours = services.create_list(instructor, title="Ours", courses=[course])
    their_list = services.create_list(theirs, title="Theirs", courses=[their_course])
    catalog_link.queue_import(instructor, ours.pk, _ris(3), filename="a.ris")
    catalog_link.queue_import(theirs, their_list.pk, _ris(3), filename="b.ris")
    assert catalog_link.run_imports(clock.now(), 600) == 6
    assert set(Citation.objects.filter(resource_list=ours).values_list("formatted_style", flat=True)) == {"apa"}
    assert set(Citation.objects.filter(resource_list=their_list).values_list("formatted_style", flat=True)) == \
        {"modern-language-association"}


def test_read_once_outside_a_block_reads_again_and_a_change_inside_is_seen(inst_a, librarian):
    with CaptureQueriesContext(connection) as ctx:
        config.get("citation_style", institution=inst_a)
        config.get("citation_style", institution=inst_a)
    assert _reads([q["sql"] for q in ctx.captured_queries], "org_configvalue") == 2  # no memo outside a block
    with config.read_once():
        with CaptureQueriesContext(connection) as ctx:
            assert config.get("citation_style", institution=inst_a) == "apa"
            config.get("citation_types_no_action", institution=inst_a)
        assert _reads([q["sql"] for q in ctx.captured_queries], "org_configvalue") == 1
        config.set_value("citation_style", "ieee", actor=librarian, institution=inst_a)
        assert config.get("citation_style", institution=inst_a) == "ieee"
