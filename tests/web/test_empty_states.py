"""An empty page says what to do next (session 17, the new user's walk): a person with no list, or
no digitization request, is told where those come from and given the link to start."""
from __future__ import annotations

import pytest
from django.urls import reverse

from syllabus.org.roles import Role

pytestmark = pytest.mark.django_db


def test_no_list_and_no_way_to_create_one_points_to_the_courses(client, make_user):
    admin = make_user("gsa", group="staff", roles=[Role.GENERAL_SYSTEM_ADMINISTRATOR])
    client.force_login(admin)
    page = client.get(reverse("lists:mine")).content.decode()
    assert 'data-testid="no-lists"' in page and "its instructor creates it from the course's page" in page
    assert f'href="{reverse("web:courses")}">Find a course</a>' in page


def test_no_list_yet_for_an_instructor_points_to_the_form(client, instructor, course):
    client.force_login(instructor)
    page = client.get(reverse("lists:mine")).content.decode()
    assert "Create one below, or from the page of a course you teach." in page and 'id="new-title"' in page


def test_no_digitization_request_says_where_to_ask(client, student):
    client.force_login(student)
    page = client.get(reverse("fulfillment:mine")).content.decode()
    assert 'data-testid="no-dig-requests"' in page and "Request digitization" in page
    assert f'href="{reverse("catalog:search")}">Search the library</a>' in page
