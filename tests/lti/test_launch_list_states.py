"""LMS-1, LST-8, ROLL-7: where a launch lands, for a list in each state — through the IMS-spec test
LMS (a real OIDC login, the platform's signed id_token, the form post) — for a student and for an
instructor of the course who may only read the list (a co-teacher, not an owner or collaborator).
Where there is nothing to show, the page says why.

States: a draft (being prepared), published, archived (the course's term has ended and the
library completed the list: Syllabus keeps such a list readable — there is no separate archived
state), rolled over (last term's list copied to this term's course: the copy is a draft until its
instructor publishes it, ROLL-7)."""
from __future__ import annotations

import datetime as dt

import pytest

from syllabus.core import clock
from syllabus.courses.models import Course, Enrollment
from syllabus.lists import services as lists
from syllabus.lists.models import ResourceList
from syllabus.lists.rollover import roll_over_lists
from syllabus.lists.workflow import ListStatus
from tests.lti.conftest import INSTRUCTOR, LEARNER, context

pytestmark = pytest.mark.django_db

# the launch's id_token is checked against the real time (the clock fixture would make it a token of the future)
TODAY = clock.now().date()
NOW_TERM = {"start_date": TODAY - dt.timedelta(days=30), "end_date": TODAY + dt.timedelta(days=60)}
LAST_TERM = {"start_date": TODAY - dt.timedelta(days=300), "end_date": TODAY - dt.timedelta(days=180)}


def _student(launch):
    return launch({"sub": "lms-student", "sourcedid": "student", "roles": [LEARNER], "context": context(), "nrps": False})


def _co_teacher(launch):
    return launch({"sub": "lms-co-teacher", "email": "co.teacher@uni.edu", "given_name": "Cole", "family_name": "Teacher",
                   "roles": [INSTRUCTOR], "context": context(), "nrps": False})


def _list(instructor, course, title="History readings", *, publish: bool):
    lst = lists.create_list(instructor, title=title, courses=[course])
    week = lists.add_section(instructor, lst, title="Week 1")
    lists.add_citation(instructor, lst, week, "book", {"title": "The Age of Revolution"})
    if publish:
        lists.publish_list(instructor, lst)
    return lst


def _landed(client, response) -> tuple[str, str]:
    assert response.status_code == 302, response.content[:400]
    return response["Location"], client.get(response["Location"]).content.decode()


@pytest.fixture
def dated(course):
    """The course runs this term."""
    Course.objects.filter(pk=course.pk).update(**NOW_TERM)
    return course


def test_a_draft_the_student_is_told_it_is_being_prepared(client, launch, dated, instructor):
    _list(instructor, dated, publish=False)
    where, page = _landed(client, _student(launch))
    assert where == f"/lti/courses/{dated.pk}/"
    assert 'data-testid="lti-no-list"' in page and "Your instructor is preparing it and has not published it yet." in page
    assert "History readings" not in page   # that it exists, never what it is (LST-8)


def test_a_draft_the_read_only_instructor_sees_it_with_whom_to_ask(client, launch, dated, instructor):
    draft = _list(instructor, dated, publish=False)
    where, page = _landed(client, _co_teacher(launch))
    assert where == f"/lti/courses/{dated.pk}/"
    assert 'data-testid="lists-to-join"' in page and "History readings" in page and "Irene Instructor" in page
    assert f"/lists/{draft.pk}/" not in page


def test_published_the_student_lands_on_the_list(client, launch, dated, instructor):
    lst = _list(instructor, dated, publish=True)
    where, page = _landed(client, _student(launch))
    assert where == f"/lists/{lst.pk}/" and "The Age of Revolution" in page


def test_published_the_read_only_instructor_is_told_why_they_cannot_edit(client, launch, dated, instructor):
    lst = _list(instructor, dated, publish=True)
    where, page = _landed(client, _co_teacher(launch))
    assert where == f"/lti/courses/{dated.pk}/"
    assert 'data-testid="lti-read-only"' in page and "you see it as your students do" in page
    assert f'href="/lists/{lst.pk}/"' in page and f"/lists/{lst.pk}/edit/" not in page


@pytest.fixture
def archived(course, instructor):
    """Last term's course, over; its list published and completed by the library."""
    Course.objects.filter(pk=course.pk).update(**LAST_TERM, term="2025F")
    lst = _list(instructor, course, publish=True)
    ResourceList.objects.filter(pk=lst.pk).update(status=ListStatus.COMPLETE)
    return lst


def test_archived_the_student_still_lands_on_the_list(client, launch, archived):
    where, page = _landed(client, _student(launch))
    assert where == f"/lists/{archived.pk}/" and "The Age of Revolution" in page


def test_archived_the_read_only_instructor_reads_it(client, launch, archived, course):
    where, page = _landed(client, _co_teacher(launch))
    assert where == f"/lti/courses/{course.pk}/" and 'data-testid="lti-read-only"' in page
    assert f'href="/lists/{archived.pk}/"' in page


@pytest.fixture
def rolled_over(course, instructor, student, librarian, inst_a):
    """Last term's HIST101 had a published list; the library rolled it over to this term's HIST101
    (the shared ``course``, running now), whose students launch: the copy is a draft (ROLL-7)."""
    old = Course.objects.create(institution=inst_a, code="HIST101", section=course.section, name=course.name, term="2025F",
                                **LAST_TERM)
    old.instructors.add(instructor)
    Enrollment.objects.create(course=old, user=student)
    source = _list(instructor, old, publish=True)
    Course.objects.filter(pk=course.pk).update(**NOW_TERM)
    report = roll_over_lists(librarian, inst_a, from_term="2025F", to_term="2026S")
    [copy_id] = [r.copy_id for r in report.lists if r.copy_id]
    copy = ResourceList.objects.get(pk=copy_id)
    assert not copy.is_published and list(copy.courses.all()) == [course]
    return source, copy


def test_rolled_over_the_student_is_told_the_copy_waits_for_their_instructor(client, launch, rolled_over, course):
    where, page = _landed(client, _student(launch))
    assert where == f"/lti/courses/{course.pk}/"   # this term's course, not last term's list
    assert "Last term’s list was copied to this course and waits for your instructor to check and publish it." in page


def test_rolled_over_the_read_only_instructor_sees_the_copy_with_whom_to_ask(client, launch, rolled_over, course):
    source, copy = rolled_over
    where, page = _landed(client, _co_teacher(launch))
    assert where == f"/lti/courses/{course.pk}/"
    assert 'data-testid="lists-to-join"' in page and "Irene Instructor" in page
    assert f"/lists/{copy.pk}/" not in page and f"/lists/{source.pk}/" not in page


def test_rolled_over_once_published_the_student_lands_on_the_copy(client, launch, rolled_over, instructor):
    _, copy = rolled_over
    lists.publish_list(instructor, copy)
    where, _ = _landed(client, _student(launch))
    assert where == f"/lists/{copy.pk}/"


def test_no_list_at_all_the_student_is_told_none_was_created(client, launch, dated):
    where, page = _landed(client, _student(launch))
    assert where == f"/lti/courses/{dated.pk}/"
    assert "Your instructor has not created one yet." in page


def test_a_link_to_a_draft_list_says_it_is_being_prepared(client, launch, dated, instructor):
    draft = _list(instructor, dated, publish=False)
    r = launch({"sub": "lms-student", "sourcedid": "student", "roles": [LEARNER], "context": context(), "nrps": False,
                "custom": {"syllabus_target": f"list:{draft.pk}"}})
    page = r.content.decode()
    assert r.status_code == 404 and "This is not available to you yet" in page
    assert "Your instructor is preparing it and has not published it yet." in page
