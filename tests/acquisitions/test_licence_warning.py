"""Licence vs enrolment warning (issue 14 acceptance 5): an e-book licence far below the course's
enrolment is flagged on the librarian's item view, in the task list and in the API; the factor is
an org configuration parameter."""
from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture
def big_course(listed, course):
    course.number_of_students = 120
    course.save()
    return listed


@pytest.mark.parametrize("users,flagged", [(3, True), (100, False)])
def test_licence_warning_for_a_small_licence_on_a_big_course(big_course, librarian, api, client, users, flagged):
    lst, citation, _record = big_course
    task = api(librarian).post(f"/api/v1/citations/{citation.pk}/acquisition-tasks",
                               {"kind": "license", "concurrent_users": users, "url": "https://ebooks.example.com/1"}).json()
    assert task["licence_warning"] is flagged and task["enrolment"] == 120
    client.force_login(librarian)
    for page in (reverse("lists:library", args=[lst.pk]), reverse("acquisitions:tasks")):
        html = client.get(page).content.decode()
        assert ('data-testid="licence-warning"' in html) is flagged, page
    assert ("3 concurrent users on a course of 120 students" in html) is flagged


def test_the_factor_is_configurable(big_course, librarian, inst_a, api):
    from syllabus.org.models import ConfigValue

    _lst, citation, _record = big_course
    task = api(librarian).post(f"/api/v1/citations/{citation.pk}/acquisition-tasks",
                               {"kind": "license", "concurrent_users": 20}).json()
    assert task["licence_warning"] is False            # 20 x 10 >= 120
    ConfigValue.objects.create(key="licence_enrolment_factor", institution=inst_a, value=5)
    assert api(librarian).get(f"/api/v1/acquisition-tasks/{task['id']}").json()["licence_warning"] is True   # 20 x 5 < 120


def test_enrolled_students_count_when_above_the_declared_number(listed, librarian, course, make_user, api):
    from syllabus.courses.models import Enrollment

    _lst, citation, _record = listed
    for n in range(12):
        Enrollment.objects.create(course=course, user=make_user(f"s{n}"))
    task = api(librarian).post(f"/api/v1/citations/{citation.pk}/acquisition-tasks",
                               {"kind": "license", "concurrent_users": 1}).json()
    assert task["enrolment"] == 13 and task["licence_warning"] is True
