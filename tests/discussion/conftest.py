"""Fixtures of the library-discussion tests: a sent, published list with items on the course,
a second librarian, a student of another course, and a setter for ``library_discussion``."""
from __future__ import annotations

import pytest

from syllabus.org.roles import Role

BOOK = {"title": "The Making of the English Working Class", "author": [{"family": "Thompson", "given": "E. P."}],
        "issued": {"date-parts": [[1963]]}, "ISBN": "978-0-14-013603-6"}
ARTICLE = {"title": "Time, Work-Discipline, and Industrial Capitalism", "author": [{"family": "Thompson", "given": "E. P."}],
           "container-title": "Past & Present", "issued": {"date-parts": [[1967]]}}


@pytest.fixture
def librarian2(make_user):
    return make_user("librarian2", group="staff", roles=[Role.COURSE_RESERVES_OPERATOR], first_name="Lou", last_name="Second")


@pytest.fixture
def reading_list(instructor, course, librarian):
    """HIST101 readings: one section, a book and an article; published and sent to the library."""
    from syllabus.lists import services

    lst = services.create_list(instructor, title="HIST101 readings", courses=[course])
    week1 = services.add_section(instructor, lst, title="Week 1")
    book = services.add_citation(instructor, lst, week1, "book", BOOK)
    article = services.add_citation(instructor, lst, week1, "article", ARTICLE)
    services.publish_list(instructor, lst)
    services.send_list(instructor, lst)
    return {"list": lst, "book": book, "article": article}


@pytest.fixture
def discussion_setting(inst_a):
    """``discussion_setting("item")`` sets ``library_discussion`` for institution A."""
    from syllabus.org import config

    return lambda value: config.set_value("library_discussion", value, institution=inst_a)
