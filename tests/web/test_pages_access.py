"""Every page of the shell, for every role: anonymous → sign-in; others see what is theirs."""
import pytest

from tests.factories import CourseFactory

PAGES = ["/", "/courses/"]


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_is_sent_to_sign_in(client, db, path):
    r = client.get(path)
    assert r.status_code == 302 and r.url.startswith("/login/")


@pytest.mark.parametrize("who", ["student", "instructor", "librarian", "admin_user"])
def test_every_role_sees_home_and_course_search(client, request, course, who):
    user = request.getfixturevalue(who)
    client.force_login(user)
    assert client.get("/").status_code == 200
    r = client.get("/courses/", {"q": "HIST"})
    assert r.status_code == 200 and b"HIST101" in r.content


def test_course_of_another_institution_is_404(client, course, inst_b, make_user):
    client.force_login(make_user("outsider", institution=inst_b))
    assert client.get(f"/courses/{course.pk}/").status_code == 404


def test_only_course_managers_see_the_course_history(client, course, student, librarian):
    client.force_login(student)
    assert b'id="history-h"' not in client.get(f"/courses/{course.pk}/").content
    client.force_login(librarian)
    assert b'id="history-h"' in client.get(f"/courses/{course.pk}/").content


def test_back_office_navigation_only_for_staff(client, course, student, librarian):
    client.force_login(student)
    assert b"Back office" not in client.get("/").content
    client.force_login(librarian)
    assert b"Back office" in client.get("/").content


def test_htmx_search_returns_only_the_results_fragment(client, course, student, inst_a):
    CourseFactory(institution=inst_a, code="BIO200", name="Genetics")
    client.force_login(student)
    r = client.get("/courses/", {"q": "genetics"}, HTTP_HX_REQUEST="true")
    assert b"<html" not in r.content and b"BIO200" in r.content and b"HIST101" not in r.content


def test_admin_is_scoped_to_the_administrators_institution(client, admin_user, inst_b, course):
    from syllabus.org.models import Institution

    client.force_login(admin_user)
    r = client.get("/admin/org/institution/")
    assert r.status_code == 200
    assert b"Institution A" in r.content and b"Institution B" not in r.content
    Institution.objects.get(code="inst-b")
    assert client.get(f"/admin/org/institution/{inst_b.pk}/change/").status_code in (302, 404)
