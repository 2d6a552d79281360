"""Fixtures of the resource-list tests: a second librarian, a student of another course, and a
small list built through the services."""
from __future__ import annotations

import pytest

from syllabus.org.roles import Role

BOOK = {"title": "The Making of the English Working Class", "author": [{"family": "Thompson", "given": "E. P."}],
        "publisher": "Victor Gollancz", "publisher-place": "London", "issued": {"date-parts": [[1963]]},
        "ISBN": "978-0-14-013603-6"}
ARTICLE = {"title": "Time, Work-Discipline, and Industrial Capitalism", "author": [{"family": "Thompson", "given": "E. P."}],
           "container-title": "Past & Present", "volume": "38", "page": "56-97", "issued": {"date-parts": [[1967, 12]]},
           "DOI": "10.1093/past/38.1.56"}
WEBSITE = {"title": "The Victorian Web", "URL": "https://victorianweb.org/", "issued": {"date-parts": [[2024]]}}


@pytest.fixture
def librarian2(make_user):
    return make_user("librarian2", group="staff", roles=[Role.COURSE_RESERVES_OPERATOR], first_name="Lou", last_name="Second")


@pytest.fixture
def built_list(instructor, course):
    """A list on ``course`` with two sections and three items (book, article, website)."""
    from syllabus.lists import services

    lst = services.create_list(instructor, title="HIST101 readings", courses=[course])
    week1 = services.add_section(instructor, lst, title="Week 1")
    week2 = services.add_section(instructor, lst, title="Week 2")
    book = services.add_citation(instructor, lst, week1, "book", BOOK, tags=["essential"], public_note="Read chapter 1")
    article = services.add_citation(instructor, lst, week1, "article", ARTICLE, library_note="we own a print copy")
    site = services.add_citation(instructor, lst, week2, "website", WEBSITE)
    return {"list": lst, "sections": [week1, week2], "book": book, "article": article, "site": site}


def bulk_list(owner, course, n_items: int, *, title: str = "Big list", published: bool = True, sent: bool = False):
    """A list with ``n_items`` items over 4 sections, written in bulk (for query counts)."""
    from syllabus.lists import services
    from syllabus.citations.bibliography import format_citation
    from syllabus.lists.models import Citation

    lst = services.create_list(owner, title=title, courses=[course])
    sections = [services.add_section(owner, lst, title=f"Week {n + 1}") for n in range(4)]
    formatted = format_citation(BOOK)
    Citation.objects.bulk_create([
        Citation(resource_list=lst, section=sections[i % 4], position=i // 4, type="book",
                 metadata=dict(BOOK, title=f"Book {i}"), title=f"Book {i}", formatted=formatted, formatted_style="apa",
                 tags=["essential"], public_note="note", status="being_prepared")
        for i in range(n_items)
    ])
    if published:
        services.publish_list(owner, lst)
    if sent:
        services.send_list(owner, lst)
    return lst
