"""Issue 19: the student view reads the list with *this* reader's owner / collaborator /
enrolment flags in the list's own query, and its sections and items from the cache under the
list's revision.  The permission rules stay exactly those of LST-8 (the same answer as the full
read, for every kind of person), and a change shows at once in every worker — each worker has
its own cache (CACHE_URL unset), so nothing may rely on invalidating one."""
from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache.backends.locmem import LocMemCache
from django.urls import reverse

from syllabus.core.errors import NotFound
from syllabus.courses.models import Enrollment
from syllabus.lists import selectors, services
from syllabus.lists.models import Citation, ResourceList
from syllabus.lists.workflow import Visibility
from syllabus.org.roles import Role

pytestmark = pytest.mark.django_db


def _answer(user, lst, *, reader: bool):
    try:
        found, acc = selectors.list_with_items(user, lst.pk, reader=reader)
    except NotFound:
        return "404"
    return acc, [c.pk for s in found.section_list for c in s.items]


@pytest.mark.parametrize("published", [True, False])
def test_the_readers_flags_give_the_same_access_as_the_full_read_for_everyone(
        built_list, instructor, student, other_student, librarian, make_user, inst_b, published):
    lst = built_list["list"]
    collaborator = make_user("collab", group="faculty")
    services.update_list(instructor, lst, collaborators=["collab"])
    other_librarian = make_user("lib-b", institution=inst_b, group="staff", roles=[Role.COURSE_RESERVES_OPERATOR])
    admin = make_user("root", is_superuser=True)
    if published:
        services.publish_list(instructor, lst)
    people = {"owner": instructor, "collaborator": collaborator, "librarian": librarian, "student": student,
              "student of another course": other_student, "librarian of another institution": other_librarian,
              "superuser": admin, "anonymous": AnonymousUser()}
    answers = {}
    for name, user in people.items():
        full = _answer(user, ResourceList.objects.get(pk=lst.pk), reader=False)
        fast = _answer(user, ResourceList.objects.get(pk=lst.pk), reader=True)
        assert fast == full, name
        answers[name] = full if full == "404" else full[0]
    assert answers["student"] == "404" if not published else answers["student"].student
    assert answers["student of another course"] == "404"
    assert answers["librarian of another institution"] == "404"
    assert answers["anonymous"] == "404"
    assert answers["owner"].owner and answers["collaborator"].collaborator and answers["librarian"].process


def test_a_withdrawn_enrolment_hides_the_list_at_once(client, built_list, instructor, student, course):
    lst = built_list["list"]
    services.publish_list(instructor, lst)
    client.force_login(student)
    url = reverse("lists:view", args=[lst.pk])
    assert client.get(url).status_code == 200
    Enrollment.objects.filter(user=student, course=course).delete()
    assert client.get(url).status_code == 404


@pytest.fixture
def two_workers(monkeypatch):
    """Two worker processes' own caches: the student view is served by one, then the other."""
    caches = {name: LocMemCache(f"worker-{name}", {"OPTIONS": {"MAX_ENTRIES": 1000}}) for name in ("a", "b", "a-pages", "b-pages")}

    def serve(name):
        from syllabus.lists import views
        from syllabus.lists.templatetags import lists_tags

        for module in (selectors, views, lists_tags):
            monkeypatch.setattr(module, "cache", caches[name])
        monkeypatch.setattr(lists_tags, "page_cache", lambda: caches[f"{name}-pages"])
    return serve


def test_a_change_made_anywhere_shows_at_once_in_every_workers_cached_view(client, built_list, instructor, student,
                                                                          course, two_workers):
    lst = built_list["list"]
    services.publish_list(instructor, lst)
    client.force_login(student)
    url = reverse("lists:view", args=[lst.pk])

    def page(worker):
        two_workers(worker)
        response = client.get(url)
        assert response.status_code == 200
        return response.content.decode()

    assert "Read chapter 1" in page("a") and "Read chapter 1" in page("b")  # both workers' caches filled
    # written by "another process": a plain save, no service and no cache of this worker involved
    book = Citation.objects.get(pk=built_list["book"].pk)
    book.public_note = "Read chapters 1 to 3"
    book.save()
    assert "Read chapters 1 to 3" in page("a") and "Read chapters 1 to 3" in page("b")

    Citation.objects.get(pk=built_list["site"].pk).delete()
    assert "The Victorian Web" not in page("a") and "The Victorian Web" not in page("b")

    course.name = "Modern History, an introduction"  # the header: courses are read on every request
    course.save()
    assert "Modern History, an introduction" in page("a") and "Modern History, an introduction" in page("b")

    ResourceList.objects.filter(pk=lst.pk).update(visibility=Visibility.DRAFT)  # no signal, no revision: read per request
    two_workers("a")
    assert client.get(url).status_code == 404
    two_workers("b")
    assert client.get(url).status_code == 404


def test_the_cached_items_are_a_fresh_copy_for_each_reader(client, built_list, instructor, student, make_user, course):
    """What one reader's page attaches to the items (their done marks, holds: ``item_access``)
    never reaches the next reader through the cache."""
    lst = built_list["list"]
    services.publish_list(instructor, lst)
    first, _acc = selectors.list_with_items(student, lst.pk, reader=True)
    for s in first.section_list:
        for c in s.items:
            c.item_access = {"mine": {"done": True}}
    classmate = make_user("classmate")
    Enrollment.objects.create(course=course, user=classmate)
    second, _acc = selectors.list_with_items(classmate, lst.pk, reader=True)
    assert not any(hasattr(c, "item_access") for s in second.section_list for c in s.items)
