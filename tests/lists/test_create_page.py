"""``/lists/new/`` is a page (session 20; LST-1, LST-8): a link to it, a reload after a refused post
or a bookmark used to answer 405.  Now it is the create-list form for whoever may create lists
(instructors, the library), with a course of one's own ticked from ``?course=``; a refused post
comes back to it with the rule and everything typed; anyone else gets the LST-8 refusal page
with the way back to their lists — for every role, never a 405 nor a 500."""
from __future__ import annotations

import pytest
from django.urls import reverse

from syllabus.lists.models import ResourceList
from syllabus.org.roles import Role

pytestmark = pytest.mark.django_db

NEW = "/lists/new/"


def test_the_address_is_the_create_page_of_the_lists_app():
    assert reverse("lists:create") == NEW


def test_an_instructor_opens_the_form_with_the_courses_they_teach(client, instructor, course):
    client.force_login(instructor)
    r = client.get(NEW)
    assert r.status_code == 200
    html = r.content.decode()
    assert "<title>Create a list" in html and "<h1>Create a list</h1>" in html
    assert f'action="{NEW}"' in html and 'id="new-title"' in html and 'data-testid="create-list"' in html
    assert f'name="courses" value="{course.pk}">' in html  # offered, not ticked
    assert f'href="{reverse("lists:mine")}">Back to your lists</a>' in html
    ticked = client.get(NEW, {"course": course.pk}).content.decode()
    assert f'name="courses" value="{course.pk}" checked>' in ticked
    for hostile in ("99999999999999999999", "-1", "x" * 900):  # not a course of theirs: nothing ticked, no error
        r = client.get(NEW, {"course": hostile})
        assert r.status_code == 200 and "checked" not in r.content.decode().split('data-testid="create-list"')[1]


def test_a_refused_post_comes_back_to_the_page_with_the_rule_and_what_was_typed(client, instructor, course):
    client.force_login(instructor)
    r = client.post(NEW, {"title": "", "description": "Week by week", "courses": [str(course.pk)]})
    assert r.status_code == 400
    html = r.content.decode()
    assert "<strong>LST-1:</strong>" in html and 'role="alert"' in html
    assert ">Week by week</textarea>" in html and f'name="courses" value="{course.pk}" checked>' in html
    assert 'aria-invalid="true"' in html
    assert not ResourceList.objects.exists()
    r = client.post(NEW, {"title": "Modern history", "courses": [str(course.pk)]})
    lst = ResourceList.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse("lists:edit", args=[lst.pk])
    assert list(lst.courses.all()) == [course]


@pytest.mark.parametrize("role", [None, *Role.values, "superuser", "instructor"])
def test_every_role_gets_a_page_never_a_405(client, make_user, course, role):
    """GET and HEAD, for every role of ORG-3: the form (those who may create lists: the library,
    instructors, a superuser) or the LST-8 refusal page — never 405, never a 500."""
    from syllabus.lists.services import can_create_list

    if role == "instructor":
        user = course.instructors.get()
    elif role == "superuser":
        user = make_user("root", group="staff", is_superuser=True, is_staff=True)
    else:
        user = make_user(f"u-{role or 'reader'}", group="staff" if role else "undergraduate", roles=[role] if role else [])
    client.force_login(user)
    for method in ("get", "head"):
        r = getattr(client, method)(NEW)
        if can_create_list(user):
            assert r.status_code == 200, (role, method, r.status_code)
            assert method == "head" or 'data-testid="create-list"' in r.content.decode()
        else:
            assert r.status_code == 403, (role, method, r.status_code)
            assert method == "head" or ("<strong>LST-8:</strong> only instructors and the library create resource lists"
                                        in r.content.decode())


def test_a_student_is_refused_naming_the_rule_with_the_way_back(client, student, course):
    client.force_login(student)
    r = client.get(NEW)
    assert r.status_code == 403
    html = r.content.decode()
    assert "LST-8" in html and f'href="{reverse("lists:mine")}">Back to your lists</a>' in html
    assert 'data-testid="create-list"' not in html
