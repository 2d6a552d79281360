"""Who sees which tag (LST-3; session 15): the instructor's tags (Essential, Recommended,
Optional) are the students' reading guidance and public; the system tags the library or the
system sets ("New Edition – Purchase requested", "Re-check after rollover", ...) are for the
list's editors and the library only — never on the student view nor in a reader's API answer."""
from __future__ import annotations

import pytest
from django.urls import reverse

from syllabus.lists.tags import TAGS, public_tags

pytestmark = pytest.mark.django_db

STAFF_ONLY = "New Edition – Purchase requested"


@pytest.fixture
def tagged(instructor, course):
    from syllabus.lists import services
    from syllabus.lists.models import Citation

    lst = services.create_list(instructor, title="HIST101 readings", courses=[course])
    section = services.add_section(instructor, lst, title="Week 1")
    citation = services.add_citation(instructor, lst, section, "book", {"title": "The Making of the English Working Class"})
    services.publish_list(instructor, lst)
    Citation.objects.filter(pk=citation.pk).update(tags=["essential", "new_edition_purchase_requested"])
    return lst, citation


def _api_tags(api, user, lst, citation):
    body = api(user).get(f"/api/v1/lists/{lst.pk}").json()
    listed = [c["tags"] for s in body["sections"] for c in s["citations"] if c["id"] == citation.pk]
    one = api(user).get(f"/api/v1/citations/{citation.pk}").json()["tags"]
    assert listed == [one]
    return one


def test_the_vocabulary_says_which_tags_are_public(api, student):
    assert {t.code for t in TAGS.values() if t.public} >= {"essential", "recommended", "optional"}
    assert not any(t.public for t in TAGS.values() if t.system)
    assert public_tags(["new_edition_available", "optional", "no-such-tag", "purchase_request_declined"]) == ["optional"]
    vocab = api(student).get("/api/v1/list-vocabulary").json()["tags"]
    assert {t["code"]: t["public"] for t in vocab}["new_edition_purchase_requested"] is False


def test_a_student_sees_the_public_tags_only(tagged, student, client, api):
    lst, citation = tagged
    client.force_login(student)
    page = client.get(reverse("lists:view", args=[lst.pk])).content.decode()
    assert "Essential" in page and STAFF_ONLY not in page
    assert _api_tags(api, student, lst, citation) == ["essential"]


@pytest.mark.parametrize("who", ["instructor", "librarian"])
def test_editors_and_the_library_see_the_system_tags_where_they_work(tagged, who, request, client, api):
    lst, citation = tagged
    user = request.getfixturevalue(who)
    client.force_login(user)
    work = reverse("lists:edit" if who == "instructor" else "lists:library", args=[lst.pk])
    assert STAFF_ONLY in client.get(work).content.decode()
    assert _api_tags(api, user, lst, citation) == ["essential", "new_edition_purchase_requested"]
    # their student view shows what the students see
    page = client.get(reverse("lists:view", args=[lst.pk])).content.decode()
    assert "Essential" in page and STAFF_ONLY not in page


def test_a_reader_of_another_course_sees_nothing(tagged, make_user, api, inst_b):
    lst, citation = tagged
    for other in (make_user("other-student"), make_user("outsider", institution=inst_b)):
        assert api(other).get(f"/api/v1/lists/{lst.pk}").status_code in (403, 404)
        assert api(other).get(f"/api/v1/citations/{citation.pk}").status_code in (403, 404)
