"""The README's tour, as the demo's ``student`` (found by s21-outside): the HIST101 list they open
has every kind of item the tour names, and each leads somewhere — a book in print (copies by
library, and why a copy is not there), an e-book (its link), an article's DOI, a chapter scanned
for the course (its file, inside its window), web links, a title lent digitally with its waitlist
(its page, to join), an item the library has no copy of (Find it), and a bought copy on order
(SRV-5, DSV-6, DIG-4, LDL-3, SRV-3)."""
from __future__ import annotations

import io

import pytest
from bs4 import BeautifulSoup
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_the_tour_list_has_every_kind_of_item_and_each_leads_somewhere(client):
    from syllabus.lists.models import ResourceList
    from syllabus.org.models import User

    call_command("demo", no_migrate=True, stdout=io.StringIO())
    hist101 = ResourceList.objects.filter(courses__code="HIST101", title__startswith="Introduction to Modern History").first()
    client.force_login(User.objects.get(username="student"))
    page = BeautifulSoup(client.get(f"/lists/{hist101.pk}/").content, "html.parser")

    kinds = {li["data-kind"]: li for li in page.select("[data-testid=access-online] [data-kind]")}
    assert set(kinds) >= {"eresource", "scan", "loan", "doi", "url"}
    assert kinds["eresource"].a["href"].startswith("https://")                       # the licensed e-book
    assert kinds["doi"].a["href"].startswith("https://doi.org/10.")
    assert "waiting" in kinds["loan"].get_text() and kinds["loan"].a is not None     # all copies out: still its page
    assert client.get(kinds["loan"].a["href"]).status_code == 200
    scan = client.get(kinds["scan"].a["href"])                                       # the chapter scanned for the course
    assert scan.status_code in (200, 302)
    assert not page.select("[data-kind=representation]")  # the scan once, not again as a staff-labelled "Digital copy"

    why = [w.get_text(" ", strip=True) for w in page.select("[data-testid=unavailable-why]")]
    assert "1 on order" in why                                     # the instructor's purchase request, bought (SRV-3)
    assert any(w.startswith("2 lent digitally") for w in why)     # Wealth of Nations' print copies, lent digitally (LDL-2)
    assert not any("on order or being processed" in w for w in why)
    # the chapter scanned for the course is offered once, named by its file (DIG-4)
    assert kinds["scan"].a.get_text(" ", strip=True).startswith("Digitized copy: thompson-ch6-189-212")
    assert not page.select("[data-testid=file-link]")
    assert any("kept for a reader on the hold shelf" in w for w in why) or any("on loan" in w for w in why)
    assert page.select("[data-testid=access-none]")                # nothing yet: Find it
    assert page.select("[data-testid=access-physical]")
    # the scanned chapter is cited as a chapter, with its author and year (not "E. P. Thompson. (n.d.)")
    assert "Thompson, E. P. (1963). Exploitation. In The Making of the English Working Class" in " ".join(page.get_text(" ").split()).replace(" .", ".")
