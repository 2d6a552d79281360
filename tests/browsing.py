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


class Held:
    """Holds the browser's requests to URLs matching ``url`` (a glob, regex or predicate, as
    ``page.route`` takes) until :meth:`release`: an answer made slower than the next one on
    purpose, to show which answer the page keeps when two are in flight."""

    def __init__(self, page, url):
        self.page, self.url, self.routes = page, url, []
        page.route(url, self._hold)

    def _hold(self, route) -> None:
        self.routes.append(route)

    def release(self) -> None:
        """Lets the held requests go on, then stops holding; a request the page has abandoned
        meanwhile (an aborted htmx request) is let go of too."""
        from playwright.sync_api import Error

        self.page.unroute(self.url, self._hold)
        for route in self.routes:
            try:
                route.continue_()
            except Error:      # the page abandoned it
                pass


# Records, in the page, the URL of every XMLHttpRequest (htmx's requests) once it has ended —
# answered, aborted or failed — at its "loadend", which comes after htmx has handled the answer
# (swapped it, or failed to: an answer for an element another answer replaced is lost).
XHR_ENDED = """() => {
  window.__xhrEnded = [];
  const open = XMLHttpRequest.prototype.open, send = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.open = function (method, url) { this.__url = String(url); return open.apply(this, arguments); };
  XMLHttpRequest.prototype.send = function () {
    this.addEventListener("loadend", () => window.__xhrEnded.push(this.__url));
    return send.apply(this, arguments);
  };
}"""


def xhr_ended(page, url_part: str) -> None:
    """Waits until a request whose URL contains ``url_part`` has ended and the page has handled it
    (needs ``page.evaluate(XHR_ENDED)`` first)."""
    page.wait_for_function("part => window.__xhrEnded.some(u => u.includes(part))", arg=url_part)


def tab_to(page, locator, limit: int = 300) -> None:
    """Press Tab until ``locator`` has the focus (a keyboard user's path); fails after ``limit`` presses."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if locator.evaluate("el => el === document.activeElement"):
            return
    raise AssertionError(f"Tab never reached {locator}")
