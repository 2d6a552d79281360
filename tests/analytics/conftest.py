"""Fixtures of the analytics tests: HIST101's published list with three items, read by its student."""
from __future__ import annotations

import pytest


@pytest.fixture
def reading(instructor, course, clock):
    from syllabus.lists import services

    lst = services.create_list(instructor, title="HIST101 readings", courses=[course])
    section = services.add_section(instructor, lst, title="Week 1")
    items = [services.add_citation(instructor, lst, section, "article",
                                   {"title": title, "DOI": f"10.1000/{n}"}) for n, title in
             enumerate(["Primary sources", "The long nineteenth century", "Empire and trade"], start=1)]
    services.publish_list(instructor, lst)
    return lst, items
