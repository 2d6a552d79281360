"""Issue 10 acceptance 2 (LMS-1): launches from a platform that runs as a separate process and
speaks the real protocol — a Learner is signed in, enrolled and sees the student view; an
Instructor lands in the editor; an instructor's unmatched context is linked or created."""
import pytest

from syllabus.courses.models import Course, Enrollment
from syllabus.lists import services as lists
from syllabus.lti.models import ContextLink, Identity, LoginState
from syllabus.org.models import User
from tests.lti.conftest import ADMIN, INSTRUCTOR, LEARNER, TA, context


@pytest.fixture
def reading_list(course, instructor):
    lst = lists.create_list(instructor, title="History readings", courses=[course])
    week = lists.add_section(instructor, lst, title="Week 1")
    lists.add_citation(instructor, lst, week, "book", {"title": "The Age of Revolution", "author": [{"family": "Hobsbawm"}]})
    lists.publish_list(instructor, lst)
    return lst


def test_a_learner_is_created_signed_in_enrolled_and_sees_the_student_view(client, launch, course, reading_list):
    r = launch({"sub": "lms-user-77", "email": "new.student@uni.edu", "given_name": "Nora", "family_name": "New",
                "roles": [LEARNER], "context": context(label="HIST101-01")})
    assert r.status_code == 302 and r["Location"] == f"/lists/{reading_list.pk}/", r.content[:600]
    user = User.objects.get(email="new.student@uni.edu")
    assert (user.first_name, user.institution.code, user.has_usable_password()) == ("Nora", "inst-a", False)
    assert Identity.objects.get(sub="lms-user-77").user == user
    assert Enrollment.objects.filter(course=course, user=user).exists()
    assert ContextLink.objects.get(context_id="ctx-hist").course == course
    assert Course.objects.get(pk=course.pk).lti_context_id == "ctx-hist"
    page = client.get(r["Location"])
    assert page.status_code == 200 and b'data-testid="student-view"' in page.content and b"Age of Revolution" in page.content
    # the second launch of the same person finds them by (issuer, sub): nobody new
    assert launch({"sub": "lms-user-77", "email": "changed@uni.edu", "roles": [LEARNER], "context": context()}).status_code == 302
    assert User.objects.filter(institution=course.institution).count() == 3
    assert LoginState.objects.filter(used_at__isnull=True).count() == 0


def test_an_instructor_is_matched_by_sourcedid_and_lands_in_the_editor(client, launch, course, reading_list, instructor):
    r = launch({"sub": "lms-teacher-1", "sourcedid": "instructor", "roles": [INSTRUCTOR], "context": context(), "nrps": False})
    assert r.status_code == 302 and r["Location"] == f"/lists/{reading_list.pk}/edit/"
    assert Identity.objects.get(sub="lms-teacher-1").user == instructor
    assert client.get(r["Location"]).status_code == 200


def test_a_full_width_sourcedid_is_the_same_person_not_a_second_account(client, launch, course, reading_list, instructor):
    """The LMS sends "ｉｎｓｔｒｕｃｔｏｒ" (full-width): read in NFKC like the sign-in form, it is the
    person "instructor", not a look-alike account beside them."""
    people = User.objects.count()
    r = launch({"sub": "lms-teacher-fw", "sourcedid": "ｉｎｓｔｒｕｃｔｏｒ", "roles": [INSTRUCTOR], "context": context(),
                "nrps": False})
    assert r.status_code == 302 and r["Location"] == f"/lists/{reading_list.pk}/edit/"
    assert Identity.objects.get(sub="lms-teacher-fw").user == instructor
    assert User.objects.count() == people


def test_a_teaching_assistant_teaches_and_an_administrator_gets_no_rights(launch, course, reading_list, make_user):
    make_user("ta", email="ta@uni.edu")
    launch({"sub": "lms-ta", "email": "ta@uni.edu", "roles": [TA], "context": context(), "nrps": False})
    assert course.instructors.filter(username="ta").exists()
    r = launch({"sub": "lms-admin", "email": "boss@uni.edu", "roles": [ADMIN], "context": context()})
    boss = User.objects.get(email="boss@uni.edu")
    assert not boss.role_assignments.exists() and not boss.is_staff
    assert not Enrollment.objects.filter(user=boss).exists() and not course.instructors.filter(pk=boss.pk).exists()
    assert r.status_code == 302


def test_an_instructors_unmatched_context_is_created_as_a_course(client, launch, inst_a, instructor):
    r = launch({"sub": "lms-teacher-1", "sourcedid": "instructor", "roles": [INSTRUCTOR], "nrps": False,
                "context": context(cid="ctx-new", label="NEW200", title="New Things")})
    assert r.status_code == 302 and r["Location"] == "/lti/context/"
    page = client.get("/lti/context/")
    assert b"Create the course NEW200" in page.content
    r = client.post("/lti/context/", {"action": "create"})
    course = Course.objects.get(institution=inst_a, code="NEW200")
    assert course.name == "New Things" and course.instructors.filter(pk=instructor.pk).exists()
    assert ContextLink.objects.get(context_id="ctx-new").course == course
    assert r.status_code == 302 and r["Location"] == f"/lti/courses/{course.pk}/"
    page = client.get(r["Location"])
    assert b'data-testid="lti-create-list"' in page.content
    # "create the list" posts to the list service with the course
    r = client.post("/lists/new/", {"title": "New readings", "courses": course.pk})
    assert r.status_code == 302 and course.resource_lists.get().title == "New readings"


def test_an_instructors_unmatched_context_is_linked_to_one_of_their_courses(client, launch, course, instructor, reading_list):
    launch({"sub": "lms-teacher-1", "sourcedid": "instructor", "roles": [INSTRUCTOR], "nrps": False,
            "context": context(cid="ctx-other", label="SOMETHING-ELSE")})
    page = client.get("/lti/context/")
    assert b"HIST101-01" in page.content
    r = client.post("/lti/context/", {"action": "link", "course": course.pk})
    assert r.status_code == 302 and r["Location"] == f"/lists/{reading_list.pk}/edit/"
    assert ContextLink.objects.get(context_id="ctx-other").course == course
    # next time the stored context id matches at once
    r = launch({"sub": "lms-teacher-1", "roles": [INSTRUCTOR], "nrps": False, "context": context(cid="ctx-other", label="SOMETHING-ELSE")})
    assert r["Location"] == f"/lists/{reading_list.pk}/edit/"


def test_a_student_of_an_unmatched_context_is_told_there_is_no_list_yet(client, launch, inst_a):
    r = launch({"sub": "lms-stu-9", "email": "s9@uni.edu", "roles": [LEARNER], "context": context(cid="c9", label="NOPE9")})
    assert r.status_code == 200 and b'data-testid="lti-no-list"' in r.content and b"LMS-1" in r.content
    assert not ContextLink.objects.exists()


def test_the_custom_course_code_rule_and_the_current_term_preference(launch, platform, inst_a):
    import datetime as dt

    from syllabus.core import clock

    today = clock.now().date()
    old = Course.objects.create(institution=inst_a, code="BIO1", name="Bio (old)", term="2020S",
                                start_date=dt.date(2020, 1, 1), end_date=dt.date(2020, 6, 1))
    now = Course.objects.create(institution=inst_a, code="BIO1", name="Bio (now)", term="NOW",
                                start_date=today - dt.timedelta(days=30), end_date=today + dt.timedelta(days=30))
    platform.course_match = "custom"
    platform.save()
    launch({"sub": "s-bio", "email": "bio@uni.edu", "roles": [LEARNER], "context": context(cid="c-bio", label="ignored"),
            "custom": {"course_code": "BIO1"}})
    assert Enrollment.objects.filter(course=now, user__email="bio@uni.edu").exists()
    assert not Enrollment.objects.filter(course=old).exists()


def test_a_course_with_several_lists_opens_the_course_page(client, launch, course, reading_list, instructor):
    second = lists.create_list(instructor, title="More readings", courses=[course])
    lists.publish_list(instructor, second)
    r = launch({"sub": "lms-user-5", "email": "five@uni.edu", "roles": [LEARNER], "context": context()})
    assert r["Location"] == f"/lti/courses/{course.pk}/"
    page = client.get(r["Location"])
    assert b"History readings" in page.content and b"More readings" in page.content and b"lti-create-list" not in page.content


def test_jwks_publishes_the_signing_key_and_a_rotated_one_for_a_while(client, db, clock):
    import datetime as dt

    from syllabus.lti import keys

    first = client.get("/lti/jwks/").json()["keys"]
    assert len(first) == 1 and first[0]["kty"] == "RSA" and first[0]["alg"] == "RS256" and "d" not in first[0]
    new = keys.rotate()
    kids = [k["kid"] for k in client.get("/lti/jwks/").json()["keys"]]
    assert kids == [new.kid, first[0]["kid"]] or sorted(kids) == sorted([new.kid, first[0]["kid"]])
    assert keys.signing_key() == new
    clock.set_now(clock.now() + dt.timedelta(days=15))
    assert [k["kid"] for k in client.get("/lti/jwks/").json()["keys"]] == [new.kid]


def test_lms1_a_platform_sending_only_the_full_name_names_the_person(client, launch, course, reading_list):
    """LMS-1 (found against OpenLearning's lti1p3platform, which sends ``name`` and neither
    ``given_name`` nor ``family_name``): the full name is split at its last space."""
    r = launch({"sub": "lms-user-88", "email": "mary.ann@uni.edu", "name": "Mary Ann  Evans",
                "roles": [LEARNER], "context": context(label="HIST101-01")})
    assert r.status_code == 302, r.content[:600]
    user = User.objects.get(email="mary.ann@uni.edu")
    assert (user.first_name, user.last_name) == ("Mary Ann", "Evans")
    assert "Mary Ann" in client.get(r["Location"]).content.decode()


def test_lms1_a_one_word_full_name_is_the_first_name(client, launch, course, reading_list):
    launch({"sub": "lms-user-89", "email": "plato@uni.edu", "name": "Plato", "roles": [LEARNER],
            "context": context(label="HIST101-01")})
    assert User.objects.get(email="plato@uni.edu").get_full_name() == "Plato"


def test_an_lti_launch_rotates_the_session_key(client, launch, course, reading_list):
    """Session fixation: a session planted in the browser before the launch signs nobody in after it."""
    from tests.conftest import assert_session_rotated, plant_session

    planted = plant_session(client)
    r = launch({"sub": "lms-user-fix", "email": "fix@uni.edu", "roles": [LEARNER], "context": context()})
    assert r.status_code == 302 and "_auth_user_id" in client.session
    assert_session_rotated(client, planted)
