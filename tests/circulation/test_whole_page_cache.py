"""Issue 19: the student view's content is kept whole in the cache (lists_tags.student_page) —
header, sections, items and their library services — under a key made of everything it shows,
read on each request; the reader's own parts (marks, holds, progress, list actions, side pane,
CSRF token, name and navigation) are filled into the same response.  A change shows at once in
every worker (two caches here), no reader ever gets another's part, whatever their role,
institution or language, and every view is still counted (ANL-1)."""
from __future__ import annotations

import pickle
import re

import pytest
from django.core.cache import cache
from django.urls import reverse

from syllabus.analytics.models import UsageEvent
from syllabus.catalog.models import Item
from syllabus.circulation import services
from syllabus.courses.models import Enrollment
from syllabus.lists import services as list_services
from syllabus.lists.templatetags import lists_tags
from syllabus.org import config

from .conftest import cite, item_html, make_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def classmate(make_user, course):
    other = make_user("classmate", first_name="Cleo", last_name="Classmate")
    Enrollment.objects.create(course=course, user=other)
    return other


def _get(client, user, lst, **headers):
    client.force_login(user)
    return client.get(reverse("lists:view", args=[lst.pk]), **headers)


def _page(client, user, lst, **headers) -> str:
    response = _get(client, user, lst, **headers)
    assert response.status_code == 200
    return response.content.decode()


def _pages() -> dict[str, str]:
    return {k: pickle.loads(v) for k, v in lists_tags.page_cache()._cache.items() if ":lists:page:" in k}


def _citation(page: str, citation) -> str:
    item = item_html(page, citation)
    return item[item.index('data-testid="citation"'):item.index("</div>", item.index('data-testid="citation"'))]


def test_two_students_share_one_rendering_with_their_own_parts_filled_in(client, titles, student, classmate, library_a):
    lst, one, two = titles["list"], titles["one"], titles["two"]
    client.force_login(student)
    client.post(reverse("circulation:done", args=[one.pk]), {"done": "1"})
    services.place_hold(student, two, pickup_library=library_a)
    mine = _page(client, student, lst)
    assert len(_pages()) == 1
    theirs = _page(client, classmate, lst)
    assert len(_pages()) == 1, "the classmate's page comes from the same shared rendering"
    shared = next(iter(_pages().values()))
    # what is kept holds no reader's part: markers, no name, no token, no mark, no hold
    assert "<!--syllabus-reader:" in shared and "<!--syllabus-hole:list_reader-->" in shared
    for private in ('data-testid="done-mark"', 'data-testid="my-hold"', "csrfmiddlewaretoken\" value=\"", "Your progress",
                    'class="whoami"', "Cleo"):
        assert private not in shared, private
    assert 'data-testid="done-mark"' in item_html(mine, one) and 'data-testid="my-hold"' in item_html(mine, two)
    assert "Your progress: 1 of 2 items done" in mine and "Your progress: 0 of 2 items done" in theirs
    assert 'data-testid="done-mark"' not in theirs and 'data-testid="my-hold"' not in theirs
    assert "Cleo Classmate" in theirs and "Cleo Classmate" not in mine
    assert "<!--syllabus-" not in mine + theirs and "syllabus-csrf-placeholder" not in mine + theirs
    tokens = [set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', p)) for p in (mine, theirs)]
    assert tokens[0] and tokens[1] and not tokens[0] & tokens[1]
    # the same page as rendered without the cache, apart from the tokens
    cache.clear()
    lists_tags.page_cache().clear()
    fresh = _page(client, classmate, lst)
    mask = re.compile(r'(csrfmiddlewaretoken" value="|"X-CSRFToken": "|nonce="|data-usage-token=")[^"]+')
    assert mask.sub(r"\1", fresh) == mask.sub(r"\1", _page(client, classmate, lst))


def test_editors_librarians_and_strangers_never_get_a_students_page(client, titles, student, instructor, librarian,
                                                                   other_student):
    lst = titles["list"]
    as_student = _page(client, student, lst)
    assert "Request digitization" not in as_student
    as_instructor = _page(client, instructor, lst)
    as_librarian = _page(client, librarian, lst)
    assert len(_pages()) == 1, "an editor's or librarian's page is rendered for them, never kept or shared"
    assert "Edit list" in as_instructor and "Edit list" in as_librarian and "Edit list" not in as_student
    assert "1 of 2 available" in as_instructor   # the shared services, rendered for them too
    assert _get(client, other_student, lst).status_code == 404
    client.logout()
    anonymous = client.get(reverse("lists:view", args=[lst.pk]))
    assert anonymous.status_code == 302 and "Middlemarch" not in anonymous.content.decode()


def test_readers_of_another_institution_and_language_get_their_own_page(client, titles, student, course, make_user,
                                                                       inst_b):
    lst = titles["list"]
    visitor = make_user("visitor", institution=inst_b)
    Enrollment.objects.create(course=course, user=visitor)
    config.set_value("link_resolver_base_url", "https://resolver.inst-b.example/openurl", institution=inst_b)
    ours = _page(client, student, lst)
    theirs = _page(client, visitor, lst)
    assert "resolver.inst-b.example" in theirs and "resolver.inst-b.example" not in ours
    client.cookies["django_language"] = "fr"
    french = _page(client, student, lst)
    del client.cookies["django_language"]
    english = _page(client, student, lst)
    assert '<html lang="fr">' in french and '<html lang="en">' in english
    assert len({k for k in _pages()}) >= 3   # one per institution's view of the services and per language
    assert 'aria-label="Library"' in english and 'aria-label="Bibliothèque"' in french


def test_every_kind_of_change_shows_at_once_in_every_worker(client, titles, student, instructor, course, two_workers,
                                                          inst_a):
    lst, one = titles["list"], titles["one"]

    def both(check):
        for worker in ("a", "b"):
            two_workers(worker)
            check(_page(client, student, lst))

    both(lambda p: "1 of 2 available" in item_html(p, one) or pytest.fail("first view"))
    # availability, written by "another process" (a plain save)
    copy = Item.objects.get(pk=titles["copies"][1].pk)
    copy.status = Item.Status.IN_PLACE
    copy.save()
    both(lambda p: "2 of 2 available" in item_html(p, one) or pytest.fail("availability"))
    # an item edited, added, moved, removed
    list_services.update_citation(instructor, one, public_note="Start with the prelude")
    both(lambda p: "Start with the prelude" in p or pytest.fail("edit"))
    three = cite(instructor, lst, titles["section"], make_record(inst_a, "Hard Times"))
    both(lambda p: "Hard Times" in p or pytest.fail("add"))
    list_services.move_citation(instructor, three, position=0)
    both(lambda p: p.index("Hard Times") < p.index("Middlemarch") or pytest.fail("reorder"))
    list_services.delete_citation(instructor, three)
    both(lambda p: "Hard Times" not in p or pytest.fail("remove"))
    # the course the header names
    course.name = "History of the modern world"
    course.save()
    both(lambda p: "History of the modern world" in p or pytest.fail("course"))
    # configuration the page shows: the citation style
    two_workers("a")
    before = _citation(_page(client, student, lst), one)
    config.set_value("citation_style", "chicago-author-date", institution=inst_a)
    both(lambda p: _citation(p, one) != before or pytest.fail("style"))
    # publication: unpublished, no worker shows it any more
    list_services.unpublish_list(instructor, lst)
    for worker in ("a", "b"):
        two_workers(worker)
        assert _get(client, student, lst).status_code == 404


def test_every_view_is_still_counted(client, titles, student, classmate):
    lst = titles["list"]
    before = UsageEvent.objects.filter(kind="list_view").count()
    for user in (student, classmate, student, classmate, student):
        _page(client, user, lst)
    assert len(_pages()) == 1
    assert UsageEvent.objects.filter(kind="list_view").count() == before + 5


def _without_csrf(page: str) -> str:
    """The page without what differs on every response: its CSRF tokens and CSP nonces."""
    page = re.sub(r'(="|"X-CSRFToken": ")[A-Za-z0-9]{64}"', r'\1TOKEN"', page)
    return re.sub(r'nonce="[^"]+"', 'nonce="NONCE"', page)


def test_a_readers_parts_rendered_from_one_stand_in_are_those_rendered_item_byitem_html(client, titles, student, instructor,
                                                                                   library_a, inst_a, monkeypatch):
    """Issue 19: on the items where the reader has nothing of their own, their part is rendered
    once from a stand-in and each item's id and title filled in (lists.slots: ``stencil``) —
    byte for byte what rendering it per item gives, titles with markup and the stand-in id in
    them included; the items where they have a done mark or a hold are rendered as theirs."""
    import dataclasses

    from syllabus.lists import slots

    lst, section = titles["list"], titles["section"]
    odd = cite(instructor, lst, section, make_record(inst_a, 'Tom & "Jerry" <b>999999999</b> \'99\''))
    client.force_login(student)
    client.post(reverse("circulation:done", args=[titles["one"].pk]), {"done": "1"})
    services.place_hold(student, titles["two"], pickup_library=library_a)
    third = cite(instructor, lst, section, make_record(inst_a, "Hard Times"))
    [reader] = slots.slots("citation_reader")
    stenciled = []

    def counting(request, context):
        found = reader.stencil(request, context)
        if found is not None:
            stenciled.append(context["citation"].pk)
        return found

    monkeypatch.setitem(slots.SLOTS, "citation_reader", [dataclasses.replace(reader, stencil=counting)])
    with_stencil = _page(client, student, lst)
    assert sorted(stenciled) == sorted([odd.pk, third.pk]), "the items with nothing of the reader's own"
    assert 'data-testid="done-mark"' in with_stencil and 'data-testid="my-hold"' in with_stencil
    assert "Tom &amp; &quot;Jerry&quot; &lt;b&gt;999999999&lt;/b&gt; &#x27;99&#x27;" in with_stencil
    monkeypatch.setitem(slots.SLOTS, "citation_reader", [dataclasses.replace(reader, stencil=None)])
    item_by_item = _page(client, student, lst)
    assert _without_csrf(with_stencil) == _without_csrf(item_by_item)
