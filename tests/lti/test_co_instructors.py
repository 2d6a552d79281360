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
    # not silently into the student view: the course page says why they cannot edit it (LST-8)
    assert r.status_code == 302 and r["Location"] == f"/lti/courses/{course.pk}/"
    page = client.get(f"/lists/{draft.pk}/")
    assert page.status_code == 200 and b"Age of Revolution" in page.content
    assert client.get(f"/lists/{draft.pk}/edit/").status_code in (403, 404)
    course_page = client.get(r["Location"]).content.decode()
    assert 'data-testid="lti-read-only"' in course_page and "Irene Instructor" in course_page
    assert "you see it as your students do" in course_page and 'data-testid="lti-ask-to-edit"' in course_page
    assert f'href="/lists/{draft.pk}/"' in course_page and f"/lists/{draft.pk}/edit/" not in course_page


def test_lst8_asking_to_edit_writes_one_letter_to_each_owner_once(client, launch, course, draft, make_user):
    from syllabus.core.models import AuditEntry
    from syllabus.notify.models import OutboxMessage

    second = make_user("second-owner", group="faculty", first_name="Sam", last_name="Second", email="sam@uni.edu")
    lists.update_list(draft.owners.first(), draft, owners=["instructor", "second-owner"])
    lists.publish_list(draft.owners.first(), draft)
    co_launch(launch)
    url = f"/lti/courses/{course.pk}/lists/{draft.pk}/ask-to-edit/"
    r = client.post(url, follow=True)
    assert r.redirect_chain[-1][0] == f"/lti/courses/{course.pk}/"
    assert "Your request was sent to the list&#x27;s 2 owners" in r.content.decode()
    letters = OutboxMessage.objects.filter(letter="collaboration_asked", channel="email")
    assert sorted(m.recipient.username for m in letters) == ["instructor", "second-owner"]
    body = letters.get(recipient=second).body
    assert "Cole Teacher teaches HIST101" in body and f"/lists/{draft.pk}/edit/" in body and "lti-" in body
    assert AuditEntry.objects.filter(action="collaboration asked").count() == 1
    client.post(url)   # asking again writes no second letter
    assert OutboxMessage.objects.filter(letter="collaboration_asked", channel="email").count() == 2
    # once added, the launch opens the editor
    lists.update_list(draft.owners.first(), draft, collaborators=[User.objects.get(email="co.teacher@uni.edu").username])
    assert co_launch(launch)["Location"] == f"/lists/{draft.pk}/edit/"
    refused = client.post(url, follow=True).content.decode()
    assert "LST-8: you already edit this list" in refused


def test_lst8_only_an_instructor_of_the_course_may_ask(client, launch, course, draft, student, make_user):
    from syllabus.notify.models import OutboxMessage

    lists.publish_list(draft.owners.first(), draft)
    url = f"/lti/courses/{course.pk}/lists/{draft.pk}/ask-to-edit/"
    client.force_login(student)
    assert "LST-8: only an instructor of the course" in client.post(url, follow=True).content.decode()
    co_launch(launch)
    other = lists.create_list(draft.owners.first(), title="Another course's list")
    assert "LST-8: this list is not a list of the course" in client.post(
        f"/lti/courses/{course.pk}/lists/{other.pk}/ask-to-edit/", follow=True).content.decode()
    assert client.get(url).status_code == 405
    assert not OutboxMessage.objects.filter(letter="collaboration_asked").exists()


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
