"""A reader whose purchase suggestion the library declined is not left at a dead end (DSV-6,
CON-2; session 17, the new user's walk): *My purchase requests* offers Find it's *Request through
inter-library loan* for that title, and points to *My inter-library loan requests* — pages of
consortium, which sits above acquisitions in the app graph, reached through the registries the
lower apps own (catalog's Find it next steps, the shell's navigation)."""
from __future__ import annotations

import pytest
from django.urls import reverse

from syllabus.org import config

pytestmark = pytest.mark.django_db

NOBODY = {"type": "book", "title": "A History of the Nowhere Press", "author": [{"family": "Nobody", "given": "Ann"}],
          "ISBN": "9780306406157", "issued": {"date-parts": [[2021]]}}
WAITING = {"type": "book", "title": "Still Being Decided", "ISBN": "9780262033848"}


def _declined(api, student, librarian) -> int:
    rid = api(student).post("/api/v1/purchase-suggestions", {"citation": NOBODY}).json()["id"]
    r = api(librarian).post(f"/api/v1/purchase-requests/{rid}/decline", {"reason": "Out of print"})
    assert r.status_code == 200
    return rid


def test_a_declined_suggestion_offers_an_inter_library_loan(student, librarian, api, client):
    _declined(api, student, librarian)
    api(student).post("/api/v1/purchase-suggestions", {"citation": WAITING})
    client.force_login(student)
    page = client.get(reverse("acquisitions:mine")).content.decode()
    assert page.count('data-testid="declined-ill"') == 1  # the declined one, not the one still being decided
    ask = page.split('data-testid="declined-ill"')[0].rsplit('href="', 1)[1].split('"')[0]
    assert ask.startswith(reverse("consortium:ill-ask") + "?")
    # the link opens the request form filled with the declined title
    form = client.get(ask.replace("&amp;", "&"))
    assert form.status_code == 200 and b'value="A History of the Nowhere Press"' in form.content
    # the page points to where those requests are followed, by the menu's own label
    assert f'href="{reverse("consortium:ill-mine")}" data-testid="related-page">My inter-library loan requests' in page


def test_no_offer_when_the_library_takes_no_readers_requests(student, librarian, api, client):
    _declined(api, student, librarian)
    config.set_value("ill_reader_requests_enabled", False, institution=student.institution)
    client.force_login(student)
    page = client.get(reverse("acquisitions:mine")).content.decode()
    assert 'data-testid="declined-ill"' not in page and "Out of print" in page


def test_the_library_card_points_to_inter_library_loan_requests(student, client):
    client.force_login(student)
    page = client.get(reverse("circulation:card")).content.decode()
    assert f'href="{reverse("consortium:ill-mine")}" data-testid="related-page"' in page
    assert f'href="{reverse("acquisitions:mine")}"' in page


def test_an_empty_page_says_where_to_start(student, client):
    client.force_login(student)
    page = client.get(reverse("acquisitions:mine")).content.decode()
    assert "open Find it under an item of a resource list" in page
    assert f'href="{reverse("lists:mine")}" data-testid="related-page"' in page
