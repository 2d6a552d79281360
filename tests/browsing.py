"""Helpers for browser tests that walk the site the way a person does."""
from __future__ import annotations

MENUS = {"Library": "library", "Back office": "back_office"}


def follow_menu(page, menu: str, link: str) -> None:
    """Open the main navigation's ``menu`` ("Library" or "Back office"; it is a <details>) and
    follow its ``link``, as a person with a mouse would (DSC-2 grouped navigation)."""
    group = page.locator(f"[data-testid=nav-{MENUS[menu]}]")
    if group.get_attribute("open") is None:
        group.locator("> summary").click()
    group.get_by_role("link", name=link, exact=True).click()
