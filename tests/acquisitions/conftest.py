"""Fixtures of the acquisitions tests: a published list for a course whose item was sent to the
library, with its catalog record (no copy yet) — the data of a real book."""
from __future__ import annotations

import pytest

BOOK = {"title": "The Making of the English Working Class", "author": [{"family": "Thompson", "given": "E. P."}],
        "publisher": "Victor Gollancz", "publisher-place": "London", "issued": {"date-parts": [[1963]]},
        "ISBN": "9780140136036", "type": "book"}


@pytest.fixture
def listed(instructor, course, inst_a, library_a):
    """(list, citation, record): the item is Ready for processing, the record has no copy."""
    from syllabus.catalog.models import Record
    from syllabus.lists import services

    record = Record.objects.create(institution=inst_a, source_id="acq-1", title=BOOK["title"], creators="E. P. Thompson",
                                   year=1963, isbn=BOOK["ISBN"], csl=BOOK)
    lst = services.create_list(instructor, title="HIST101 readings", courses=[course])
    section = services.add_section(instructor, lst, title="Week 1")
    citation = services.add_citation(instructor, lst, section, "book", dict(BOOK), record=record)
    services.publish_list(instructor, lst)
    services.send_citation(instructor, citation)
    citation.refresh_from_db()
    return lst, citation, record


@pytest.fixture
def librarian_b(make_user, inst_b):
    from syllabus.org.roles import Role

    return make_user("librarian_b", institution=inst_b, group="staff", roles=[Role.COURSE_RESERVES_OPERATOR])


@pytest.fixture(autouse=True)
def _local_test_servers(settings):
    """The fake servers of these tests run on 127.0.0.1: the platform operator's allowance of
    syllabus.core.outbound (SSRF), as an intranet deployment would set it."""
    settings.OUTBOUND_PRIVATE_HOSTS = ["127.0.0.1", "localhost"]
