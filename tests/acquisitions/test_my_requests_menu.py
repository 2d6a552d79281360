"""SRV-3/DSV-6: "My purchase requests" is in the Library menu of everyone who makes them — a
student (a purchase suggestion from Find it), an instructor (Request purchase on a list item), the
library's staff — beside My digitization requests and My inter-library loan requests; it was
reachable only from a link on My library card."""
from __future__ import annotations

import pytest

from syllabus.org.roles import Role
from syllabus.web.nav import menu_for

pytestmark = pytest.mark.django_db


def _library_menu(user) -> dict[str, str]:
    for group in menu_for(user, back_office=user.is_back_office):
        if group["key"] == "library":
            return {str(e["label"]): e["url"] for e in group["entries"]}
    return {}


def test_every_member_finds_my_purchase_requests_in_the_library_menu(student, instructor, librarian, make_user):
    acquisitions = make_user("orders", group="staff", roles=[Role.REQUESTS_OPERATOR])
    for person in (student, instructor, librarian, acquisitions):
        menu = _library_menu(person)
        assert menu.get("My purchase requests") == "/acquisitions/mine/", person.username
        labels = list(menu)
        assert labels.index("My digitization requests") < labels.index("My purchase requests")


def test_the_page_shows_the_entry_in_the_header_menu(client, student):
    client.force_login(student)
    page = client.get("/").content.decode()
    assert 'href="/acquisitions/mine/"' in page and "My purchase requests" in page
    assert client.get("/acquisitions/mine/").status_code == 200


def test_a_person_of_no_institution_has_no_purchase_requests_entry(make_user):
    from tests.factories import UserFactory

    nobody = UserFactory(username="platform-operator", institution=None, is_staff=True, is_superuser=True)
    assert "My purchase requests" not in _library_menu(nobody)
