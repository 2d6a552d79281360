"""LMS-1 and LST-8: an instructor of the course who neither owns nor collaborates on its list —
a co-teacher, or one the launch did not match by e-mail — learns on the course page that the
course already has a (draft) list, whose it is and whom to ask, instead of being offered only
"Create the list"; they read a published list of the course without an Enrollment row; they
never edit a list they were not added to.  Students and instructors of other courses learn
nothing of a draft."""
import pytest

from syllabus.courses.models import Enrollment
from syllabus.lists import services as lists
from syllabus.org.models import User
from tests.lti.conftest import INSTRUCTOR, LEARNER, context


@pytest.fixture
def draft(course, instructor):
    lst = lists.create_list(instructor, title="History readings (draft)", courses=[course])
    lists.add_section(instructor, lst, title="Week 1")
    return lst


def co_launch(launch, **extra):
    return launch({"sub": "lms-co-teacher", "email": "co.teacher@uni.edu", "given_name": "Cole", "family_name": "Teacher",
                   "roles": [INSTRUCTOR], "context": context(), "nrps": False, **extra})


def test_a_co_instructor_launching_sees_the_draft_with_its_owner_not_only_create(client, launch, course, draft):
    r = co_launch(launch)
    assert r.status_code == 302 and r["Location"] == f"/lti/courses/{course.pk}/"
    co = User.objects.get(email="co.teacher@uni.edu")
    assert course.instructors.filter(pk=co.pk).exists() and not Enrollment.objects.filter(user=co).exists()
    page = client.get(r["Location"]).content.decode()
    assert 'data-testid="lists-to-join"' in page and "History readings (draft)" in page
    assert "Draft" in page and "Irene Instructor" in page and "add you as a collaborator" in page
    # creating a second list is still possible, but worded as such (LMS-1)
    assert 'data-testid="lti-create-list"' in page and "Create another list" in page and "Create the list" not in page
    # the draft is not opened for them: no link to it, and its pages stay closed (LST-8)
    assert f"/lists/{draft.pk}/" not in page
    assert client.get(f"/lists/{draft.pk}/").status_code == 404
    assert client.get(f"/lists/{draft.pk}/edit/").status_code == 404
    # the regular lists page says the same
    mine = client.get("/lists/").content.decode()
    assert "History readings (draft)" in mine and "Irene Instructor" in mine and f"/lists/{draft.pk}/" not in mine


def test_the_owner_still_lands_in_the_editor_and_is_not_told_to_ask_anyone(client, launch, course, draft, instructor):
    r = launch({"sub": "lms-teacher-1", "sourcedid": "instructor", "roles": [INSTRUCTOR], "context": context(), "nrps": False})
    assert r["Location"] == f"/lists/{draft.pk}/edit/"
    page = client.get(f"/lti/courses/{course.pk}/").content.decode()
    assert 'data-testid="lists-to-join"' not in page and "Create another list" in page


def test_a_co_instructor_reads_the_published_list_without_an_enrollment_but_cannot_edit_it(client, launch, course, draft):
    lists.add_citation(draft.owners.first(), draft, draft.sections.first(), "book",
                       {"title": "The Age of Revolution", "author": [{"family": "Hobsbawm"}]})
    lists.publish_list(draft.owners.first(), draft)
    r = co_launch(launch)
    assert r.status_code == 302 and r["Location"] == f"/lists/{draft.pk}/"
    page = client.get(r["Location"])
    assert page.status_code == 200 and b"Age of Revolution" in page.content
    assert client.get(f"/lists/{draft.pk}/edit/").status_code in (403, 404)
    course_page = client.get(f"/lti/courses/{course.pk}/").content.decode()
    assert 'data-testid="lti-read-only"' in course_page and "Irene Instructor" in course_page
    assert f'href="/lists/{draft.pk}/"' in course_page and f"/lists/{draft.pk}/edit/" not in course_page


def test_a_co_instructor_with_a_list_of_their_own_still_hears_of_the_other_draft(client, launch, course, draft):
    co_launch(launch)
    co = User.objects.get(email="co.teacher@uni.edu")
    own = lists.create_list(co, title="Cole's list", courses=[course])
    r = co_launch(launch)
    assert r["Location"] == f"/lti/courses/{course.pk}/"   # not straight into their own list
    page = client.get(r["Location"]).content.decode()
    assert f"/lists/{own.pk}/edit/" in page and "History readings (draft)" in page


def test_a_student_never_sees_a_draft(client, launch, course, draft):
    r = launch({"sub": "lms-student", "email": "s.one@uni.edu", "roles": [LEARNER], "context": context()})
    assert r["Location"] == f"/lti/courses/{course.pk}/"
    page = client.get(r["Location"]).content.decode()
    assert 'data-testid="lti-no-list"' in page and "History readings" not in page and "Irene" not in page
    assert "History readings" not in client.get("/lists/").content.decode()


def test_an_instructor_of_another_course_or_institution_sees_nothing_of_it(client, course, draft, make_user, inst_b):
    from tests.factories import CourseFactory

    other = make_user("other-teacher", group="faculty")
    CourseFactory(institution=course.institution, code="ART100", name="Art").instructors.add(other)
    client.force_login(other)
    page = client.get(f"/lti/courses/{course.pk}/").content.decode()
    assert "History readings" not in page and "lists-to-join" not in page
    assert "History readings" not in client.get("/lists/").content.decode()
    outsider = make_user("far-teacher", institution=inst_b, group="faculty")
    CourseFactory(institution=inst_b, code="HIST101", name="History").instructors.add(outsider)
    client.force_login(outsider)
    assert client.get(f"/lti/courses/{course.pk}/").status_code == 404
    assert "History readings" not in client.get("/lists/").content.decode()


def test_the_deep_linking_picker_offers_a_co_instructor_only_the_lists_they_edit(client, launch, course, draft):
    lists.publish_list(draft.owners.first(), draft)
    r = co_launch(launch, message_type="LtiDeepLinkingRequest")
    assert r["Location"] == "/lti/deep-link/"
    picker = client.get("/lti/deep-link/").content.decode()
    assert "History readings" not in picker   # readable, but not theirs to place
    assert 'data-testid="dl-none-yours"' in picker and f"/lti/courses/{course.pk}/" in picker
    refused = client.post("/lti/deep-link/", {"target": f"list:{draft.pk}"})
    assert refused.status_code == 400 and b"LMS-1" in refused.content
