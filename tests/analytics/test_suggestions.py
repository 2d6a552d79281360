"""ANL-3: "often used with" ranks a planted co-occurrence first, counts usage only to break
ties, keeps other institutions' lists out unless they share, and shows in the list editor."""
from __future__ import annotations

import pytest

from syllabus.analytics.suggestions import often_used_with
from syllabus.lists import services


def _list(owner, title, titles, courses=(), publish=False):
    lst = services.create_list(owner, title=title, courses=list(courses))
    section = services.add_section(owner, lst, title="Readings")
    for t in titles:
        services.add_citation(owner, lst, section, "book", {"title": t})
    if publish:
        services.publish_list(owner, lst)
    return lst


def _teacher(make_user, username, **kw):
    from tests.factories import CourseFactory

    user = make_user(username, group="faculty", **kw)
    CourseFactory(institution=user.institution, code=f"T-{username}").instructors.add(user)
    return user


@pytest.fixture
def planted(instructor, course, make_user, clock):
    """Three other lists hold "Capital" together with "The Wealth of Nations" (our item); one list
    holds "Leviathan" with it; noise lists hold other pairs."""
    other = _teacher(make_user, "colleague")
    ours = _list(instructor, "Economic thought", ["The Wealth of Nations", "On Liberty"])
    for n in range(3):
        _list(other, f"Planted {n}", ["The Wealth of Nations", "Capital", f"Noise {n}"])
    _list(other, "Once", ["The Wealth of Nations", "Leviathan"])
    _list(other, "Unrelated", ["Leviathan", "Capital", "Moby Dick"])
    return ours


def test_the_planted_co_occurrence_ranks_first(planted):
    ranked = often_used_with(planted)
    assert ranked[0].title == "Capital" and ranked[0].lists == 3
    assert [s.title for s in ranked][:2] == ["Capital", "Leviathan"]
    assert "The Wealth of Nations" not in [s.title for s in ranked] and "Moby Dick" not in [s.title for s in ranked]


def test_for_one_item_only_its_own_companions(planted):
    from syllabus.lists.models import Citation

    liberty = Citation.objects.get(resource_list=planted, title="On Liberty")
    assert often_used_with(planted, citation=liberty) == []


def test_another_institutions_lists_count_only_when_it_shares(instructor, course, make_user, inst_b, clock):
    from syllabus.org import config

    ours = _list(instructor, "Mine", ["Dubliners"])
    elsewhere = _teacher(make_user, "prof-b", institution=inst_b)
    _list(elsewhere, "Their list", ["Dubliners", "Ulysses"], publish=True)
    assert often_used_with(ours) == []
    config.set_value("analytics_share_with_consortium", True, institution=inst_b)
    assert [s.title for s in often_used_with(ours)] == ["Ulysses"]


def test_the_editor_shows_often_used_with(client, planted, instructor, student):
    client.force_login(instructor)
    page = client.get(f"/lists/{planted.pk}/edit/")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-testid="often-used-with"' in body
    assert body.index("Capital") < body.index("Leviathan")
