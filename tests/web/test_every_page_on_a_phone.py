"""Every page a student, an instructor and a librarian can open, on a phone (390 × 844), in
Chromium, with the demo data (session 21).

The URL map is walked (as tests/security/test_every_role_every_page.py does, its path parameters
resolved to the demo's objects of Riverside): a new page is covered the day it is added.  Each
person opens every address; what answers a whole page (200, HTML, the shell's ``<main>``) must:

- scroll only downwards: the page no wider than the screen (WCAG 1.4.10 reflow);
- offer targets of at least 24 × 24 px (WCAG 2.2 2.5.8; a link inside a sentence, and a smaller
  target whose 24 px circle meets no other target, are exempt, as the criterion says);
- show a focus ring (2 px or more) on every control reached from the keyboard (WCAG 2.4.7);
- lead the first Tab to the skip link to the content (WCAG 2.4.1);
- have headings from one h1 down without a skipped level (WCAG 1.3.1);
- have a title of its own: two different addresses of one person never share a title
  (WCAG 2.4.2), and the title is kept after its <details> are opened;
- have no serious or critical axe violation (WCAG 2.0/2.1 A and AA), every <details> open.

Every failure of every page is collected, and the test fails once with all of them."""
from __future__ import annotations

import html
import io
import re

import pytest

from tests.web.test_accessibility import check
from tests.security.test_every_role_every_page import PAGES, _more, _objects, _parameters

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
PEOPLE = ("student", "instructor", "librarian")
# not a page to look at: the address does something (signs out, switches the language) or hands
# over a file or a frame's answer
NOT_PAGES = {"web:logout", "set_language", "healthz", "web:favicon",
             "notify:nav"}   # a bare page whose navigation htmx swaps into the page the person is on
# pages whose title may repeat another's: the same page under two addresses → why
SAME_TITLE: dict[tuple[str, str], str] = {}

MEASURE = """() => {
  const doc = document.documentElement;
  const inSentence = el => getComputedStyle(el).display === 'inline' && el.parentElement
    && el.parentElement.textContent.trim().length > el.textContent.trim().length + 1;
  const targets = [...document.querySelectorAll('main a[href], main button, main input:not([type=hidden]), main select, main textarea, main summary')]
    .map(el => ({el, r: el.getBoundingClientRect()}))
    .filter(t => !(t.r.width === 0 && t.r.height === 0) && !t.el.closest('.visually-hidden'));  // shown
  const under = t => t.r.width < 24 || t.r.height < 24;
  const centre = t => [t.r.left + t.r.width / 2, t.r.top + t.r.height / 2];
  // WCAG 2.5.8's spacing exception: an undersized target passes when a 24 px circle on its centre
  // meets no other target (nor another undersized target's circle)
  const spaced = t => { const [x, y] = centre(t);
    return targets.every(o => { if (o === t || o.el.contains(t.el) || t.el.contains(o.el)) return true;
      if (under(o)) { const [u, v] = centre(o); return Math.hypot(u - x, v - y) >= 24; }
      const dx = Math.max(o.r.left - x, 0, x - o.r.right), dy = Math.max(o.r.top - y, 0, y - o.r.bottom);
      return dx * dx + dy * dy >= 144; }); };
  const small = targets.filter(t => under(t) && !(t.el.tagName === 'A' && inSentence(t.el)) && !spaced(t))
    .map(({el, r}) => `${el.tagName.toLowerCase()} ${Math.round(r.width)}x${Math.round(r.height)} «${(el.textContent || el.name || '').trim().slice(0, 40)}»`);
  const wide = [];
  if (doc.scrollWidth > doc.clientWidth) {
    for (const el of document.querySelectorAll('main *')) {
      const r = el.getBoundingClientRect();
      if (r.right > doc.clientWidth + 1 && !el.closest('.table-scroll')) {
        const parentR = el.parentElement.getBoundingClientRect();
        if (parentR.right <= doc.clientWidth + 1) wide.push(`${el.tagName.toLowerCase()}.${el.className} ${Math.round(r.right)}px «${el.textContent.trim().slice(0, 50)}»`);
      }
    }
  }
  const levels = [...document.querySelectorAll('main h1, main h2, main h3, main h4, main h5, main h6')]
    .filter(h => h.getClientRects().length).map(h => +h.tagName[1]);
  return {scroll: doc.scrollWidth, client: doc.clientWidth, small: small.slice(0, 6), wide: wide.slice(0, 4), levels,
          shell: !!document.querySelector('body > main#main')};
}"""


# Focus each shown control of the page in turn, as the keyboard does (after a Tab, Chromium shows
# the focus of a focused element): each must show a ring of 2 px or more (WCAG 2.4.7).
NO_RING = """() => {
  const bare = [];
  for (const el of document.querySelectorAll('a[href], button:not([disabled]), input:not([type=hidden]):not([disabled]), select, textarea, summary, [tabindex="0"]')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    el.focus();
    if (document.activeElement !== el) continue;
    const s = getComputedStyle(el);
    if (!el.matches(':focus-visible') || s.outlineStyle === 'none' || parseFloat(s.outlineWidth) < 2)
      bare.push(`${el.tagName.toLowerCase()} «${(el.textContent || el.name || '').trim().slice(0, 40)}» ${s.outlineStyle} ${s.outlineWidth}`);
  }
  return bare.slice(0, 6);
}"""


@pytest.fixture
def demo(db):
    """The demo data (each app's ``demo.py``, 40 generated records) and the few objects it does not
    make (a rollover run, a collection entry...): the guard's world."""
    import importlib
    import importlib.util

    from django.apps import apps

    out = io.StringIO()
    for config in apps.get_app_configs():
        module_name = f"{config.name}.demo"
        if config.name.startswith("syllabus.") and importlib.util.find_spec(module_name) is not None:
            module = importlib.import_module(module_name)
            module.load(out, generated=40) if config.label == "catalog" else module.load(out)
    _more()
    return _objects()


def _address(values: dict, name: str, route: str) -> str:
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values.get(f"{name}/{m[1]}", values.get(m[1]))), route)


def _is_page(client, address: str) -> bool:
    """Whether ``address`` answers this person a whole page (200, HTML, the shell's <main>): asked
    first without the browser — an action (405), a refusal, a file or a fragment for htmx is not one."""
    answer = client.get(address)
    return (answer.status_code == 200 and answer.get("Content-Type", "").startswith("text/html")
            and b'<main id="main"' in answer.content)


def _problems(page, address: str) -> tuple[str | None, list[str]]:
    """(the title the server sent, or None when the address is not a whole page; what is wrong)."""
    response = page.goto(address)
    if response is None or response.status != 200:
        return None, []
    seen = page.evaluate(MEASURE)
    if not seen["shell"] or page.url.split("?")[0].endswith("/login/"):
        return None, []                                  # a fragment for htmx, or sent to sign in
    found = re.search(r"<title>(.*?)</title>", response.text(), re.S)
    title = html.unescape(found.group(1)).strip() if found else ""
    return title, inspect(page, title, seen)


def inspect(page, title: str, seen: dict | None = None) -> list[str]:
    """What is wrong with the page the browser shows (just loaded, nothing focused yet), whose
    server sent ``title``: the checks of the module's docstring.  The LTI pages, reached by a
    launch rather than an address, use it too (tests/lti/test_lti_pages_on_a_phone.py)."""
    seen = seen or page.evaluate(MEASURE)
    page.keyboard.press("Tab")                           # the first Tab reaches the skip link (WCAG 2.4.1)
    first = page.evaluate("() => { const a = document.activeElement; return a && a.matches('a.skip-link[href=\"#main\"]'); }")
    wrong = [] if first else ["the first Tab does not reach the skip link to the content"]
    if seen["scroll"] > seen["client"]:
        wrong.append(f"{seen['scroll']} px wide on a {seen['client']} px screen: {seen['wide']}")
    if seen["small"]:
        wrong.append(f"targets under 24 px: {seen['small']}")
    levels = seen["levels"]
    if not levels or levels[0] != 1 or levels.count(1) != 1 or any(b - a > 1 for a, b in zip(levels, levels[1:])):
        wrong.append(f"headings out of order: {levels}")
    if not title.split(" · ")[0]:
        wrong.append("no title of its own")
    try:
        check(page, title)
    except AssertionError as refused:
        wrong.append(str(refused))
    page.keyboard.press("Tab")
    bare = page.evaluate(NO_RING)
    if bare:
        wrong.append(f"no visible focus on: {bare}")
    seen = page.evaluate(MEASURE)                        # every <details> open: still no sideways scroll
    if seen["scroll"] > seen["client"]:
        wrong.append(f"with its <details> open, {seen['scroll']} px wide: {seen['wide']}")
    return wrong


# One test per person (session 24): the three walks share nothing but the demo data, and as one
# test they were the suite's longest (over four minutes at -n 2), the tail every xdist run waited
# for; apart, the workers share them.  The title rule (WCAG 2.4.2) is per person, as it was.
@pytest.mark.parametrize(("who", "at_least"), [("student", 20), ("instructor", 20), ("librarian", 40)])
def test_every_page_a_student_instructor_or_librarian_opens_fits_a_phone_and_passes_axe(signed_in_page, demo, who,
                                                                                       at_least):
    from django.test import Client

    from syllabus.org.models import User

    failures, opened = [], 0
    person = User.objects.get(username=who)
    page = signed_in_page(person, viewport=PHONE)
    client = Client()
    client.force_login(person)
    titles: dict[str, str] = {}
    for name, route in PAGES:
        if name in NOT_PAGES or name.startswith(("lti:", "sso:")) or any(
                p not in demo and f"{name}/{p}" not in demo for p in _parameters(route)):
            continue
        address = _address(demo, name, route)
        if not _is_page(client, address):
            continue
        title, wrong = _problems(page, address)
        if title is None:
            continue
        opened += 1
        failures += [f"{who} {address} ({name}): {w}" for w in wrong]
        if title in titles and (titles[title], name) not in SAME_TITLE and (name, titles[title]) not in SAME_TITLE:
            failures.append(f"{who} {address} ({name}): the title {title!r} is also {titles[title]}'s")
        titles.setdefault(title, name)
    # the walk reached the person's pages (a broken sign-in would pass every check on nothing)
    assert opened >= at_least, f"{who} opened {opened} pages"
    assert not failures, f"{len(failures)} problems on {who}'s {opened} pages:\n" + "\n".join(failures)
