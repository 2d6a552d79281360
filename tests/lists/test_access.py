"""Acceptance 2 and the role matrix (LST-8, ORG-3): a student enrolled in the course sees the
published list; a student of another course, and anyone before publishing, gets 404; a student
cannot change anything (403); no credentials → 401 (API) / login redirect (pages)."""
import pytest

from syllabus.lists import services
from syllabus.lists.models import Citation, ResourceList


def _write_calls(ids):
    lst, sec, cit = ids["list"], ids["section"], ids["citation"]
    return [
        ("patch", f"/api/v1/lists/{lst}", {"title": "Hacked"}),
        ("post", f"/api/v1/lists/{lst}/publish", {}),
        ("post", f"/api/v1/lists/{lst}/unpublish", {}),
        ("post", f"/api/v1/lists/{lst}/send", {}),
        ("post", f"/api/v1/lists/{lst}/assign", {"username": "student"}),
        ("post", f"/api/v1/lists/{lst}/sections", {"title": "Mine"}),
        ("patch", f"/api/v1/sections/{sec}", {"title": "Mine"}),
        ("post", f"/api/v1/sections/{sec}/move", {"position": 1}),
        ("delete", f"/api/v1/sections/{sec}", None),
        ("post", f"/api/v1/lists/{lst}/citations", {"section_id": sec, "type": "book", "metadata": {"title": "X"}}),
        ("patch", f"/api/v1/citations/{cit}", {"public_note": "mine now"}),
        ("patch", f"/api/v1/citations/{cit}", {"status": "complete"}),
        ("post", f"/api/v1/citations/{cit}/send", {}),
        ("post", f"/api/v1/citations/{cit}/move", {"position": 2}),
        ("post", f"/api/v1/citations/{cit}/status", {"status": "complete"}),
        ("delete", f"/api/v1/citations/{cit}", None),
        ("delete", f"/api/v1/citations/{cit}/file", None),
        ("get", f"/api/v1/lists/{lst}/history", None),
        ("get", f"/api/v1/lists/{lst}/tasks", None),
    ]


@pytest.fixture
def published(built_list, instructor):
    services.publish_list(instructor, built_list["list"])
    return built_list


@pytest.fixture
def ids(published):
    return {"list": published["list"].pk, "section": published["sections"][0].pk, "citation": published["book"].pk}


def _call(client, method, path, data):
    if method == "get":
        return client.get(path)
    if method == "delete":
        return client.delete(path)
    return getattr(client, method)(path, data)


def test_acceptance_2_enrolled_student_sees_the_published_list(api, student, published):
    r = api(student).get(f"/api/v1/lists/{published['list'].pk}")
    assert r.status_code == 200
    body = r.json()
    assert [s["title"] for s in body["sections"]] == ["Week 1", "Week 2"]
    book = body["sections"][0]["citations"][0]
    assert book["formatted"].startswith("Thompson, E. P. (1963)")
    assert book["public_note"] == "Read chapter 1"
    assert book["library_note"] is None  # the private note for the library stays private
    assert body["permissions"] == {"edit": False, "process": False}
    listed = api(student).get("/api/v1/lists").json()["items"]
    assert [row["id"] for row in listed] == [published["list"].pk]


def test_acceptance_2_student_of_another_course_gets_404(api, other_student, published):
    assert api(other_student).get(f"/api/v1/lists/{published['list'].pk}").status_code == 404
    assert api(other_student).get(f"/api/v1/citations/{published['book'].pk}").status_code == 404
    assert api(other_student).get("/api/v1/lists").json()["items"] == []


def test_acceptance_2_nobody_but_editors_and_the_library_sees_a_draft(api, built_list, student, other_student,
                                                                     make_user, librarian, inst_b):
    pk = built_list["list"].pk
    other_teacher = make_user("colleague", group="faculty")
    foreign_librarian = make_user("foreignlib", institution=inst_b, group="staff")
    from syllabus.org.roles import Role
    from syllabus.org.services import assign_role

    assign_role(foreign_librarian, Role.COURSE_RESERVES_OPERATOR)
    for user in (student, other_student, other_teacher, foreign_librarian):
        assert api(user).get(f"/api/v1/lists/{pk}").status_code == 404, user.username
        assert api(user).get(f"/api/v1/citations/{built_list['book'].pk}").status_code == 404
    assert api(librarian).get(f"/api/v1/lists/{pk}").status_code == 200


def test_acceptance_2_a_student_cannot_change_anything(api, student, published, ids):
    before = (ResourceList.objects.values().get(pk=ids["list"]), list(Citation.objects.values().order_by("pk")))
    for method, path, data in _write_calls(ids):
        r = _call(api(student), method, path, data)
        assert r.status_code == 403, (method, path, r.status_code, r.content)
        assert r.json()["rule"] in ("LST-8", "LST-7", "LST-4")
    assert (ResourceList.objects.values().get(pk=ids["list"]), list(Citation.objects.values().order_by("pk"))) == before


def test_a_student_of_another_course_changing_anything_gets_404(api, other_student, published, ids):
    for method, path, data in _write_calls(ids):
        r = _call(api(other_student), method, path, data)
        assert r.status_code == 404, (method, path, r.status_code)


def test_no_credentials_is_401_everywhere(api, published, ids):
    calls = _write_calls(ids) + [("get", f"/api/v1/lists/{ids['list']}", None), ("get", "/api/v1/lists", None),
                                 ("get", "/api/v1/librarian/lists", None), ("post", "/api/v1/lists", {"title": "x"})]
    for method, path, data in calls:
        r = _call(api(), method, path, data)
        assert r.status_code == 401, (method, path)
        assert r.json()["rule"] == "AUTH"


def test_pages_need_sign_in(client, published, ids):
    from django.urls import reverse

    for url in (reverse("lists:mine"), reverse("lists:view", args=[ids["list"]]), reverse("lists:edit", args=[ids["list"]]),
                reverse("lists:update-citation", args=[ids["list"], ids["citation"]]),  # the item's edit page
                reverse("lists:tasks"), reverse("lists:library", args=[ids["list"]]), reverse("lists:file", args=[ids["citation"]])):
        r = client.get(url)
        assert r.status_code == 302 and "/login/" in r["Location"], url
    r = client.post(reverse("lists:send", args=[ids["list"]]))
    assert r.status_code == 302 and "/login/" in r["Location"]


def test_pages_for_a_student(client, student, other_student, published, ids):
    from django.urls import reverse

    client.force_login(student)
    assert client.get(reverse("lists:view", args=[ids["list"]])).status_code == 200
    assert client.get(reverse("lists:edit", args=[ids["list"]])).status_code == 403
    item_page = reverse("lists:update-citation", args=[ids["list"], ids["citation"]])
    assert client.get(item_page).status_code == 403
    assert client.get(item_page, HTTP_HX_REQUEST="true").status_code == 403  # nor loaded in place
    assert client.get(reverse("lists:library", args=[ids["list"]])).status_code == 403
    assert client.get(reverse("lists:tasks")).status_code == 403
    r = client.post(reverse("lists:send", args=[ids["list"]]))
    assert r.status_code == 403
    r = client.post(reverse("lists:add-citation", args=[ids["list"]]), {"title": "Sneaky", "type": "book"})
    assert r.status_code == 403
    assert not Citation.objects.filter(title="Sneaky").exists()
    client.force_login(other_student)
    assert client.get(reverse("lists:view", args=[ids["list"]])).status_code == 404
    assert client.get(item_page).status_code == 404
    assert client.post(reverse("lists:send", args=[ids["list"]])).status_code == 404


def test_unpublished_list_page_is_404_for_the_enrolled_student(client, student, built_list):
    from django.urls import reverse

    client.force_login(student)
    assert client.get(reverse("lists:view", args=[built_list["list"].pk])).status_code == 404


def test_instructor_cannot_do_the_librarians_part(api, instructor, librarian, published, ids):
    services.send_list(instructor, published["list"])
    teacher = api(instructor)
    assert teacher.post(f"/api/v1/lists/{ids['list']}/assign", {"username": "librarian"}).status_code == 403
    r = teacher.patch(f"/api/v1/lists/{ids['list']}", {"status": "complete"})
    assert r.status_code == 403 and r.json()["rule"] == "LST-4"
    r = teacher.patch(f"/api/v1/citations/{ids['citation']}", {"status": "complete"})
    assert r.status_code == 403 and r.json()["rule"] == "LST-4"
    assert teacher.get("/api/v1/librarian/lists").status_code == 403
    assert teacher.get(f"/api/v1/lists/{ids['list']}/tasks").status_code == 403


def test_collaborators_edit_but_only_owners_change_ownership(api, instructor, make_user, built_list):
    helper = make_user("ta", group="postgraduate")
    pk = built_list["list"].pk
    r = api(instructor).patch(f"/api/v1/lists/{pk}", {"collaborators": ["ta"]})
    assert r.status_code == 200 and r.json()["collaborators"] == ["ta"]
    r = api(helper).post(f"/api/v1/lists/{pk}/citations", {"type": "book", "metadata": {"title": "Added by the TA"}})
    assert r.status_code == 201
    r = api(helper).patch(f"/api/v1/lists/{pk}", {"owners": ["ta"]})
    assert r.status_code == 403 and r.json()["rule"] == "LST-8"
    assert api(helper).get("/api/v1/lists").json()["items"][0]["id"] == pk


def test_only_instructors_of_the_course_link_a_list_to_it(api, make_user, course, other_course):
    outsider = make_user("prof2", group="faculty")
    other_course.instructors.add(outsider)
    r = api(outsider).post("/api/v1/lists", {"title": "Mine", "course_ids": [course.pk]})
    assert r.status_code == 403 and r.json()["rule"] == "CRS-3"
    assert not ResourceList.objects.exists()


def test_a_student_cannot_create_a_list(api, student):
    r = api(student).post("/api/v1/lists", {"title": "Mine"})
    assert r.status_code == 403
    assert not ResourceList.objects.exists()


def test_librarian_creates_a_list_owned_by_the_course_instructors(api, librarian, course):
    r = api(librarian).post("/api/v1/lists", {"title": "Reserve", "course_ids": [course.pk]})
    assert r.status_code == 201
    assert r.json()["owners"] == ["instructor"]


def test_librarian_pages_are_for_librarians_of_the_institution(client, instructor, make_user, inst_b, built_list):
    from django.urls import reverse

    from syllabus.org.roles import Role

    pk = built_list["list"].pk
    client.force_login(instructor)
    assert client.get(reverse("lists:tasks")).status_code == 403
    assert client.get(reverse("lists:library", args=[pk])).status_code == 403
    assert client.post(reverse("lists:assign", args=[pk]), {"assign_me": "1"}).status_code == 403
    foreign = make_user("foreign-lib", institution=inst_b, roles=[Role.COURSE_RESERVES_OPERATOR])
    client.force_login(foreign)
    assert client.get(reverse("lists:library", args=[pk])).status_code == 404
    assert client.get(reverse("lists:edit", args=[pk])).status_code == 404
    assert client.get(reverse("lists:update-citation", args=[pk, built_list["book"].pk])).status_code == 404
    assert client.post(reverse("lists:list-status", args=[pk]), {"status": "complete"}).status_code == 404
