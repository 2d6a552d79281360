"""Accessibility of the main pages in Chromium: axe-core (WCAG 2.0/2.1 A and AA rules) finds no
serious or critical violation on any of them, and the list editor works from the keyboard alone
with a visible focus.

Each page is its own test (``-k list_editor`` runs one); the data are built through the services
for every test: a published list sent to the library (two sections, items of several types, one
from the catalog), a catalog record with an item, a digitization request, a digital loan, a
notification.  Collapsed ``<details>`` are opened before the check, so that the forms behind them
(add an item, edit an item, ...) are checked too."""
from __future__ import annotations

import html
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from syllabus.org.roles import Role
from tests.browsing import tab_to

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}

BOOK = {"title": "The Making of the English Working Class", "author": [{"family": "Thompson", "given": "E. P."}],
        "publisher": "Victor Gollancz", "publisher-place": "London", "issued": {"date-parts": [[1963]]},
        "ISBN": "978-0-14-013603-6"}
ARTICLE = {"title": "Time, Work-Discipline, and Industrial Capitalism", "author": [{"family": "Thompson", "given": "E. P."}],
           "container-title": "Past & Present", "volume": "38", "page": "56-97", "issued": {"date-parts": [[1967, 12]]},
           "DOI": "10.1093/past/38.1.56"}
CHAPTER = {"title": "The Moral Economy", "container-title": "Customs in Common", "issued": {"date-parts": [[1991]]}}
WEBSITE = {"title": "The Victorian Web", "URL": "https://victorianweb.org/", "issued": {"date-parts": [[2024]]}}
LOAN_RULE = dict(request_priority=0, session_period=3, session_period_unit="days", grace_period=2, grace_period_unit="days",
                 grace_included_in_session=False, renewable=True, max_renewal_days=10, open_for_renewal_days=1,
                 renewable_when_others_wait=False, limit_reloan=False, reloan_limit_days=0)

_axe = Axe()


@pytest.fixture
def world(inst_a, library_a, instructor, student, librarian, course, make_user):
    """Everything the pages show, built through the services."""
    from syllabus.catalog import services as catalog
    from syllabus.catalog.models import Representation
    from syllabus.fulfillment import services as fulfillment
    from syllabus.fulfillment.models import DigitizationDepartment
    from syllabus.lending import services as lending
    from syllabus.lists import services as lists
    from syllabus.notify.delivery import deliver_due
    from syllabus.notify.services import queue_letter

    record = catalog.save_record(None, inst_a, {"type": "book", "title": "Middlemarch", "author": [{"family": "Eliot", "given": "George"}],
                                                "publisher": "Blackwood", "issued": {"date-parts": [[1871]]}},
                                 source_id="a11y-1", subjects=["English fiction"]).record
    catalog.add_item(None, record, library_a, "B0001", location="Stacks", call_number="PR4662")
    catalog.add_to_collection(student, record=record)

    lst = lists.create_list(instructor, title="HIST101 readings", courses=[course])
    week1 = lists.add_section(instructor, lst, title="Week 1", description="The making of a class")
    week2 = lists.add_section(instructor, lst, title="Week 2")
    book = lists.add_citation(instructor, lst, week1, "book", BOOK, tags=["essential"], public_note="Read chapter 1")
    lists.add_citation(instructor, lst, week1, "article", ARTICLE, library_note="we own a print copy")
    lists.add_citation(instructor, lst, week1, "book_chapter", CHAPTER)
    lists.add_citation(instructor, lst, week2, "website", WEBSITE)
    lists.add_citation(instructor, lst, week2, record=record)
    lists.publish_list(instructor, lst)
    lists.send_list(instructor, lst)

    fadmin = make_user("fadmin", group="staff", roles=[Role.FULFILLMENT_ADMINISTRATOR])
    operator = make_user("operator", group="staff")
    fulfillment.add_operator(fadmin, DigitizationDepartment.objects.get(institution=inst_a, code="DIGI_DEPT_INST"), operator)
    fulfillment.save_edd_rule(fadmin, inst_a, name="Everyone", user_groups=[], allowed=True)
    digitization = fulfillment.request_from_record(student, record, {})

    lender = make_user("lender", group="staff", roles=[Role.REQUESTS_OPERATOR, Role.DIGITAL_INVENTORY_OPERATOR])
    policy = lending.create_policy(lender, inst_a, name="Controlled digital lending", long_term_loan=True,
                                   limit_note="All copies are on loan: join the waitlist.", rules=[LOAN_RULE])
    rep = Representation.objects.create(record=record, library=library_a, label="Scan of the 1871 edition")
    lending.configure_representation(lender, rep, policy=policy, concurrent_users=1)
    lending.request_loan(student, rep)

    make_user("letters", group="staff", roles=[Role.LETTER_ADMINISTRATOR])
    queue_letter("digitization_request_cancelled", student, {"patron": "Student", "title": "Middlemarch", "request": digitization.pk,
                                                              "reason": "found elsewhere"}, key="a11y", channels=("inapp",))
    deliver_due()
    return {"list": lst, "book": book, "record": record, "digitization": digitization, "rep": rep, "course": course}


# (test id, who signs in (None: nobody), the page's address from the world)
PAGES = [
    ("login", None, lambda w: "/login/"),
    ("home", "student", lambda w: "/"),
    ("course_search", "instructor", lambda w: "/courses/?q=HIST"),
    ("course_roster", "librarian", lambda w: f"/courses/{w['course'].pk}/roster/"),
    ("my_lists", "instructor", lambda w: "/lists/"),
    ("list_editor", "instructor", lambda w: f"/lists/{w['list'].pk}/edit/"),
    ("list_item_editor", "instructor", lambda w: f"/lists/{w['list'].pk}/edit/items/{w['book'].pk}/"),
    ("create_list", "instructor", lambda w: "/lists/new/"),
    ("list_import_office", "instructor", lambda w: f"/catalog/lists/{w['list'].pk}/import/office/"),
    ("student_list_view", "student", lambda w: f"/lists/{w['list'].pk}/"),
    ("librarian_tasks", "librarian", lambda w: "/lists/tasks/"),
    ("librarian_list", "librarian", lambda w: f"/lists/{w['list'].pk}/library/"),
    ("term_rollover", "librarian", lambda w: "/lists/rollover/"),
    ("catalog_search", "student", lambda w: "/catalog/?q=Middlemarch"),
    ("catalog_record", "student", lambda w: f"/catalog/records/{w['record'].pk}/"),
    ("my_collection", "student", lambda w: "/catalog/collection/"),
    ("digitization_request_form", "student", lambda w: f"/services/records/{w['record'].pk}/"),
    ("digitization_request", "operator", lambda w: f"/services/requests/{w['digitization'].pk}/"),
    ("digitization_work_queue", "operator", lambda w: "/services/work/"),
    ("lending_title", "student", lambda w: f"/lending/titles/{w['rep'].pk}/"),
    ("library_card", "student", lambda w: "/lending/card/"),
    ("notifications", "student", lambda w: "/notifications/"),
    ("letters_editor", "letters", lambda w: "/notifications/letters/digitization_request_cancelled/"),
    ("consortium_lists", "student", lambda w: "/consortium/lists/?q=history"),
    ("inter_library_loans", "librarian", lambda w: "/consortium/ill/"),
]


def _report(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} [{v['impact']}] {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:8]:
            lines.append(f"    {' '.join(map(str, node['target']))}: {node.get('failureSummary', '').splitlines()[-1].strip()}")
        if len(v["nodes"]) > 8:
            lines.append(f"    ... and {len(v['nodes']) - 8} more")
    return "\n".join(lines)


# Opens every closed <details> and resolves once each has had its "toggle" event — after htmx's
# own listener (registered earlier) has started the request a toggle triggers.  The main
# navigation's menus are marked, to be closed again after the check.
OPEN_ALL = """() => Promise.all([...document.querySelectorAll('details:not([open])')].map(d => new Promise(toggled => {
  if (d.closest('#main-nav')) d.dataset.openedByCheck = '1';
  d.addEventListener('toggle', toggled, {once: true});
  d.open = true;
})))"""

# htmx marks what it is doing: the element whose request is in flight (htmx-request), the target
# being swapped or settled (htmx-swapping, htmx-settling) and the new content until it has settled
# (htmx-added).  An answer that triggers another request (an HX-Trigger header, a "load" trigger in
# the new content) starts it before its own marks go, so no mark at all means nothing is pending.
HTMX_BUSY = ".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added"


def settle(page) -> None:
    """Wait until htmx has no request in flight and no swap under way (one answer may trigger another)."""
    page.wait_for_function(f"!document.querySelector({HTMX_BUSY!r})")


def check(page, sent_title: str) -> None:
    """Open every <details> and wait for htmx to settle; check that the page kept the title the
    server sent (WCAG 2.4.2: a partial answer must not retitle it); run axe and fail on a serious
    or critical violation.  The main navigation's menus it opened are closed again, so that a test
    goes on with the navigation as the person left it (an open menu's summary would close it)."""
    page.wait_for_load_state("networkidle")
    page.evaluate(OPEN_ALL)
    settle(page)                                     # opening may load a pane, which may refresh the navigation
    assert page.title() == sent_title, f"the page was retitled {page.title()!r} (sent: {sent_title!r})"
    results = _axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]})
    blocking = [v for v in results.response["violations"] if v["impact"] in BLOCKING]
    assert not blocking, f"axe found on {page.url}:\n{_report(blocking)}"
    page.evaluate("""() => document.querySelectorAll('details[data-opened-by-check]').forEach(d => {
                       d.open = false; delete d.dataset.openedByCheck; })""")


def _sent_title(response) -> str:
    found = re.search(r"<title>(.*?)</title>", response.text(), re.S)
    return html.unescape(found.group(1)).strip() if found else ""


@pytest.mark.parametrize("who,address", [pytest.param(who, address, id=name) for name, who, address in PAGES])
def test_page_has_no_serious_accessibility_violation(page, login, world, who, address):
    if who:
        login(who)
    response = page.goto(address(world))
    check(page, _sent_title(response))


def test_a_refused_sign_in_has_no_serious_accessibility_violation(page, world):
    page.goto("/login/")
    page.fill("#id_username", "student")
    page.fill("#id_password", "wrong")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.click("button[type=submit]")
    check(page, _sent_title(answer.value))


# The focus indicator must stand out from what surrounds it: WCAG 1.4.11 asks 3:1.
FOCUS_CONTRAST = """el => {
  const rgb = c => (c.match(/[\\d.]+/g) || []).slice(0, 3).map(Number);
  const lum = ([r, g, b]) => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
                               return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  let bg = null;
  for (let n = el.parentElement; n && !bg; n = n.parentElement) {
    const c = getComputedStyle(n).backgroundColor;
    if (c && !/rgba\\(.*, 0\\)$/.test(c) && c !== 'transparent') bg = c;
  }
  const s = getComputedStyle(el), a = lum(rgb(s.outlineColor)), b = lum(rgb(bg || 'rgb(255, 255, 255)'));
  return {style: s.outlineStyle, width: parseFloat(s.outlineWidth), contrast: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)};
}"""




def assert_focus_visible(locator):
    ring = locator.evaluate(FOCUS_CONTRAST)
    assert ring["style"] != "none" and ring["width"] >= 2, f"no visible focus on {locator}: {ring}"
    assert ring["contrast"] >= 3, f"the focus ring of {locator} is too faint: {ring}"


def test_the_list_editor_works_from_the_keyboard_with_a_visible_focus(page, login, world):
    lst = world["list"]
    login("instructor")
    page.goto(f"/lists/{lst.pk}/edit/")
    week2 = page.locator("[data-testid=section]").filter(has=page.get_by_role("heading", name="Week 2", exact=True))
    summary = week2.locator("details.add-item > summary")

    page.locator("body").focus()
    tab_to(page, page.get_by_role("link", name="Skip to content"))
    assert_focus_visible(page.get_by_role("link", name="Skip to content"))
    tab_to(page, page.get_by_role("navigation", name="Main").get_by_role("link", name="Resource lists"))
    assert_focus_visible(page.get_by_role("navigation", name="Main").get_by_role("link", name="Resource lists"))
    tab_to(page, summary)
    assert_focus_visible(summary)
    page.keyboard.press("Enter")                     # opens the add-item form
    form = week2.locator("details.add-item form")
    expect(form).to_be_visible()
    tab_to(page, form.get_by_label("Type"))
    page.keyboard.press("Tab")                       # the title
    expect(form.get_by_label("Title", exact=True)).to_be_focused()
    page.keyboard.type("Hard Times")
    add = form.get_by_role("button", name="Add item")
    tab_to(page, add)
    assert_focus_visible(add)
    page.keyboard.press("Enter")
    expect(week2.locator("[data-testid=item]").filter(has_text="Hard Times")).to_have_count(1)
    expect(page.locator("#messages-live")).to_contain_text("Item added.")
    expect(summary).to_be_focused()                  # the editor was replaced: the focus stays in place, not at the top

    # the list's details: open, change the title and save with the keyboard alone
    details = page.locator("details").filter(has=page.locator("summary", has_text="List details, courses and collaborators"))
    page.locator("body").focus()
    tab_to(page, details.locator("summary"))
    page.keyboard.press("Enter")
    tab_to(page, page.locator("#list-title"))
    page.keyboard.press("End")
    page.keyboard.type(" (2026)")
    save = details.get_by_role("button", name="Save details")
    tab_to(page, save)
    assert_focus_visible(save)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"HIST101 readings \(2026\)"))


def test_the_editor_with_an_items_form_loaded_in_place_has_no_serious_accessibility_violation(page, login, world):
    lst, book = world["list"], world["book"]
    login("instructor")
    response = page.goto(f"/lists/{lst.pk}/edit/")
    page.locator(f"#c{book.pk}-edit").click()
    expect(page.locator(f"#c{book.pk}-form [data-testid=citation-form]")).to_be_visible()
    check(page, _sent_title(response))


def test_an_items_form_opens_in_place_from_the_keyboard_and_gives_the_focus_back(page, login, world):
    """LST-2 in Chromium, keyboard alone: Enter on "Edit item" loads the item's form in place (no
    page load) with the focus in it; Escape, or its Cancel link, closes it and the focus is back on
    "Edit item"; saved with Enter, the editor is replaced and the focus is still on the item's
    "Edit item" (WCAG 2.4.3, 2.1.1)."""
    from syllabus.lists.models import Citation

    lst, book = world["list"], world["book"]
    login("instructor")
    page.goto(f"/lists/{lst.pk}/edit/")
    page.evaluate("window.__marker = 1")             # gone if the page reloads
    edit, region = page.locator(f"#c{book.pk}-edit"), page.locator(f"#c{book.pk}-form")
    form = region.locator("[data-testid=citation-form]")
    page.locator("body").focus()
    tab_to(page, edit)
    assert_focus_visible(edit)
    page.keyboard.press("Enter")
    expect(form.get_by_label("Type")).to_be_focused()   # the focus moved into the form
    expect(edit).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("Escape")
    expect(form).to_have_count(0)
    expect(edit).to_be_focused()
    expect(edit).to_have_attribute("aria-expanded", "false")

    page.keyboard.press("Enter")
    expect(form.get_by_label("Type")).to_be_focused()
    cancel = form.get_by_role("link", name="Cancel")
    tab_to(page, cancel)
    assert_focus_visible(cancel)
    page.keyboard.press("Enter")
    expect(form).to_have_count(0)
    expect(edit).to_be_focused()

    page.keyboard.press("Enter")
    note = form.get_by_label("Note for students")
    expect(form.get_by_label("Type")).to_be_focused()
    tab_to(page, note)
    page.keyboard.press("ControlOrMeta+A")
    page.keyboard.type("Read the preface")
    save = form.get_by_role("button", name="Save item")
    tab_to(page, save)
    assert_focus_visible(save)
    page.keyboard.press("Enter")
    expect(page.locator("#messages-live")).to_contain_text("Item saved.")
    expect(form).to_have_count(0)                    # the editor came back with the item's summary
    expect(edit).to_be_focused()                     # and the focus where the form was opened
    assert page.evaluate("window.__marker") == 1
    assert Citation.objects.get(pk=book.pk).public_note == "Read the preface"
