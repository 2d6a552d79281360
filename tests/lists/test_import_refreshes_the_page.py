"""An import (LST-9) that adds items changes the page it was sent from at once (found by
s21-outside): the editor showed the report but kept its old sections, and a list that had been
empty still said "Add at least one item before sending the list to the library" with *Send to
library* disabled, until a reload.  The editor (and the library's list page) is rendered again
around the report, as after any of its actions; an import that adds nothing leaves the page as it is."""
from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

RIS = (b"TY  - BOOK\nTI  - Pride and prejudice\nAU  - Austen, Jane\nPY  - 2003\nER  - \n"
       b"TY  - BOOK\nTI  - Middlemarch\nAU  - Eliot, George\nPY  - 1871\nER  - \n")


@pytest.fixture
def empty_list(instructor, course):
    from syllabus.lists import services

    lst = services.create_list(instructor, title="Import list", courses=[course])
    services.add_section(instructor, lst, title="Week 1")
    return lst


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_lst9_an_import_updates_the_editor_around_its_report(page, login, empty_list):
    login("instructor")
    page.goto(f"/lists/{empty_list.pk}/edit/")
    page.evaluate("window.__marker = 1")  # gone if the page reloads
    expect(page.locator("#send-list")).to_be_disabled()
    expect(page.locator("#send-list-why")).to_have_text("Add at least one item before sending the list to the library.")
    page.get_by_text("Import RIS, BibTeX or CSL-JSON").click()
    page.get_by_label("File (RIS, BibTeX or CSL-JSON)").set_input_files(
        files=[{"name": "reading.ris", "mimeType": "application/x-research-info-systems", "buffer": RIS}])
    page.get_by_role("button", name="Import", exact=True).click()
    # the new items are on the page, and the header's toolbar knows the list is no longer empty
    expect(page.locator("[data-testid=item]")).to_have_count(2)
    expect(page.locator("[data-testid=item]").first).to_have_attribute("data-title", "Pride and prejudice")
    expect(page.locator("#send-list")).to_be_enabled()
    expect(page.locator("#send-list-why")).to_have_count(0)
    # the report stays in place, open, and the live region says what happened
    expect(page.get_by_test_id("import-summary")).to_contain_text("2 entries imported")
    expect(page.get_by_test_id("import-entries")).to_contain_text("Middlemarch")
    expect(page.get_by_test_id("message")).to_have_text("2 entries imported")
    assert page.evaluate("window.__marker") == 1
    # and the list's next action works from the updated page
    page.locator("#send-list").click()
    expect(page.get_by_test_id("list-status")).to_have_text("Sent to library")


def _import(client, lst, page_url, body=RIS):
    return client.post(f"/catalog/lists/{lst.pk}/import/", {"file": SimpleUploadedFile("reading.ris", body)},
                       HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL=f"http://testserver{page_url}")


@pytest.mark.django_db
def test_lst9_an_import_from_the_library_page_updates_it_with_its_filter(client, librarian, empty_list):
    client.force_login(librarian)
    r = _import(client, empty_list, f"/lists/{empty_list.pk}/library/?item_status=ready_for_processing&page=1")
    assert r.status_code == 200 and r["HX-Retarget"] == "#library-detail" and r["HX-Reswap"] == "outerHTML"
    html = r.content.decode()
    assert 'id="library-detail"' in html and "Pride and prejudice" in html and "Middlemarch" in html
    assert 'data-testid="import-summary"' in html and "2 entries imported" in html
    assert re.search(r'id="messages-live"[^>]*hx-swap-oob="innerHTML"', html)


@pytest.mark.django_db
def test_lst9_an_import_that_adds_nothing_or_comes_from_elsewhere_answers_its_report_only(client, instructor, empty_list):
    client.force_login(instructor)
    # nothing added (every entry refused): the page is as it was, the report says why
    r = _import(client, empty_list, f"/lists/{empty_list.pk}/edit/", body=b"TY  - BOOK\nER  - \n")
    assert "HX-Retarget" not in r and 'id="editor"' not in r.content.decode()
    assert "0 entries imported" in r.content.decode()
    # sent from a page that is not the list's editor or library page (the student view): the report alone
    r = _import(client, empty_list, f"/lists/{empty_list.pk}/")
    assert "HX-Retarget" not in r and "2 entries imported" in r.content.decode()
    # another list's editor in the header: never that list's page
    r = _import(client, empty_list, "/lists/999999/edit/")
    assert "HX-Retarget" not in r


# --- a background import (session 23): the poll's last answer redraws the page as the import within the request does


@pytest.fixture
def background(settings):
    settings.LIST_IMPORT_INLINE_BYTES = 50  # the two entries above go to the background
    return settings


def _sweep():
    from syllabus.core import clock
    from syllabus.core.tasks import sweeps

    return sweeps()["list_imports"](clock.now())


def _poll(client, lst, job, page_url):
    return client.get(f"/catalog/lists/{lst.pk}/imports/{job.pk}/", HTTP_HX_REQUEST="true",
                      HTTP_HX_CURRENT_URL=f"http://testserver{page_url}")


@pytest.mark.django_db
def test_lst9_the_last_poll_of_a_background_import_redraws_the_editor_around_its_report(client, instructor, empty_list,
                                                                                      background):
    from syllabus.lists.models import ListImport

    client.force_login(instructor)
    assert _import(client, empty_list, f"/lists/{empty_list.pk}/edit/").status_code == 202
    job = ListImport.objects.get(resource_list=empty_list)
    editor = f"/lists/{empty_list.pk}/edit/"
    r = _poll(client, empty_list, job, editor)  # still waiting: the panel alone, polling on
    assert "HX-Retarget" not in r and 'data-status="queued"' in r.content.decode()
    _sweep()
    r = _poll(client, empty_list, job, editor)
    assert r.status_code == 200 and r["HX-Retarget"] == "#editor" and r["HX-Reswap"] == "outerHTML"
    html = r.content.decode()
    assert 'id="editor"' in html and "Pride and prejudice" in html and "Middlemarch" in html
    assert 'data-testid="import-summary"' in html and "2 entries imported" in html
    assert re.search(r'id="messages-live"[^>]*hx-swap-oob="innerHTML"', html)
    assert "hx-trigger=\"every 5s\"" not in html  # nothing polls any more
    assert "Imported in the background: reading.ris, 2 entries." not in html  # the report once, not its line too
    # polled from another page (the student view, a bookmark of the report): the report alone
    r = _poll(client, empty_list, job, f"/lists/{empty_list.pk}/")
    assert "HX-Retarget" not in r and "2 entries imported" in r.content.decode()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_lst9_a_background_import_that_ends_while_the_editor_polls_updates_the_editor(page, login, empty_list, background):
    login("instructor")
    page.goto(f"/lists/{empty_list.pk}/edit/")
    page.evaluate("window.__marker = 1")  # gone if the page reloads
    expect(page.locator("#send-list")).to_be_disabled()
    page.get_by_text("Import RIS, BibTeX or CSL-JSON").click()
    page.get_by_label("File (RIS, BibTeX or CSL-JSON)").set_input_files(
        files=[{"name": "reading.ris", "mimeType": "application/x-research-info-systems", "buffer": RIS}])
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.locator("[data-testid=import-job][data-status=queued]")).to_be_visible()
    expect(page.locator("[data-testid=item]")).to_have_count(0)
    _sweep()  # the timer imports it; the panel's next poll (every 5 s) finds it done
    expect(page.locator("[data-testid=item]")).to_have_count(2)
    expect(page.locator("[data-testid=item]").first).to_have_attribute("data-title", "Pride and prejudice")
    expect(page.locator("#send-list")).to_be_enabled()
    expect(page.get_by_test_id("import-summary")).to_contain_text("2 entries imported")
    expect(page.get_by_test_id("import-entries")).to_contain_text("Middlemarch")
    expect(page.get_by_test_id("message")).to_have_text("2 entries imported")
    expect(page.locator("[data-testid=import-job]")).to_have_count(0)
    assert page.evaluate("window.__marker") == 1
    page.locator("#send-list").click()
    expect(page.get_by_test_id("list-status")).to_have_text("Sent to library")
