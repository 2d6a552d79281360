"""CRS-2: the roster pages — every role and institution; the library adds, changes roles,
removes and replaces from a file; instructors only read; nothing changes on a refusal."""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from syllabus.courses.models import Enrollment


def test_librarian_sees_and_edits_the_roster(client, course, librarian, make_user):
    make_user("dora", first_name="Dora")
    client.force_login(librarian)
    page = client.get(f"/courses/{course.pk}/roster/")
    assert page.status_code == 200 and b"Remove student" in page.content and b'data-testid="roster"' in page.content
    assert b"roster-link" in client.get(f"/courses/{course.pk}/").content
    from tests.conftest import full_width

    r = client.post(f"/courses/{course.pk}/roster/add/", {"username": full_width("dora"), "role": "student"}, follow=True)
    assert b"dora added as student" in r.content  # typed in full width: NFKC finds dora
    r = client.post(f"/courses/{course.pk}/roster/add/", {"username": "ghost", "role": "student"}, follow=True)
    assert b"no person" in r.content and b"CRS-2: " in r.content
    client.post(f"/courses/{course.pk}/roster/student/remove/")
    assert sorted(course.students.values_list("username", flat=True)) == ["dora"]
    page = client.get(f"/courses/{course.pk}/roster/")
    assert b"Unenrolled" in page.content  # the recent changes, from the audit trail


def test_replace_from_a_file_is_all_or_nothing(client, course, librarian, make_user):
    make_user("eve")
    client.force_login(librarian)
    bad = SimpleUploadedFile("r.csv", b"username,role\neve,student\nghost,student\n", content_type="text/csv")
    r = client.post(f"/courses/{course.pk}/roster/upload/", {"file": bad}, follow=True)
    assert b"ghost" in r.content and b"CRS-2: " in r.content
    assert list(course.students.values_list("username", flat=True)) == ["student"]
    good = SimpleUploadedFile("r.csv", b"username,role\neve,student\ninstructor,instructor\n", content_type="text/csv")
    r = client.post(f"/courses/{course.pk}/roster/upload/", {"file": good}, follow=True)
    assert b"Roster replaced: created 1, updated 0, unchanged 1, removed 1." in r.content
    assert list(course.students.values_list("username", flat=True)) == ["eve"]


def test_the_instructor_reads_but_cannot_change(client, course, instructor, student):
    client.force_login(instructor)
    page = client.get(f"/courses/{course.pk}/roster/")
    assert page.status_code == 200 and b"student" in page.content and b"Remove student" not in page.content
    assert client.post(f"/courses/{course.pk}/roster/student/remove/").status_code == 404
    assert Enrollment.objects.filter(course=course, user=student).exists()


@pytest.mark.parametrize("who", ["student", "outsider"])
def test_students_and_other_institutions_do_not_see_the_roster(client, course, student, make_user, inst_b, who):
    client.force_login(student if who == "student" else make_user("outsider", institution=inst_b))
    assert client.get(f"/courses/{course.pk}/roster/").status_code == 404
    assert client.post(f"/courses/{course.pk}/roster/add/", {"username": "student", "role": "instructor"}).status_code == 404
    assert client.post(f"/courses/{course.pk}/roster/student/remove/").status_code == 404
    assert b"roster-link" not in client.get(f"/courses/{course.pk}/").content
    assert Enrollment.objects.filter(course=course, user=student).exists()
