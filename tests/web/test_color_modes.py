"""The pages under a dark colour scheme and under forced colours (Windows high contrast), in
Chromium (session 21).

- Dark: the pages keep their own light colours (no rule follows prefers-color-scheme), so nothing
  becomes dark on dark: axe's contrast check still passes on the student's list and the editor.
- Forced colours drop every background: the current page of the navigation and the current tab
  were told only by their background — they now have an outline and an underline in the system's
  text colour, which the other links have not (WCAG 1.4.1, 1.4.11)."""
from __future__ import annotations

import pytest

from tests.web.test_accessibility import _sent_title, check, world  # noqa: F401  (the accessibility pages' data)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MARKS = """el => { const s = getComputedStyle(el);
  return {outline: s.outlineStyle + ' ' + s.outlineWidth, line: s.textDecorationLine, background: s.backgroundColor}; }"""


@pytest.mark.parametrize("who,address", [("student", lambda w: f"/lists/{w['list'].pk}/"),
                                         ("instructor", lambda w: f"/lists/{w['list'].pk}/edit/")],
                         ids=["student_list", "list_editor"])
def test_a_dark_colour_scheme_leaves_every_text_readable(page, login, world, who, address):  # noqa: F811
    page.emulate_media(color_scheme="dark")
    login(who)
    response = page.goto(address(world))
    assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches")
    check(page, _sent_title(response))


def test_under_forced_colours_the_current_page_and_tab_are_marked_without_a_background(page, login, world):  # noqa: F811
    page.emulate_media(forced_colors="active")
    login("librarian")
    page.goto("/lists/tasks/")
    assert page.evaluate("matchMedia('(forced-colors: active)').matches")
    current, other = page.get_by_test_id("tab-unassigned"), page.get_by_test_id("tab-mine")
    assert current.get_attribute("aria-current") == "page"
    marked, plain = current.evaluate(MARKS), other.evaluate(MARKS)
    assert marked["outline"].startswith("solid") and "underline" in marked["line"], marked
    assert not plain["outline"].startswith("solid") and "underline" not in plain["line"], plain
    nav = page.get_by_role("navigation", name="Main")
    page.goto("/lists/")
    mine = nav.locator("a[aria-current=page]")
    assert mine.count() == 1
    assert "underline" in mine.evaluate(MARKS)["line"]
    others = nav.locator("a:not([aria-current])").first.evaluate(MARKS)
    assert "underline" not in others["line"], others
