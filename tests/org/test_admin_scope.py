"""The Django admin of an institution's administrator (ORG-3, ORG-5, ORG-6): they cannot make
anyone superuser or staff, cannot move people, groups, libraries or courses to another
institution, cannot add or remove institutions, and every change they make is in the audit
trail with the fields it changed."""
from __future__ import annotations

import pytest

from syllabus.core import audit
from syllabus.org.models import Institution, User

pytestmark = pytest.mark.django_db


def _user_form(user, **changes):
    data = {"username": user.username, "first_name": user.first_name, "last_name": user.last_name, "email": user.email,
            "is_active": "on", "institution": user.institution_id or "", "user_group": user.user_group_id or "",
            "phone": "", "preferred_language": "", "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00",
            "role_assignments-TOTAL_FORMS": "0", "role_assignments-INITIAL_FORMS": "0"}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_an_institution_administrator_cannot_grant_superuser_or_staff(client, admin_user, student):
    client.force_login(admin_user)
    page = client.get(f"/admin/org/user/{student.pk}/change/").content.decode()
    assert 'name="is_superuser"' not in page and 'name="is_staff"' not in page and 'name="user_permissions"' not in page
    client.post(f"/admin/org/user/{student.pk}/change/", _user_form(student, is_superuser="on", is_staff="on"))
    student.refresh_from_db()
    assert not student.is_superuser and not student.is_staff


def test_an_institution_administrator_cannot_move_people_or_libraries_away(client, admin_user, student, inst_b, library_a):
    client.force_login(admin_user)
    response = client.post(f"/admin/org/user/{student.pk}/change/", _user_form(student, institution=inst_b.pk))
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    student.refresh_from_db()
    assert student.institution != inst_b

    page = client.get(f"/admin/org/library/{library_a.pk}/change/").content.decode()
    assert "Institution B" not in page, "only their own institution is offered"


def test_an_institution_administrator_cannot_add_or_delete_institutions(client, admin_user, inst_a):
    client.force_login(admin_user)
    assert client.get("/admin/org/institution/add/").status_code == 403
    assert client.post(f"/admin/org/institution/{inst_a.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Institution.objects.filter(pk=inst_a.pk).exists()


def _course_form(client, course) -> dict:
    """The course's admin form as the page fills it in (what a browser would post back)."""
    form = client.get(f"/admin/courses/course/{course.pk}/change/").context["adminform"].form
    data = {name: ("" if value is None else value) for name, value in form.initial.items() if name in form.fields}
    data = {k: v for k, v in data.items() if not isinstance(v, list)}
    for name, field in form.fields.items():
        if hasattr(field.widget, "widgets"):  # split date/time: the form posts two parts
            data.pop(name, None)
            data[f"{name}_0"], data[f"{name}_1"] = "2026-01-01", "00:00:00"
    return data


def test_changes_in_the_admin_are_in_the_audit_trail(client, admin_user, course):
    client.force_login(admin_user)
    data = _course_form(client, course)
    data["name"] = "Modern European History"
    # the course's SIS ids (LMS-1: LIS course sourcedIds), an inline of the page
    data.update({"sis_ids-TOTAL_FORMS": "1", "sis_ids-INITIAL_FORMS": "0", "sis_ids-0-sis_id": "2026S-HIST101-01"})
    response = client.post(f"/admin/courses/course/{course.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    course.refresh_from_db()
    assert course.name == "Modern European History"
    assert list(course.sis_ids.values_list("sis_id", "institution_id")) == [("2026S-HIST101-01", course.institution_id)]
    entries = list(audit.trail(course)[:2])
    assert {e.actor for e in entries} == {admin_user}
    assert any(e.changes.get("name", [None, None])[1] == "Modern European History" for e in entries)
    assert any(e.changes.get("sis_ids") == [[], ["2026S-HIST101-01"]] for e in entries)


def test_an_sis_id_of_another_course_is_refused_in_the_admin(client, admin_user, course):
    from syllabus.courses import services as courses

    other = courses.create_course(None, course.institution, code="ECON200", name="Economics")
    courses.set_sis_ids(None, other, ["2026S-ECON200"])
    client.force_login(admin_user)
    data = _course_form(client, course)
    data.update({"sis_ids-TOTAL_FORMS": "1", "sis_ids-INITIAL_FORMS": "0", "sis_ids-0-sis_id": "2026S-ECON200"})
    response = client.post(f"/admin/courses/course/{course.pk}/change/", data)
    assert response.status_code == 200 and "CRS-2: the SIS id 2026S-ECON200 already names the course ECON200" in response.content.decode()
    assert not course.sis_ids.exists()


def test_a_user_added_by_an_institution_administrator_belongs_to_their_institution(client, admin_user):
    client.force_login(admin_user)
    response = client.post("/admin/org/user/add/", {"username": "newcomer", "password1": "a-long-pass-phrase-9",
                                                    "password2": "a-long-pass-phrase-9", "usable_password": "true"})
    assert response.status_code == 302
    user = User.objects.get(username="newcomer")
    assert user.institution == admin_user.institution
    assert audit.trail(user).filter(action="created", actor=admin_user).exists()


def test_an_institution_administrator_cannot_touch_a_superuser_of_their_institution(client, admin_user, make_user):
    root = make_user("root", is_superuser=True, is_staff=True)
    assert root.institution_id == admin_user.institution_id
    client.force_login(admin_user)
    response = client.post(f"/admin/org/user/{root.pk}/password/",
                           {"password1": "taken-over-9x", "password2": "taken-over-9x", "usable_password": "true"})
    assert response.status_code in (302, 404)
    root.refresh_from_db()
    assert not root.check_password("taken-over-9x"), "the superuser's password is unchanged"
    assert client.get(f"/admin/org/user/{root.pk}/change/").status_code in (302, 404)
    assert "root" not in client.get("/admin/org/user/").content.decode()


def test_many_to_many_choices_are_scoped_to_the_administrators_institution(client, admin_user, inst_b, make_user, course):
    from tests.factories import CourseFactory

    make_user("outsider_instructor", institution=inst_b)
    CourseFactory(institution=inst_b, code="GEOG101", name="Landscapes")
    client.force_login(admin_user)
    page = client.get(f"/admin/courses/course/{course.pk}/change/").content.decode()
    assert "outsider_instructor" not in page
    page = client.get("/admin/lists/resourcelist/add/").content.decode()
    assert "GEOG101" not in page and "outsider_instructor" not in page
