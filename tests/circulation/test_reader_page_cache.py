"""Issue 19 (session 10): a student with nothing of their own on a published list (no done
mark, hold or loan) gets the **whole** page kept for every such reader — shell, shared content
and their (empty) own parts — under a key made of everything it shows, their name, CSRF token
and CSP nonce filled in per response (lists_tags.reader_page_key).  The page is the one
rendered for them without it, byte for byte but for the token and nonce; a change of the list,
of the reader's own part or of the shell shows at once, in every worker; each reader sees their
own name and token; every view is still counted (ANL-1)."""
from __future__ import annotations

import pickle
import re

import pytest
from django.contrib.messages import constants as message_levels
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from syllabus.analytics.models import UsageEvent
from syllabus.catalog.models import Item
from syllabus.circulation import services
from syllabus.courses.models import Enrollment
from syllabus.lists import services as list_services
from syllabus.lists.templatetags import lists_tags
from syllabus.notify.models import Notification

from .conftest import cite, item_html, make_record

pytestmark = pytest.mark.django_db

_MASK = re.compile(r'(csrfmiddlewaretoken" value="|"X-CSRFToken": "|nonce="|data-usage-token=")[^"]+')


@pytest.fixture
def classmate(make_user, course):
    other = make_user("classmate", first_name="Cleo", last_name="<Classmate>")
    Enrollment.objects.create(course=course, user=other)
    return other


def _get(client, user, lst, path_suffix: str = ""):
    client.force_login(user)
    return client.get(reverse("lists:view", args=[lst.pk]) + path_suffix)


def _page(client, user, lst, path_suffix: str = "") -> str:
    response = _get(client, user, lst, path_suffix)
    assert response.status_code == 200
    return response.content.decode()


def _kept() -> dict[str, str]:
    """The whole pages kept, as text with their placeholders."""
    return {k: "".join(p if i % 2 else p.decode() for i, p in enumerate(pickle.loads(v)))
            for k, v in lists_tags.page_cache()._cache.items() if ":lists:reader:" in k}


def _uncached(monkeypatch, client, user, lst) -> str:
    with monkeypatch.context() as m:
        m.setattr(lists_tags, "reader_page_key", lambda *a, **k: None)
        return _page(client, user, lst)


def test_readers_with_nothing_of_their_own_share_one_whole_page_with_their_name_and_token(client, titles, student,
                                                                                         classmate, monkeypatch):
    lst = titles["list"]
    student.first_name, student.last_name = "Sam", "Scholar"
    student.save()
    first = _page(client, student, lst)
    assert len(_kept()) == 1, "kept whole on the first view"
    kept = next(iter(_kept().values()))
    # what is kept holds nothing of one response or reader: placeholders for token, nonce and name
    assert not re.search(r'csrfmiddlewaretoken" value="[A-Za-z0-9]{64}"', kept) and "Scholar" not in kept
    assert f'value="{lists_tags.CSRF_PLACEHOLDER}"' in kept and f'nonce="{lists_tags.NONCE_PLACEHOLDER}"' in kept
    assert f'class="whoami">{lists_tags.WHOAMI_PLACEHOLDER}<' in kept
    again = _page(client, student, lst)
    theirs = _page(client, classmate, lst)
    assert len(_kept()) == 1, "the classmate's page is the same whole page"
    assert "Cleo &lt;Classmate&gt;" in theirs and "Cleo" not in first + again and "Scholar" not in theirs
    assert 'class="whoami">Sam Scholar<' in first and 'class="whoami">Sam Scholar<' in again
    for page in (first, again, theirs):
        assert "placeholder" not in page and "<!--syllabus-" not in page
    tokens = [set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', p)) for p in (first, again, theirs)]
    assert all(len(t) == 1 for t in tokens) and len(set.union(*tokens)) == 3, "a token of its own on every response"
    nonces = [set(re.findall(r'nonce="([^"]+)"', p)) for p in (again, theirs)]
    assert all(len(n) == 1 for n in nonces) and nonces[0] != nonces[1]
    # byte for byte the page rendered for them without the whole-page cache, but for token and nonce
    assert _MASK.sub(r"\1", theirs) == _MASK.sub(r"\1", _uncached(monkeypatch, client, classmate, lst))
    assert _MASK.sub(r"\1", again) == _MASK.sub(r"\1", _uncached(monkeypatch, client, student, lst))


def test_the_token_of_a_kept_page_is_accepted_and_its_nonce_is_the_responses(titles, student):
    lst, one = titles["list"], titles["one"]
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(student)
    browser.get(reverse("lists:view", args=[lst.pk]))   # kept
    response = browser.get(reverse("lists:view", args=[lst.pk]))
    assert len(_kept()) == 1
    page = response.content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    nonce = re.search(r'nonce="([^"]+)"', page).group(1)
    assert f"'nonce-{nonce}'" in response["Content-Security-Policy"]
    done = browser.post(reverse("circulation:done", args=[one.pk]), {"done": "1", "csrfmiddlewaretoken": token})
    assert done.status_code in (200, 302)
    assert 'data-testid="done-mark"' in item_html(browser.get(reverse("lists:view", args=[lst.pk])).content.decode(), one)


def test_the_readers_own_part_shows_at_once(client, titles, student, library_a):
    lst, one, two = titles["list"], titles["one"], titles["two"]
    assert "Your progress: 0 of 2 items done" in _page(client, student, lst)
    assert len(_kept()) == 1
    client.post(reverse("circulation:done", args=[one.pk]), {"done": "1"})
    marked = _page(client, student, lst)
    assert 'data-testid="done-mark"' in item_html(marked, one) and "Your progress: 1 of 2 items done" in marked
    client.post(reverse("circulation:done", args=[one.pk]), {"done": "0"})
    undone = _page(client, student, lst)
    assert 'data-testid="done-mark"' not in undone and "Your progress: 0 of 2 items done" in undone
    services.place_hold(student, two, pickup_library=library_a)
    assert 'data-testid="my-hold"' in item_html(_page(client, student, lst), two)


def test_a_change_to_the_published_list_shows_at_once_in_every_worker(client, titles, student, instructor, course,
                                                                     inst_a, two_workers):
    """Acceptance 4 of issue 19, with the whole page kept: each worker keeps its own."""
    lst, one = titles["list"], titles["one"]

    def both(check):
        for worker in ("a", "b"):
            two_workers(worker)
            page = _page(client, student, lst)
            assert len([k for k in lists_tags.page_cache()._cache if ":lists:reader:" in k]) >= 1
            check(page)

    both(lambda p: "1 of 2 available" in item_html(p, one) or pytest.fail("first view"))
    both(lambda p: "1 of 2 available" in item_html(p, one) or pytest.fail("kept"))
    list_services.update_list(instructor, lst, title="Modern history: the essentials")
    both(lambda p: "Modern history: the essentials" in p or pytest.fail("title"))
    list_services.update_citation(instructor, one, public_note="Start with the prelude")
    both(lambda p: "Start with the prelude" in p or pytest.fail("edit"))
    three = cite(instructor, lst, titles["section"], make_record(inst_a, "Hard Times"))
    both(lambda p: "Hard Times" in p and "0 of 3 items done" in p or pytest.fail("add"))
    list_services.delete_citation(instructor, three)
    both(lambda p: "Hard Times" not in p or pytest.fail("remove"))
    copy = Item.objects.get(pk=titles["copies"][1].pk)
    copy.status = Item.Status.IN_PLACE
    copy.save()   # (a plain save, as another process would)
    both(lambda p: "2 of 2 available" in item_html(p, one) or pytest.fail("availability"))
    course.name = "History of the modern world"
    course.save()
    both(lambda p: "History of the modern world" in p or pytest.fail("course"))
    list_services.unpublish_list(instructor, lst)
    for worker in ("a", "b"):
        two_workers(worker)
        assert _get(client, student, lst).status_code == 404


def test_the_shell_shows_every_change_at_once(client, titles, student, inst_a):
    lst = titles["list"]
    _page(client, student, lst)
    student.first_name, student.last_name = "Stella", "Student"
    student.save()
    assert "Stella Student" in _page(client, student, lst)
    inst_a.name = "Institution A, renamed"
    inst_a.save()
    assert "Institution A, renamed" in _page(client, student, lst)
    Notification.objects.create(user=student, letter="x", subject="One")
    assert 'aria-label="1 new">1</span>' in _page(client, student, lst)
    client.cookies["django_language"] = "fr"
    assert '<html lang="fr">' in _page(client, student, lst)
    del client.cookies["django_language"]
    assert '<html lang="en">' in _page(client, student, lst)


def test_messages_and_query_strings_are_never_served_from_a_kept_page(client, titles, student, rf):
    lst = titles["list"]
    _page(client, student, lst)
    kept = len(_kept())
    # a message waiting for the reader shows on the page (and is not kept with it)
    storage = CookieStorage(rf.get("/"))
    storage.add(message_levels.SUCCESS, "Saved for you")
    answer = HttpResponse()
    storage.update(answer)
    client.cookies["messages"] = answer.cookies["messages"].value
    assert "Saved for you" in _page(client, student, lst)
    assert "Saved for you" not in _page(client, student, lst), "shown once"
    assert len(_kept()) == kept and all("Saved for you" not in p for p in _kept().values())
    _page(client, student, lst, "?utm=1&x=%3Cb%3E")
    assert len(_kept()) == kept, "a query string is never part of a kept page"


def test_every_view_of_a_kept_page_is_counted(client, titles, student, classmate):
    lst = titles["list"]
    before = UsageEvent.objects.filter(kind="list_view").count()
    for user in (student, classmate, student, classmate, student):
        _page(client, user, lst)
    assert len(_kept()) == 1
    assert UsageEvent.objects.filter(kind="list_view").count() == before + 5
