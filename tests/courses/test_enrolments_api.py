"""CRS-2: the enrolments API — GET (instructors of the course and staff), PUT the whole roster,
POST and DELETE one person (staff) — every role, every institution."""
import pytest

from syllabus.core.models import AuditEntry
from syllabus.courses.models import Enrollment
from tests.problem import problem


def url(course, username=""):
    return f"/api/v1/courses/{course.pk}/enrolments" + (f"/{username}" if username else "")


def test_staff_and_the_courses_instructor_read_the_roster(api, course, librarian, instructor, student):
    for who in (librarian, instructor):
        r = api(who).get(url(course))
        assert r.status_code == 200, r.content
        body = r.json()
        assert body["count"] == 2
        assert [(m["username"], m["role"]) for m in body["items"]] == [("instructor", "instructor"), ("student", "student")]
    r = api(librarian).get(url(course), {"role": "student", "limit": 1})
    assert [m["username"] for m in r.json()["items"]] == ["student"]


@pytest.mark.parametrize("who", ["student", "outsider"])
def test_students_and_other_institutions_are_refused(api, course, student, make_user, inst_b, who):
    user = student if who == "student" else make_user("outsider", institution=inst_b)
    r = api(user).get(url(course))
    assert r.status_code == (403 if who == "student" else 404)
    assert problem(r)["rule"] in ("CRS-2", "NOT-FOUND")
    for call in (lambda c: c.put(url(course), {"members": []}), lambda c: c.post(url(course, "student"), {"role": "student"}),
                 lambda c: c.delete(url(course, "student"))):
        assert call(api(user)).status_code in (403, 404)
    assert Enrollment.objects.filter(course=course, user=student).exists()


def test_an_instructor_cannot_edit_the_roster(api, course, instructor, student):
    r = api(instructor).delete(url(course, "student"))
    assert r.status_code == 403 and problem(r)["rule"] == "CRS-1"


def test_put_replaces_the_whole_roster(api, course, librarian, make_user):
    make_user("ann"), make_user("ben")
    r = api(librarian).put(url(course), {"members": [{"username": "ann"}, {"username": "ben", "role": "instructor"},
                                                     {"username": "instructor", "role": "instructor"}]})
    assert r.status_code == 200, r.content
    assert r.json() == {"created": 2, "updated": 0, "unchanged": 1, "removed": 1}
    assert sorted(course.students.values_list("username", flat=True)) == ["ann"]
    assert sorted(course.instructors.values_list("username", flat=True)) == ["ben", "instructor"]
    assert AuditEntry.objects.filter(action="unenrolled", note__startswith="student").exists()


def test_put_with_an_unknown_person_changes_nothing(api, course, librarian):
    r = api(librarian).put(url(course), {"members": [{"username": "ghost"}]})
    assert r.status_code == 400 and problem(r)["rule"] == "CRS-2" and "ghost" in problem(r)["detail"]
    assert course.students.count() == 1


def test_post_adds_or_changes_a_role_and_delete_removes(api, course, librarian, make_user):
    make_user("carl")
    r = api(librarian).post(url(course, "carl"), {"role": "student"})
    assert r.status_code == 201 and r.json()["created"] == 1
    assert api(librarian).post(url(course, "carl"), {"role": "student"}).status_code == 200
    r = api(librarian).post(url(course, "carl"), {"role": "instructor"})
    assert r.status_code == 200 and r.json()["updated"] == 1
    assert course.instructors.filter(username="carl").exists() and not course.students.filter(username="carl").exists()
    assert api(librarian).delete(url(course, "carl")).status_code == 204
    assert not course.instructors.filter(username="carl").exists()
    r = api(librarian).delete(url(course, "carl"))
    assert r.status_code == 404 and problem(r)["rule"] == "CRS-2"
    r = api(librarian).post(url(course, "nobody"), {"role": "student"})
    assert r.status_code == 404 and problem(r)["rule"] == "CRS-2"


def test_bad_role_and_bounds_are_refused(api, course, librarian):
    assert api(librarian).post(url(course, "student"), {"role": "teacher"}).status_code == 422
    assert api(librarian).get(url(course), {"limit": 100000}).status_code == 422
