"""A scan delivered for a list item (DIG-4, DIG-10) is offered to the student once (found by
s21-outside on the demo's *Exploitation*: "Download thompson-ch6….pdf" above the copies and
"Digitized copy" under them, the same file twice): under the item's access, named by its file,
with its copyright window — before the window it says when it opens instead of a link that
refuses; the page it opens names the file, warns in the reader's language in the last days and
leads back to the item.  An instructor's own uploaded file keeps its "Download" link."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from bs4 import BeautifulSoup
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from syllabus.fulfillment import services
from syllabus.fulfillment.models import Kind

UTC = dt.timezone.utc


@pytest.fixture
def delivered(clock, course, instructor, record, operator, manager, default_rule, scan):
    """HIST101's list: a chapter of Middlemarch scanned for 10–20 March and delivered into the
    item, and a handout the instructor uploaded."""
    from syllabus.lists import services as lists

    clock.set_now(dt.datetime(2026, 3, 1, 12, tzinfo=UTC))
    lst = lists.create_list(instructor, title="HIST101 readings", courses=[course])
    section = lists.add_section(instructor, lst, title="Week 3")
    chapter = lists.add_citation(instructor, lst, section, "book_chapter", {"title": "Chapter 1", "container-title": "Middlemarch"},
                                 record=record)
    handout = lists.add_citation(instructor, lst, section, "document", {"title": "Seminar handout"})
    lists.attach_file(instructor, handout, SimpleUploadedFile("handout.pdf", b"%PDF-1.4 handout", content_type="application/pdf"))
    lists.publish_list(instructor, lst)
    default_rule(target="inventory", copyright_required=True, approval_mode="parallel")
    req = services.request_for_course(instructor, kind=Kind.DIGITIZATION, institution=course.institution, record=record,
                                      course=course, citation_id=chapter.pk, title="Middlemarch ch. 1",
                                      data={"start_date": dt.date(2026, 3, 10), "end_date": dt.date(2026, 3, 20),
                                            "page_ranges": [{"from": 1, "to": 30}]})
    services.pick(operator, req)
    req = services.attach_file(operator, req, scan("middlemarch-ch1.pdf"))
    req = services.approve(manager, req, copyright=True)
    req = services.deliver(operator, req)
    chapter.refresh_from_db()
    assert chapter.file  # the scan became the item's file (fulfillment.citations.after_delivery)
    return {"list": lst, "chapter": chapter, "handout": handout, "request": req}


def _item(client, lst, citation):
    page = BeautifulSoup(client.get(f"/lists/{lst.pk}/").content, "html.parser")
    return page.select_one(f"#item-{citation.pk}")


def _text(node) -> str:
    return " ".join(node.get_text(" ", strip=True).split())


@pytest.mark.django_db
def test_dig4_the_delivered_scan_is_offered_once_named_by_its_file(client, clock, delivered, student, api):
    lst, chapter, req = delivered["list"], delivered["chapter"], delivered["request"]
    client.force_login(student)

    clock.set_now(dt.datetime(2026, 3, 12, 12, tzinfo=UTC))   # inside the window
    item = _item(client, lst, chapter)
    links = [a for a in item.select("a") if "middlemarch-ch1" in a.get_text() or "/file" in a["href"] or "/access/" in a["href"]]
    assert [(_text(a), a["href"]) for a in links] == [
        ("Digitized copy: middlemarch-ch1.pdf — Chapter 1", f"/services/requests/{req.pk}/access/")]
    assert not item.select("[data-testid=file-link]")
    assert _text(item.select_one("[data-testid=scan-window]")) == "until 2026-03-20"
    # the API's access says the same, with the file's name
    body = api(student).get(f"/api/v1/lists/{lst.pk}").json()
    found = {c["id"]: c for s in body["sections"] for c in s["citations"]}
    assert [(o["kind"], o["file_name"]) for o in found[chapter.pk]["access"]["online"]] == [("scan", "middlemarch-ch1.pdf")]

    # an instructor's own file is not a scan: its Download link stays
    assert _text(_item(client, lst, delivered["handout"]).select_one("[data-testid=file-link]")) == "Download handout.pdf"


@pytest.mark.django_db
def test_dig4_before_its_window_the_scan_says_when_it_opens_instead_of_a_link(client, clock, delivered, student):
    clock.set_now(dt.datetime(2026, 3, 5, 12, tzinfo=UTC))
    client.force_login(student)
    item = _item(client, delivered["list"], delivered["chapter"])
    scan = item.select_one("[data-kind=scan]")
    assert scan.a is None and _text(scan) == "Digitized copy: middlemarch-ch1.pdf not available before 2026-03-10"
    assert not item.select("[data-testid=file-link]")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_dig4_the_student_opens_the_scan_from_the_item_and_comes_back(page, login, clock, delivered):
    lst, chapter = delivered["list"], delivered["chapter"]
    clock.set_now(dt.datetime(2026, 3, 19, 12, tzinfo=UTC))   # the last days: warned (N = 3)
    login("student")
    page.goto(f"/lists/{lst.pk}/")
    item = page.locator(f"#item-{chapter.pk}")
    expect(item.get_by_role("link", name="Digitized copy: middlemarch-ch1.pdf — Chapter 1")).to_have_count(1)
    expect(item.get_by_test_id("file-link")).to_have_count(0)
    item.get_by_role("link", name="Digitized copy: middlemarch-ch1.pdf — Chapter 1").click()
    expect(page.get_by_test_id("open-file")).to_have_text("Open middlemarch-ch1.pdf")
    expect(page.get_by_test_id("access-warning")).to_have_text("Access to this file ends on 2026-03-20 (1 day left)")
    page.get_by_test_id("back-to-list").click()
    expect(page).to_have_url(re.compile(rf"/lists/{lst.pk}/#item-{chapter.pk}$"))
    # in French too
    page.context.add_cookies([{"name": "django_language", "value": "fr", "url": page.url.split("/lists/")[0] + "/"}])
    page.goto(f"/services/requests/{delivered['request'].pk}/access/")
    expect(page.get_by_test_id("open-file")).to_have_text("Ouvrir middlemarch-ch1.pdf")
    expect(page.get_by_test_id("access-warning")).to_contain_text("2026-03-20")
    expect(page.get_by_test_id("back-to-list")).to_have_text("Retour à la liste")
