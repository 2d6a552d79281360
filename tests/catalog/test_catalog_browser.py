"""In Chromium: a student searches the catalog, narrows with a facet, adds a record to My
collection without a reload, opens the record page and finds it in My collection (DSV-1..3);
cite it from a pasted page (DSV-4)."""
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from tests.browsing import follow_menu

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
FIXTURES = Path(__file__).parent / "fixtures"


def test_search_facet_collect_and_record_page(page, login, student, make_record, inst_a, library_a, library_a2):
    make_record(inst_a, title="Pride and prejudice", author=[{"family": "Austen", "given": "Jane"}], ISBN="9780141439518",
                issued={"date-parts": [[2003]]}, items=[(library_a, "P-1"), (library_a2, "P-2", "on_loan")])
    make_record(inst_a, title="Emma", author=[{"family": "Austen", "given": "Jane"}], issued={"date-parts": [[1996]]},
                items=[(library_a2, "E-1", "on_loan")])
    login("student")
    follow_menu(page, "Library", "Search the library")
    page.get_by_label("Title, author, subject, ISBN, DOI or course code").fill("austen")
    page.get_by_role("button", name="Search", exact=True).click()
    # the empty-query browse page already shows both records: wait for the search's own answer
    expect(page).to_have_url(re.compile(r"q=austen"))
    expect(page.get_by_test_id("result-count")).to_have_text("2 results")
    page.locator('[data-facet="availability:available"]').click()
    expect(page.get_by_test_id("result-count")).to_have_text("1 result")
    expect(page).to_have_url(re.compile(r"q=austen.*availability=available|availability=available.*q=austen"))

    page.get_by_role("button", name="Add “Pride and prejudice” to My collection").click()
    expect(page.locator("#catalog-results").get_by_text("In My collection")).to_be_visible()

    page.get_by_role("link", name="Pride and prejudice").click()
    expect(page.get_by_role("heading", name="Pride and prejudice", level=1)).to_be_visible()
    expect(page.get_by_test_id("holdings")).to_contain_text("P-2")
    expect(page.get_by_test_id("formatted")).to_have_text("Austen, J. (2003). Pride and prejudice.")

    follow_menu(page, "Library", "My collection")
    expect(page.get_by_test_id("collection")).to_contain_text("Pride and prejudice")
    page.get_by_role("button", name="Remove “Pride and prejudice”").click()
    expect(page.get_by_test_id("collection")).not_to_contain_text("Pride and prejudice")


def test_cite_it_from_pasted_html(page, login, student):
    login("student")
    page.goto("/catalog/cite-it/")
    expect(page.get_by_test_id("bookmarklet")).to_have_attribute("href", re.compile(r"^javascript:"))
    page.get_by_label("…or paste its HTML source (for pages behind a sign-in)").fill((FIXTURES / "citeit" / "highwire.html").read_text())
    page.get_by_role("button", name="Read the page").click()
    expect(page.get_by_test_id("formats")).to_contain_text("Highwire citation_*")
    expect(page.get_by_label("Title")).to_have_value("Deep learning")
    page.get_by_label("Title").fill("Deep learning (review)")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("collection")).to_contain_text("Deep learning (review)")


def test_adding_a_second_record_keeps_the_first_ones_answer(page, login, student, make_record, inst_a, library_a):
    """A reader adds two results to My collection in quick succession: each button answers, the
    first one's slower answer is not abandoned for the second (a result's forms keep their own
    htmx request slot; the search page's slot is for the search and its facets)."""
    from syllabus.catalog.models import CollectionEntry
    from tests.browsing import Held

    first = make_record(inst_a, title="Persuasion", items=[(library_a, "A-1")])
    make_record(inst_a, title="Mansfield Park", items=[(library_a, "A-2")])
    login("student")
    page.goto("/catalog/")
    results = page.locator("#catalog-results")
    expect(page.get_by_test_id("result-count")).to_have_text("2 results")
    slow = Held(page, re.compile(rf"/catalog/records/{first.pk}/collect/"))
    page.get_by_role("button", name="Add “Persuasion” to My collection").click()
    page.get_by_role("button", name="Add “Mansfield Park” to My collection").click()
    expect(results.locator(".result").filter(has_text="Mansfield Park").get_by_text("In My collection")).to_be_visible()
    slow.release()
    expect(results.locator(".result").filter(has_text="Persuasion").get_by_text("In My collection")).to_be_visible()
    assert CollectionEntry.objects.filter(user=student).count() == 2
