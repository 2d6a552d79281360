"""A page that does not exist, or that the person may not know of (LST-8's 404), is still a page of
the product (session 17, the new user's walk): the shell with its menu, what may have happened and
a way on — not the server's bare "Not Found" with no way back."""
from __future__ import annotations

import pytest

from syllabus.web.nav import related

pytestmark = pytest.mark.django_db


def test_a_missing_page_keeps_the_shell_and_a_way_home(client, student):
    client.force_login(student)
    r = client.get("/lists/999999/")
    page = r.content.decode()
    assert r.status_code == 404
    assert "<h1>Page not found</h1>" in page and 'data-testid="not-found"' in page
    assert 'id="main-nav"' in page and 'href="/">Back to home</a>' in page


def test_a_missing_page_in_french(client, student):
    client.force_login(student)
    client.cookies["django_language"] = "fr"
    page = client.get("/no-such-page/").content.decode()
    assert "<h1>Page introuvable</h1>" in page and "Retour à l'accueil</a>" in page


def test_signed_out_it_offers_to_sign_in(client):
    r = client.get("/no-such-page/")
    assert r.status_code == 404 and 'href="/login/?next=/no-such-page/"' in r.content.decode()


def test_related_pages_are_the_menu_entries_the_person_sees(student, librarian):
    assert [e["name"] for e in related(student, "consortium:ill-mine", "consortium:ill-partners", "no:such")] == [
        "consortium:ill-mine"]
    assert [e["name"] for e in related(librarian, "consortium:ill-partners", "consortium:ill-mine")] == [
        "consortium:ill-partners", "consortium:ill-mine"]
