"""The student's view from outside, in Chromium: every kind of list item leads somewhere that
works — a catalog holding (Find it, Place a hold), an e-resource, a digitized copy in and out of
its window, a long-term digital loan, an uploaded file, a web link with a DOI, a personal copy on
reserve, a note — and an item with nothing available says what the student can do (SRV-4, SRV-5,
DSV-6, LDL-3, LST-3)."""
from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@pytest.fixture
def every_kind(shelf, instructor, reserves, student, inst_a, library_a, accessible_desks):
    from syllabus.circulation import services as circulation
    from syllabus.lists import services
    from syllabus.org import config

    from django.core.files.base import ContentFile

    from syllabus.fulfillment.models import DigitizationRequest

    lst, section = shelf["list"], shelf["section"]
    for req in DigitizationRequest.objects.filter(citation__in=[shelf["scan_in"], shelf["scan_out"]]):
        req.representation.file.save("scan.pdf", ContentFile(PDF))  # what the delivery stored
    config.set_value("personal_copy_item_types", ["book"], institution=inst_a)
    web = services.add_citation(instructor, lst, section, "website", {"title": "The Victorian Web", "URL": "https://victorianweb.org/",
                                                                     "DOI": "10.1093/past/38.1.56"})
    filed = services.add_citation(instructor, lst, section, "document", {"title": "Lecture handout"})
    services.attach_file(instructor, filed, SimpleUploadedFile("handout.pdf", PDF, content_type="application/pdf"))
    personal = services.add_citation(instructor, lst, section, "book", {"title": "My own copy"},
                                     personal_copy=True, personal_copy_owner="instructor")
    circulation.receive_personal_copy(reserves, personal.pk, library=library_a, barcode="PC-1", location="Reserve desk",
                                      call_number="PR4662")
    promised = services.add_citation(instructor, lst, section, "book", {"title": "A copy on its way"},
                                     personal_copy=True, personal_copy_owner="instructor")
    note = services.add_citation(instructor, lst, section, "other", {"title": "Read the first two chapters before class"},
                                 public_note="No book needed: the chapters are in the course pack.")
    nothing = services.add_citation(instructor, lst, section, "book", {"title": "A book nobody has",
                                                                       "author": [{"family": "Nobody", "given": "Ann"}]})
    return dict(shelf, web=web, filed=filed, personal=personal, promised=promised, note=note, nothing=nothing)


def _item(page, citation):
    return page.locator(f"#item-{citation.pk}")


def _links(item) -> list[tuple[str, str]]:
    return [(re.sub(r"\s+", " ", a.inner_text()).strip(), a.get_attribute("href") or "") for a in item.locator("a").all()]


def _opens(page, href: str, live_url: str):
    """GET a link of the page with the student's session, as a click would (no redirect followed)."""
    return page.request.get(href if href.startswith("http") else live_url + href, max_redirects=0)


def test_srv5_dsv6_every_item_of_the_student_view_leads_somewhere(page, login, every_kind, live_server):
    login("student")
    page.goto(f"/lists/{every_kind['list'].pk}/")
    broken = []
    for key in ("on_shelf", "all_out", "ebook", "scan_in", "scan_out", "loan", "web", "filed", "personal", "promised", "note", "nothing"):
        item = _item(page, every_kind[key])
        expect(item).to_be_visible()
        for text, href in _links(item):
            if href.startswith("#") or not href.startswith("/"):
                continue
            r = _opens(page, href, live_server.url)
            if r.status not in (200, 302) or (r.status == 302 and "/login/" in r.headers.get("location", "")):
                broken.append((key, text, href, r.status))
    assert broken == []

    # a holding: Find it and Place a hold
    shelf_item = _item(page, every_kind["on_shelf"])
    expect(shelf_item.get_by_test_id("availability").first).to_contain_text("of")
    expect(shelf_item.get_by_test_id("place-hold")).to_be_visible()
    # an e-resource: its address
    assert any(href == "https://ebooks.example.com/42" for _, href in _links(_item(page, every_kind["ebook"])))
    # a digitized copy: open in its window, a date outside it
    scan = _item(page, every_kind["scan_in"]).locator("[data-kind=scan] a")
    assert _opens(page, scan.get_attribute("href"), live_server.url).status == 200
    expect(_item(page, every_kind["scan_out"]).get_by_test_id("scan-window")).to_contain_text("no longer available")
    # a long-term loan: its title page, where the waitlist is
    loan = _item(page, every_kind["loan"])
    expect(loan.get_by_test_id("loan-availability")).to_have_text("the only copy is in use, 1 waiting")  # not "all 1 copies"
    # a web link and its DOI
    web = [href for _, href in _links(_item(page, every_kind["web"]))]
    assert web.count("https://victorianweb.org/") == 1 and web.count("https://doi.org/10.1093/past/38.1.56") == 1  # once each
    # an uploaded file downloads as the file
    download = _item(page, every_kind["filed"]).get_by_test_id("file-link")
    got = _opens(page, download.get_attribute("href"), live_server.url)
    assert got.status == 200 and got.body() == PDF
    # a personal copy on reserve
    expect(_item(page, every_kind["personal"])).to_contain_text("Personal copy on reserve")
    # a personal copy the library has not received yet: what is coming, not "no copy"
    expect(_item(page, every_kind["promised"]).get_by_test_id("access-none")).to_have_text(
        "The instructor is lending the library a personal copy: it will be on reserve.")
    # a note says what it says
    expect(_item(page, every_kind["note"])).to_contain_text("the chapters are in the course pack")
    # nothing available: the item says what the student can do, and Find it answers
    nothing = _item(page, every_kind["nothing"])
    expect(nothing.get_by_test_id("access-none")).to_have_text(
        "The library has no copy of this item yet: Find it looks for it online and in other libraries.")
    find_it = nothing.get_by_test_id("find-it")
    expect(nothing.get_by_test_id("request-accessible")).to_be_visible()
    find_it.click()
    expect(page.get_by_role("heading", name="You are looking for")).to_be_visible()
    expect(page.get_by_test_id("citation")).to_contain_text("A book nobody has")
    # ... and, since no library of the consortium has it, a next step: suggest the library buy it (DSV-6, SRV-3)
    expect(page.get_by_test_id("next-steps")).to_contain_text("No library of the consortium has this title yet.")
    page.get_by_test_id("next-suggest").click()
    expect(page.get_by_test_id("suggested-citation")).to_contain_text("A book nobody has")
    page.get_by_label("Why do you need it?").fill("For the week 3 seminar.")
    page.get_by_role("button", name="Send the suggestion").click()
    expect(page.get_by_test_id("my-purchase")).to_contain_text("A book nobody has")
    expect(page.get_by_test_id("my-purchase")).to_contain_text("Library processing")


def test_srv4_an_open_web_page_offers_no_accessible_file_in_the_student_view(page, login, every_kind):
    login("student")
    page.goto(f"/lists/{every_kind['list'].pk}/")
    expect(_item(page, every_kind["filed"]).get_by_test_id("request-accessible")).to_be_visible()
    expect(_item(page, every_kind["web"]).get_by_test_id("find-it")).to_be_visible()
    expect(_item(page, every_kind["web"]).get_by_test_id("request-accessible")).to_have_count(0)


def test_srv5_a_copy_that_is_not_available_says_why(page, login, shelf, instructor, student, desk, library_a):
    """"0 of 2 available" alone left a student guessing whether to wait, place a hold or ask for
    the book to be bought (found by s21-outside): each library's row says why its other copies are
    not there — on loan, on order (the copy a purchase brings is in process), or kept on the hold
    shelf for a reader — in English and in French."""
    from syllabus.catalog.models import Item
    from syllabus.circulation import services as circulation
    from tests.circulation.conftest import add_items, cite, make_record

    lst, section = shelf["list"], shelf["section"]
    ordered = make_record(lst.institution, "Bought and on its way")
    add_items(ordered, library_a, [Item.Status.IN_PROCESS])
    on_order = cite(instructor, lst, section, ordered)
    kept = make_record(lst.institution, "Kept on the hold shelf")
    add_items(kept, library_a, [Item.Status.IN_PLACE, Item.Status.ON_LOAN])
    held = cite(instructor, lst, section, kept)
    hold = circulation.place_hold(student, held, pickup_library=library_a)
    circulation.fulfil_hold(desk, hold)

    login("student")
    page.goto(f"/lists/{lst.pk}/")
    expect(_item(page, shelf["all_out"]).get_by_test_id("unavailable-why")).to_have_text("2 on loan")
    expect(_item(page, on_order).get_by_test_id("unavailable-why")).to_have_text("1 on order or being processed")
    expect(_item(page, held).get_by_test_id("unavailable-why")).to_have_text("1 on loan, 1 kept for a reader on the hold shelf")
    expect(_item(page, shelf["on_shelf"]).get_by_test_id("unavailable-why")).to_have_text("1 on loan")  # 2 of 3 available
    page.context.add_cookies([{"name": "django_language", "value": "fr", "url": page.url}])
    page.goto(f"/lists/{lst.pk}/")
    expect(_item(page, shelf["all_out"]).get_by_test_id("unavailable-why")).to_have_text("2 en prêt")
    expect(_item(page, on_order).get_by_test_id("unavailable-why")).to_have_text("1 en commande ou en traitement")


def test_ldl3_a_title_whose_copies_are_all_in_use_still_leads_to_its_waitlist(page, login, shelf, course, make_user):
    """All copies of a digitally lent title in use: the list showed its name without a link, so a
    student not yet in the queue had no way from the list to join it (found by s21-outside on the
    demo's HIST101 list). The entry now leads to the title's page, where they join the waitlist."""
    from syllabus.courses.models import Enrollment

    newcomer = make_user("newcomer")
    Enrollment.objects.create(course=course, user=newcomer)
    login("newcomer")
    page.goto(f"/lists/{shelf['list'].pk}/")
    loan = _item(page, shelf["loan"])
    expect(loan.get_by_test_id("loan-availability")).to_have_text("the only copy is in use, 1 waiting")
    loan.locator("[data-kind=loan] a").click()
    page.get_by_test_id("join").click()
    expect(page.get_by_test_id("join")).to_have_count(0)
    from syllabus.lending.models import LoanRequest

    assert LoanRequest.objects.filter(patron=newcomer, representation=shelf["loan_rep"]).exists()


def test_dig4_a_scan_delivered_into_the_digital_inventory_is_one_digitized_copy_not_two(page, login, shelf):
    """A course scan delivered into the digital inventory (discoverable) was shown twice under its
    item — "Digitized copy" with its copyright window, and "Digital copy: Digitization request #4:
    ..." (a staff label, refused outside the window) — found by s21-outside on the demo."""
    from syllabus.catalog.models import Representation
    from syllabus.fulfillment.models import DigitizationRequest

    for key in ("scan_in", "scan_out"):
        req = DigitizationRequest.objects.get(citation=shelf[key])
        Representation.objects.filter(pk=req.representation_id).update(discoverable=True,
                                                                      label=f"Digitization request #{req.pk}: {req.title}")
    login("student")
    page.goto(f"/lists/{shelf['list'].pk}/")
    for key in ("scan_in", "scan_out"):
        item = _item(page, shelf[key])
        expect(item.locator("[data-kind=scan]")).to_have_count(1)
        expect(item.locator("[data-kind=representation]")).to_have_count(0)
        expect(item).not_to_contain_text("Digitization request #")
