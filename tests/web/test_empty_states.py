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


# --- session 20: first use — a new instructor, a list with no section, a student with no course ---

def test_a_student_with_no_course_is_told_where_courses_come_from(client, student):
    client.force_login(student)
    home = client.get(reverse("web:home")).content.decode()
    assert 'data-testid="home-next"' in home and "your courses come from your institution's course system" in home
    assert f'href="{reverse("catalog:search")}"' in home and f'href="{reverse("web:courses")}">Find a course</a>' in home
    mine = client.get(reverse("lists:mine")).content.decode()
    assert 'data-testid="no-lists"' in mine and "You are not enrolled in any course yet" in mine
    assert f'href="{reverse("catalog:search")}">Search the library</a>' in mine and 'id="new-title"' not in mine


def test_an_enrolled_student_without_a_published_list_is_pointed_to_the_course(client, student, course):
    client.force_login(student)
    home = client.get(reverse("web:home")).content.decode()
    assert "Open a course to see its resource lists." in home and f'href="{reverse("web:course", args=[course.pk])}"' in home
    mine = client.get(reverse("lists:mine")).content.decode()
    assert "its students see it here once it is published" in mine and "not enrolled" not in mine


def test_a_new_instructor_is_pointed_to_the_course_and_the_form(client, instructor, course):
    client.force_login(instructor)
    home = client.get(reverse("web:home")).content.decode()
    assert "Open a course to see its resource lists, or to create its list." in home
    assert f'href="{reverse("lists:mine")}"' in home
    course_page = client.get(reverse("web:course", args=[course.pk])).content.decode()
    assert 'data-testid="course-create-list"' in course_page


def test_a_list_with_no_section_says_what_to_do_next_to_its_editor_and_its_readers(client, instructor, student, course):
    from syllabus.lists import services

    lst = services.create_list(instructor, title="Fresh list", courses=[course])
    client.force_login(instructor)
    editor = client.get(reverse("lists:edit", args=[lst.pk])).content.decode()
    assert 'data-testid="no-sections"' in editor and "Add a section below" in editor and 'id="new-section-title"' in editor
    assert "Add at least one item before sending the list to the library." in editor
    services.publish_list(instructor, lst)
    client.force_login(student)
    view = client.get(reverse("lists:view", args=[lst.pk])).content.decode()
    assert 'data-testid="empty-list"' in view and "its instructor has not added any item" in view
    assert 'class="toc"' not in view  # no empty table of contents
