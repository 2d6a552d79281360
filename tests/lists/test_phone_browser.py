"""Session 20, in Chromium: the student's list at a phone's viewport (390 × 844) and the editor's
item page from the keyboard and without JavaScript.

At 390 px the list scrolls only downwards (WCAG 1.4.10: the copies table, long addresses and the
section links used to push it to 583 px), every item leads somewhere (its copies and their
availability, an online copy, the file, Find it, a hold or an accessible file), every link and
button is a target of at least 24 × 24 px (WCAG 2.2 2.5.8), headings go h1 → h2 without a gap,
and axe finds no serious violation.  The editor's per-item file form, choice of section and
purchase forms now live on the item's own page: reached from the editor by keyboard, and working
with JavaScript off."""
from __future__ import annotations

import html
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from tests.browsing import tab_to
from tests.web.test_accessibility import check, world  # noqa: F401  (the accessibility pages' data)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}

# What a phone user must see: the page as wide as the screen, targets of 24 px or more, each item
# with at least one way onwards, and headings without a skipped level.
MEASURE = """() => {
  const doc = document.documentElement;
  const small = [];
  for (const el of document.querySelectorAll('main a, main button, main input, main select, main summary')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;          // not shown (a closed <details>, hidden)
    if (el.closest('.visually-hidden')) continue;
    if (r.width < 24 || r.height < 24) small.push(`${el.tagName} ${Math.round(r.width)}x${Math.round(r.height)} ${el.textContent.trim().slice(0, 40)}`);
  }
  const items = [...document.querySelectorAll('[data-testid=item]')].map(li => ({
    title: li.querySelector('[data-testid=citation]').textContent.trim().slice(0, 60),
    ways: [...li.querySelectorAll('a[href], button')].map(a => a.textContent.trim().replace(/\\s+/g, ' ').slice(0, 40)),
  }));
  const levels = [...document.querySelectorAll('main h1, main h2, main h3, main h4')].map(h => +h.tagName[1]);
  return {scroll: doc.scrollWidth, client: doc.clientWidth, small, items, levels};
}"""


@pytest.fixture
def filed(world, instructor):  # noqa: F811
    """The accessibility pages' list, its chapter with a file (LST-3)."""
    from syllabus.lists import services
    from syllabus.lists.models import Citation

    chapter = Citation.objects.get(resource_list=world["list"], title="The Moral Economy")
    services.attach_file(instructor, chapter, SimpleUploadedFile("moral-economy.pdf", b"%PDF-1.4\n%%EOF\n" + b"0" * 200,
                                                                 content_type="application/pdf"))
    return world


def test_a_student_reads_the_list_on_a_phone(page, login, filed):
    page.set_viewport_size(PHONE)
    login("student")
    response = page.goto(f"/lists/{filed['list'].pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("HIST101 readings")
    seen = page.evaluate(MEASURE)
    assert seen["scroll"] == seen["client"] == PHONE["width"], f"the page is {seen['scroll']} px wide on a 390 px screen"
    assert not seen["small"], f"targets under 24 px: {seen['small']}"
    assert len(seen["items"]) == 5 and all(item["ways"] for item in seen["items"]), seen["items"]
    ways = {item["title"][:40]: " | ".join(item["ways"]) for item in seen["items"]}
    middlemarch = next(w for t, w in ways.items() if "Middlemarch" in t)
    assert "Place a hold" in middlemarch and "Find it" in middlemarch
    expect(page.locator("[data-testid=item]").filter(has_text="Middlemarch").get_by_test_id("availability")).to_have_text("1 of 1 available")
    assert "Download moral-economy.pdf" in next(w for t, w in ways.items() if "Moral Economy" in t)
    assert "Open the resource" in next(w for t, w in ways.items() if "Victorian Web" in t)
    levels = seen["levels"]
    assert levels[0] == 1 and all(b - a <= 1 for a, b in zip(levels, levels[1:])), levels
    check(page, html.unescape(re.search(r"<title>(.*?)</title>", response.text(), re.S).group(1)).strip())
    seen = page.evaluate(MEASURE)                    # every <details> open (the check): still no sideways scroll
    assert seen["scroll"] == PHONE["width"], seen["scroll"]
    # in French too: "Disponibilité", "1 disponible sur 1" and "1 en prêt" made the copies table 434 px wide (s21-outside)
    page.context.add_cookies([{"name": "django_language", "value": "fr", "url": page.url}])
    page.goto(f"/lists/{filed['list'].pk}/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator("[data-testid=item]").filter(has_text="Middlemarch").get_by_test_id("availability")).to_have_text(
        "1 disponible sur 1")  # French agrees in number: it read "1 disponibles sur 1"
    seen = page.evaluate(MEASURE)
    assert seen["scroll"] == PHONE["width"], f"the French page is {seen['scroll']} px wide on a 390 px screen"


def test_the_editor_leads_to_the_items_page_for_its_file_and_section_by_keyboard(page, login, filed, tmp_path):
    book = filed["book"]
    lst = filed["list"]
    login("instructor")
    page.goto(f"/lists/{lst.pk}/edit/")
    link = page.locator(f"#item-{book.pk}").get_by_role("link", name=re.compile(r"^Upload a file — The Making"))
    tab_to(page, link)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/lists/{lst.pk}/edit/items/{book.pk}/#file$"))
    expect(page.get_by_role("heading", name="File")).to_be_visible()
    check(page, page.title())
    scan = tmp_path / "chapter1.pdf"
    scan.write_bytes(b"%PDF-1.4\n%%EOF\n" + b"0" * 200)
    page.get_by_label("Upload a file").set_input_files(str(scan))
    upload = page.get_by_role("button", name="Upload", exact=True)
    tab_to(page, upload)
    page.keyboard.press("Enter")
    expect(page.locator(".messages")).to_contain_text("File uploaded.")
    expect(page.get_by_test_id("item-file").get_by_test_id("file-link")).to_have_text("chapter1.pdf")
    # the move to another section, from the same page
    select = page.get_by_label("Move to section")
    tab_to(page, select)
    select.select_option(label="Week 2")
    move = page.get_by_role("button", name="Move item")
    tab_to(page, move)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/lists/{lst.pk}/edit/"))
    expect(page.locator(".messages")).to_contain_text("Item moved.")
    week2 = page.locator("[data-testid=section]").filter(has=page.get_by_role("heading", name="Week 2", exact=True))
    expect(week2.locator(f"#item-{book.pk}")).to_contain_text("chapter1.pdf")


def test_without_javascript_the_items_page_uploads_and_moves(signed_in_page, filed, instructor, tmp_path):
    from syllabus.lists.models import Citation

    lst, book = filed["list"], filed["book"]
    pg = signed_in_page(instructor, javascript=False)
    pg.goto(f"/lists/{lst.pk}/edit/")
    pg.locator(f"#item-{book.pk}").get_by_role("link", name=re.compile(r"^Upload a file")).click()
    pg.wait_for_url(re.compile(rf"/edit/items/{book.pk}/#file$"))
    scan = tmp_path / "notes.pdf"
    scan.write_bytes(b"%PDF-1.4\n%%EOF\n" + b"0" * 200)
    pg.get_by_label("Upload a file").set_input_files(str(scan))
    pg.get_by_role("button", name="Upload", exact=True).click()
    pg.wait_for_url(re.compile(rf"/edit/items/{book.pk}/#file$"))
    expect(pg.locator(".messages")).to_contain_text("File uploaded.")
    pg.get_by_role("button", name="Remove the file").click()
    expect(pg.locator(".messages")).to_contain_text("File removed.")
    pg.get_by_label("Move to section").select_option(label="Week 2")
    pg.get_by_role("button", name="Move item").click()
    pg.wait_for_url(re.compile(rf"/lists/{lst.pk}/edit/$"))
    expect(pg.locator(".messages")).to_contain_text("Item moved.")
    moved = Citation.objects.get(pk=book.pk)
    assert moved.section.title == "Week 2" and not moved.file


@pytest.mark.parametrize("address", ["/", "/lists/", "/courses/?q=HIST", "/catalog/?q=Middlemarch"])
def test_a_students_other_pages_fit_a_phone(page, login, world, address):  # noqa: F811
    """The way to the list at 390 px: home, my lists, the course search (its five-column table
    scrolls in its own focusable region) and the catalog search (its wide field shrinks)."""
    page.set_viewport_size(PHONE)
    login("student")
    page.goto(address)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    seen = page.evaluate(MEASURE)
    assert seen["scroll"] == seen["client"] == PHONE["width"], f"{address} is {seen['scroll']} px wide on a 390 px screen"
    check(page, page.title())


def test_a_table_htmx_brings_back_is_stacked_on_a_phone_too(page, login, world):  # noqa: F811
    """Session 21: on a narrow screen a data table is one block per row, each value after its
    column's heading (the server labels the cells: syllabus/web/tables.py) — and so is the table of an
    htmx answer: the librarian's task list, its tab changed in place, still fits 390 px."""
    page.set_viewport_size(PHONE)
    login("librarian")
    page.goto("/lists/tasks/")
    page.get_by_test_id("tab-others").click()
    expect(page.get_by_test_id("tab-others")).to_have_attribute("aria-current", "page")
    page.get_by_test_id("tab-unassigned").click()
    expect(page.get_by_test_id("tab-unassigned")).to_have_attribute("aria-current", "page")
    table = page.get_by_test_id("task-table")
    expect(table).to_have_class(re.compile(r"\bstacks\b"))
    expect(table).to_have_attribute("role", "table")
    first = table.locator("tbody tr").first.locator("td").first
    expect(first).to_have_attribute("data-label", re.compile(r"\w"))
    assert first.evaluate("td => getComputedStyle(td).display") == "block"
    seen = page.evaluate(MEASURE)
    assert seen["scroll"] == PHONE["width"], seen["scroll"]


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_table_stacks_on_a_phone_without_javascript(signed_in_page, world, librarian, language):  # noqa: F811
    """Session 22 (WCAG 1.4.10): the server labels every data table's cells with their column's
    heading, so the librarian's task list is one block per row at 390 px with JavaScript off too —
    each value after its heading and a colon in the reader's language ("Liste :" in French) — and
    stays columns on a wide screen."""
    librarian.preferred_language = language
    librarian.save(update_fields=["preferred_language"])
    pg = signed_in_page(librarian, javascript=False, viewport=PHONE)
    pg.goto("/lists/tasks/")
    table = pg.get_by_test_id("task-table")
    expect(table).to_have_class(re.compile(r"\bstacks\b"))
    expect(table).to_have_attribute("role", "table")
    heading = table.locator("thead th").first.text_content().strip()
    assert heading == {"en": "List", "fr": "Liste"}[language]
    label = {"en": f"{heading}:", "fr": f"{heading}\u00a0:"}[language]
    first = table.locator("tbody tr").first.locator("td").first
    expect(first).to_have_attribute("data-label", label)
    display, before = first.evaluate("td => [getComputedStyle(td).display, getComputedStyle(td, '::before').content]")
    assert display == "block" and label in before, (display, before)
    seen = pg.evaluate(MEASURE)
    assert seen["scroll"] == PHONE["width"], seen["scroll"]
    pg.set_viewport_size({"width": 1280, "height": 900})
    assert first.evaluate("td => getComputedStyle(td).display") == "table-cell"
