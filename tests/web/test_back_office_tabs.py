"""Tabbed back-office pages (session 21: an outside-in librarian session, LST-7, DIG-10, SRV-4,
DSC-2, CON-2): a mistyped or old ``?tab=`` opens the page's default tab — never a "Not allowed"
page — and every tab says how many rows it holds."""
import re

import pytest
from django.urls import reverse

from syllabus.org.roles import Role

pytestmark = pytest.mark.django_db

#: every tabbed back-office page: (url name, query parameter, its default tab's test id)
TABBED = [
    ("lists:tasks", "tab", "tab-unassigned"),
    ("fulfillment:work", "tab", "tab-open"),
    ("notify:outbox", "status", None),        # its tabs are links with ?status=; the default is Pending
    ("discussion:alerts", "show", "tab-awaiting"),
    ("circulation:accessible", "status", "tab-open"),
    ("consortium:ill", "side", "tab-supplier"),
]


@pytest.fixture
def back_office(make_user):
    return make_user("backoffice", group="staff", is_superuser=True, is_staff=True,
                     roles=[Role.GENERAL_SYSTEM_ADMINISTRATOR, Role.COURSE_RESERVES_OPERATOR])


def _current(html: str) -> list[str]:
    return re.findall(r'<a [^>]*data-testid="(tab-[a-z]+)"[^>]*aria-current="page"', html)


@pytest.mark.parametrize("name, param, default", TABBED)
@pytest.mark.parametrize("bad", ["bogus", "MINE", "' or 1=1", ""])
def test_an_unknown_tab_opens_the_default_tab(client, back_office, name, param, default, bad):
    client.force_login(back_office)
    plain = client.get(reverse(name))
    r = client.get(reverse(name), {param: bad})
    assert r.status_code == 200, (name, bad, r.status_code)
    html = r.content.decode()
    assert "Not allowed" not in html and "This could not be done" not in html
    if default:
        assert _current(html) == [default] == _current(plain.content.decode()), (name, bad)
    else:
        assert 'href="?status=pending"' in html and re.search(r'href="\?status=pending[^"]*"[^>]*aria-current="page"', html)


def test_the_task_list_falls_back_for_tab_and_sort_but_the_api_still_refuses(client, api, back_office):
    client.force_login(back_office)
    r = client.get(reverse("lists:tasks"), {"tab": "bogus", "sort": "bogus"})
    assert r.status_code == 200 and _current(r.content.decode()) == ["tab-unassigned"]
    body = api(back_office).get("/api/v1/librarian/lists", {"tab": "bogus"}).json()
    assert body["rule"] == "LST-7" and "tab is one of mine, unassigned, others" in body["detail"]


def test_a_bad_filter_is_a_page_that_says_it_could_not_be_done_not_that_it_is_not_allowed(client, back_office, student):
    client.force_login(back_office)
    r = client.get(reverse("lists:tasks"), {"status": "bogus"})
    html = r.content.decode()
    assert r.status_code == 400 and "<title>This could not be done" in html and "LST-7" in html and "Not allowed" not in html
    client.force_login(student)
    r = client.get(reverse("lists:tasks"))
    assert r.status_code == 403 and "<title>Not allowed" in r.content.decode()


def test_the_discussion_inbox_counts_each_tab(client, back_office, instructor, course):
    from syllabus.discussion import services as discussion
    from syllabus.lists import services

    lst = services.create_list(instructor, title="HIST101 readings", courses=[course])
    discussion.post_message(instructor, lst, "Could you check week 5?")
    client.force_login(back_office)
    html = client.get(reverse("discussion:alerts")).content.decode()
    badges = dict(re.findall(r'data-testid="(tab-[a-z]+)"[^>]*>[^<]*<span class="badge">(\d+)</span>', html))
    assert badges == {"tab-awaiting": "1", "tab-unread": "1", "tab-all": "1"}
