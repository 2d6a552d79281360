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
