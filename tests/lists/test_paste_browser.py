"""LST-2, LST-9 (session 22) in Chromium: the instructor pastes references copied from a Word
bibliography into the real list editor, sees what was read (the fields of each, one flagged "Needs
review"), chooses the section and adds them — without a page reload (htmx).  The references are
the CSL test-suite's items as citeproc renders them in APA and MLA (tests/data/csl/golden)."""
import pytest
from playwright.sync_api import expect

from syllabus.lists import services
from syllabus.lists.models import Citation
from tests.lists.test_paste import ZIMBARDO_APA, ZIMBARDO_MLA

pytestmark = pytest.mark.browser


def test_paste_references_preview_their_fields_and_add_them_to_the_chosen_section(page, login, instructor, course):
    lst = services.create_list(instructor, title="SOC 210", courses=[course])
    services.add_section(instructor, lst, title="Week 1")
    week2 = services.add_section(instructor, lst, title="Week 2")
    login("instructor")
    page.goto(f"/lists/{lst.pk}/edit/")
    url = page.url
    paste = page.get_by_test_id("paste")
    paste.get_by_label("References, a RIS or BibTeX record, DOIs or ISBNs").fill(
        f"{ZIMBARDO_APA}\n{ZIMBARDO_MLA}\nThe handout from the first lecture 2")
    paste.get_by_label("Add to section").select_option(label="Week 2")
    paste.get_by_role("button", name="Preview").click()

    expect(paste.get_by_test_id("paste-summary")).to_contain_text("3 references read.")
    expect(paste.get_by_test_id("paste-summary")).to_contain_text("1 will be tagged “Needs review”.")
    rows = paste.get_by_test_id("paste-row")
    expect(rows).to_have_count(3)
    expect(rows.nth(0).get_by_test_id("paste-read")).to_contain_text("American Psychologist")
    expect(rows.nth(0).get_by_test_id("paste-read")).to_contain_text("339–351")
    expect(rows.nth(1).get_by_test_id("paste-read")).to_contain_text("Zimbardo, Philip G.")
    expect(rows.nth(2).get_by_test_id("paste-read")).to_contain_text("Needs review")
    assert not Citation.objects.filter(resource_list=lst).exists()  # the preview added nothing

    paste.get_by_role("button", name="Add 3 items").click()
    expect(page.locator("#messages-live")).to_contain_text("3 items added. 1 is tagged “Needs review”")
    section = page.locator("[data-testid=section]").filter(has=page.get_by_role("heading", name="Week 2", exact=True))
    expect(section.locator("[data-testid=item]")).to_have_count(3)
    expect(section.locator("[data-testid=citation]").first).to_contain_text("Zimbardo, P. G. (2004)")
    expect(section.locator(".tag-needs_review")).to_have_count(1)
    assert page.url == url
    assert {c.section_id for c in Citation.objects.filter(resource_list=lst)} == {week2.pk}
