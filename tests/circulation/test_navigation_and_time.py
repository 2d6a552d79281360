"""Navigation grouped by what the person is doing, with counts of only what they must act on
(DSC-2), and times shown in the library's / institution's time zone (issue 12)."""
from __future__ import annotations

import re

import pytest

from syllabus.web.nav import menu_for

pytestmark = pytest.mark.django_db


def _groups(user):
    return {g["key"]: [str(e["label"]) for e in g["entries"]] for g in menu_for(user, back_office=user.is_back_office)}


def test_a_student_sees_courses_and_lists_first_and_the_library_in_one_menu(student):
    groups = _groups(student)
    assert list(groups) == ["main", "library"]
    assert groups["main"][:3] == ["Home", "Resource lists", "Courses"]
    assert "My library card" in groups["library"] and "Search the library" in groups["library"]
    assert len(groups["main"]) <= 5            # was 12 top-level links


def test_staff_work_sits_under_one_back_office_menu_with_counts(desk, library_a, student, published, instructor, inst_a):
    from syllabus.catalog.models import Item
    from syllabus.circulation import services

    from .conftest import add_items, cite, make_record

    lst, section = published
    record = make_record(inst_a, "Middlemarch")
    add_items(record, library_a, [Item.Status.IN_PLACE])
    services.place_hold(student, cite(instructor, lst, section, record), pickup_library=library_a)
    menu = {g["key"]: g for g in menu_for(desk, back_office=True)}
    assert "Hold requests" in [str(e["label"]) for e in menu["back_office"]["entries"]]
    assert menu["back_office"]["badge"] == 1   # one waiting hold at the desk's libraries


def test_discussion_counts_only_the_other_side(published, instructor, librarian, make_user):
    """DSC-2: a librarian's alerts count the instructors' messages, an instructor's the library's;
    a colleague on one's own side never counts."""
    from syllabus.discussion import services as discussion
    from syllabus.lists import services as lists
    from syllabus.org.roles import Role

    lst, section = published
    lists.add_citation(instructor, lst, section, "book", {"title": "Middlemarch"})  # LST-4: no empty list is sent
    lists.send_list(instructor, lst)
    colleague = make_user("colleague", group="staff", roles=[Role.COURSE_RESERVES_OPERATOR])
    co = make_user("coteacher")
    lst.collaborators.add(co)
    discussion.post_message(instructor, lst, "Is the 1963 edition on short loan?")
    discussion.post_message(librarian, lst, "Yes, two copies.")        # answering marks the question read
    discussion.post_message(colleague, lst, "And a third on order.")
    discussion.post_message(co, lst, "Thanks, could we have one more?")

    def badge(user, label):
        for group in menu_for(user, back_office=user.is_back_office):
            for e in group["entries"]:
                if str(e["label"]) == label:
                    return e["badge"]
        raise AssertionError(f"{label} not in {user}'s navigation")

    assert badge(librarian, "Discussion alerts") == 1     # the co-teacher's message, not the colleague's
    assert badge(instructor, "Library discussion") == 2   # both library answers, not the co-teacher's


def test_the_library_card_shows_times_in_the_library_zone(student, desk, library_a, published, instructor, inst_a, client, clock):
    from syllabus.catalog.models import Item
    from syllabus.circulation import services

    from .conftest import add_items, cite, make_record

    library_a.timezone = "Europe/Paris"
    library_a.save()
    lst, section = published
    record = make_record(inst_a, "Middlemarch")
    add_items(record, library_a, [Item.Status.IN_PLACE])
    hold = services.place_hold(student, cite(instructor, lst, section, record), pickup_library=library_a)
    services.fulfil_hold(desk, hold)
    client.force_login(student)
    page = client.get("/circulation/card/").content.decode()
    # Mon 2 March 09:00 UTC + 5 library days → Mon 9 March, 23:59 in Paris (CET), not UTC
    assert re.search(r"pick it up by 2026-03-09 23:59 CET", page), page[page.find("card-holds"):][:600]
    assert "Times are in Europe/Paris." in page


def test_pages_use_the_institution_zone(student, inst_a, client, library_a):
    from syllabus.org import config
    from syllabus.web.middleware import institution_zone

    library_a.timezone = "America/Chicago"
    library_a.save()
    assert institution_zone(inst_a.pk) == "America/Chicago"
    config.set_value("time_zone", "Asia/Tokyo", institution=inst_a)
    assert institution_zone(inst_a.pk) == "Asia/Tokyo"
    client.force_login(student)
    assert "Times are in Asia/Tokyo." in client.get("/circulation/card/").content.decode()
