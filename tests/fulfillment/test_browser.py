"""In Chromium: a patron requests digitization from a catalog record; the operator processes it
(pick, attach, deliver) through the htmx panel; the patron sees it delivered and opens the file."""
import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_patron_requests_operator_processes_patron_sees_it_delivered(page, login, record, student, operator, edd_all,
                                                                      tmp_path, chromium, live_server):
    login("student")
    page.goto(f"/services/records/{record.pk}/")
    page.get_by_label("Chapters").fill("Chapter 3")
    page.get_by_label("Range 1 from page").fill("45")
    page.get_by_label("Range 1 to page").fill("60")
    page.get_by_label("Note 1").fill("For my essay")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_test_id("request-status")).to_have_text("Pick from shelf")
    request_url = page.url

    staff = chromium.new_context(base_url=live_server.url, locale="en-US")
    op = staff.new_page()
    op.goto("/login/")
    op.fill("#id_username", "operator")
    op.fill("#id_password", "pw")
    op.click("button[type=submit]")
    op.wait_for_url(lambda url: "/login/" not in url)
    op.goto("/services/work/?tab=pick")
    op.get_by_role("cell", name="Middlemarch").locator("xpath=..").get_by_role("link").first.click()
    op.get_by_role("button", name="Picked from shelf").click()
    expect(op.get_by_test_id("request-status")).to_have_text("In digitization")
    scan = tmp_path / "middlemarch-45-60.pdf"
    scan.write_bytes(b"%PDF-1.4 scanned")
    op.get_by_label("Scanned file").set_input_files(str(scan))
    op.get_by_role("button", name="Attach file").click()
    expect(op.get_by_test_id("request-status")).to_have_text("File attached")
    op.get_by_role("button", name="Deliver").click()
    expect(op.get_by_test_id("request-status")).to_have_text("Delivered")
    staff.close()

    page.goto(request_url)
    expect(page.get_by_test_id("request-status")).to_have_text("Delivered")
    with page.expect_response(lambda r: "/file/" in r.url) as resp:
        page.evaluate("url => fetch(url)", page.get_by_test_id("file-link").get_attribute("href"))
    assert resp.value.status == 200


def test_a_refused_action_shows_its_rule_in_the_panel(page, login, patron_request, student, operator, scan):
    from syllabus.fulfillment import services

    req = patron_request()
    services.pick(operator, req)
    services.attach_file(operator, req, scan())
    login("operator")
    page.goto(f"/services/requests/{req.pk}/")
    expect(page.get_by_role("button", name="Deliver")).to_be_visible()
    services.cancel(student, req, reason="found it elsewhere")  # meanwhile, the patron cancels
    page.get_by_role("button", name="Deliver").click()
    expect(page.get_by_test_id("rule-error")).to_contain_text("DIG-10")
    expect(page.get_by_test_id("request-status")).to_have_text("Cancelled")



@pytest.mark.parametrize("first_answer", ["pick", "delivered"])
def test_the_last_tab_chosen_wins_whichever_answer_comes_first(page, login, patron_request, operator, first_answer):
    """Two tabs clicked before either answers: the queue shown is the second tab's, whether its
    answer comes last (an earlier answer must not overwrite it) or first (a later answer for the
    replaced queue must not be lost).  The tabs share one htmx request slot (hx-sync)."""
    import re

    from tests.browsing import XHR_ENDED, Held, xhr_ended

    patron_request()
    login("operator")
    page.goto("/services/work/")
    page.evaluate(XHR_ENDED)
    tabs = page.get_by_role("navigation", name="Request lists")
    held = {tab: Held(page, re.compile(rf"tab={tab}")) for tab in ("pick", "delivered")}
    tabs.get_by_role("link", name="Pick from shelf").click()
    tabs.get_by_role("link", name="Delivered").click()
    for tab in (first_answer, "delivered" if first_answer == "pick" else "pick"):
        held[tab].release()
        xhr_ended(page, f"tab={tab}")               # answered (and swapped, or lost) or abandoned
    expect(tabs.get_by_role("link", name="Delivered")).to_have_attribute("aria-current", "page")
    expect(tabs.get_by_role("link", name="Pick from shelf")).not_to_have_attribute("aria-current", "page")
    expect(page).to_have_url(re.compile(r"tab=delivered$"))


def test_a_request_without_dates_says_so_once(page, login, patron_request, operator):
    """Session 20, a librarian's tour of the back office: a request with no dates read "— – —"."""
    req = patron_request(chapters="Chapter 6")
    login("operator")
    page.goto(f"/services/requests/{req.pk}/")
    expect(page.get_by_test_id("request-dates")).to_have_text("—")


def test_a_refused_configuration_is_said_beside_its_field(page, login, fadmin):
    """DIG-9 in Chromium: a new digitization rule that delivers a link without its maximum number of
    accesses is refused beside the "Max accesses" field of the form that was sent — the field is
    aria-invalid and described by the refusal, which names the rule — and the page stays axe-clean."""
    from tests.web.test_accessibility import check

    login("fadmin")
    page.goto("/services/configuration/")
    new_rule = page.locator("#rules > form")
    new_rule.get_by_label("Name").fill("Links for staff")
    new_rule.get_by_label("Digitization target").select_option("link")
    new_rule.get_by_role("button", name="Save rule").click()
    field = page.locator("#rfnew_max")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_attribute("aria-describedby", "rules-error")
    beside = page.locator("p", has=field).locator("#rules-error")
    expect(beside).to_be_visible()
    expect(beside).to_have_text("DIG-9: a link delivery needs the maximum number of accesses")
    expect(page.locator("[aria-invalid=true]")).to_have_count(1)
    check(page, page.title())
