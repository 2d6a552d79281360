"""The course page leads to the course's readings (CRS-3, LST-8; session 14): a student who opens
one of "Your courses" from the home page found only the course's dates — no way to its list.  Now
the page shows the lists the person may read (published ones; an instructor's drafts too), says
what to do when there is none, and lets the course's instructor create its list in one step."""
from __future__ import annotations

import pytest
from django.urls import reverse

from syllabus.lists.models import ResourceList

pytestmark = pytest.mark.django_db


def _panel(client, user, course) -> str:
    client.force_login(user)
    r = client.get(reverse("web:course", args=[course.pk]))
    assert r.status_code == 200
    return r.content.decode()


def test_a_student_finds_the_published_list_not_the_draft(client, student, instructor, course):
    from syllabus.lists import services

    page = _panel(client, student, course)
    assert 'data-testid="course-no-list"' in page and "has not published a resource list" in page
    assert reverse("catalog:search") in page and 'data-testid="course-create-list"' not in page
    lst = services.create_list(instructor, title="HIST101 readings", courses=[course])
    assert "HIST101 readings" not in _panel(client, student, course)  # a draft is the instructors' (LST-8)
    services.publish_list(instructor, lst)
    page = _panel(client, student, course)
    assert f'href="{reverse("lists:view", args=[lst.pk])}"' in page and "HIST101 readings" in page
    assert reverse("lists:edit", args=[lst.pk]) not in page


def test_the_instructor_creates_the_course_list_from_the_course_page(client, instructor, course):
    page = _panel(client, instructor, course)
    assert "This course has no resource list yet" in page and 'data-testid="course-create-list"' in page
    r = client.post(reverse("lists:create"), {"title": "HIST101 Introduction to Modern History", "courses": str(course.pk)})
    lst = ResourceList.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse("lists:edit", args=[lst.pk])
    assert list(lst.courses.all()) == [course] and list(lst.owners.all()) == [instructor]
    page = _panel(client, instructor, course)
    assert reverse("lists:edit", args=[lst.pk]) in page and 'data-testid="course-create-list"' not in page


def _course_page_statements(client, course) -> list[str]:
    from tests.lists.test_queries import counting

    url = reverse("web:course", args=[course.pk])
    client.get(url)   # the process warmed (session, content types)
    with counting() as box:
        r = client.get(url)
    assert r.status_code == 200
    return box["sql"]


def test_the_course_page_runs_the_same_few_queries_whatever_its_lists_and_roster(client, student, instructor, inst_a, course,
                                                                                   make_user):
    """Session 22, the most-hit page at term start (CRS-3, LST-8): a student's course page costs
    the same statements with one published list and few classmates as with three lists (one a
    draft they must not see) and 60 classmates — and no more than six (session, person,
    configuration, course, its instructors, the lists with their counts)."""
    from syllabus.courses.models import Course, Enrollment
    from syllabus.lists import services

    small = Course.objects.create(institution=inst_a, code="SMALL101", name="Small")
    small.instructors.add(instructor)
    Enrollment.objects.create(course=small, user=student)
    services.publish_list(instructor, services.create_list(instructor, title="Small readings", courses=[small]))
    for i in range(60):
        Enrollment.objects.create(course=course, user=make_user(f"classmate{i}"))
    for title in ("Week 1 readings", "Week 2 readings"):
        services.publish_list(instructor, services.create_list(instructor, title=title, courses=[course]))
    services.create_list(instructor, title="Draft readings", courses=[course])
    client.force_login(student)
    few, many = _course_page_statements(client, small), _course_page_statements(client, course)
    assert len(few) == len(many) <= 6, (len(few), len(many), many)
    page = client.get(reverse("web:course", args=[course.pk])).content.decode()
    assert "Week 1 readings" in page and "Week 2 readings" in page and "Draft readings" not in page
    assert page.count('class="muted">0 items') == 2


def test_the_instructor_sees_drafts_and_the_lists_to_join_on_the_course_page(client, instructor, make_user, course):
    """The course page's panel takes whether the reader teaches from the course's instructors it
    read (no query of its own): the instructor still sees their draft as editable, and a
    co-instructor a colleague's draft to ask to join (LMS-1)."""
    from syllabus.lists import services

    lst = services.create_list(instructor, title="Draft readings", courses=[course])
    colleague = make_user("colleague")
    course.instructors.add(colleague)   # joined the course after the list was made: not an owner
    page = _panel(client, instructor, course)
    assert reverse("lists:edit", args=[lst.pk]) in page and "Draft readings" in page
    page = _panel(client, colleague, course)
    assert reverse("lists:edit", args=[lst.pk]) not in page and 'data-testid="list-to-join"' in page
    assert "Draft readings" in page and "Irene Instructor" in page
