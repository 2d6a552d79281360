"""In Chromium: the letters editor previews as the administrator types and refuses a broken
template at save (acceptance 5); the bell's count drops when a notification is read, without
a reload."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from syllabus.notify.delivery import deliver_due
from syllabus.notify.models import LetterConfig
from syllabus.notify.services import queue_letter

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_letters_editor_previews_live_and_refuses_a_broken_template(page, login, due_letter, letter_admin):
    login("letters")
    page.goto("/notifications/letters/")
    page.get_by_role("link", name="Loan due soon").click()
    expect(page.get_by_test_id("preview-subject")).to_have_text("Middlemarch is due on 2026-03-09")

    page.fill("#letter-subject", "Reminder: {{ title|upper }}")
    expect(page.get_by_test_id("preview-subject")).to_have_text("Reminder: MIDDLEMARCH")

    page.fill("#letter-body", "Dear {{ patrn }}")
    expect(page.get_by_test_id("preview-errors")).to_contain_text("unknown variable “patrn”")

    page.click("[data-testid=save-letter]")
    expect(page.locator("#letter-errors")).to_contain_text("The letter is not saved")
    expect(page.locator("#letter-body")).to_have_attribute("aria-invalid", "true")
    assert not LetterConfig.objects.exists()

    page.fill("#letter-body", "Dear {{ patron }}, {{ title }} is due.")
    page.click("[data-testid=save-letter]")
    expect(page.locator(".messages")).to_contain_text("is saved")
    assert LetterConfig.objects.get().body == "Dear {{ patron }}, {{ title }} is due."


def test_the_bell_count_drops_without_a_reload(page, login, due_letter, patron):
    for key, title in (("a", "Emma"), ("b", "Persuasion")):
        queue_letter("test_due_soon", patron, {"title": title, "due": "Friday"}, key=key, channels=("inapp",))
    deliver_due()
    login("patron")
    page.goto("/notifications/")
    bell = page.locator(".main-nav a[href='/notifications/'] .badge")
    expect(bell).to_have_text("2")
    page.evaluate("window.__not_reloaded = true")
    page.locator("[data-testid=notification]", has_text="Emma").get_by_role("button", name="Mark as read").click()
    expect(bell).to_have_text("1")
    page.click("[data-testid=read-all]")
    expect(bell).to_have_count(0)
    assert page.evaluate("window.__not_reloaded") is True


def test_preferences_show_a_refused_phone_number_in_place(page, login, patron):
    login("patron")
    page.goto("/notifications/preferences/")
    page.fill("#pref-phone", "call me maybe")
    page.click("#preferences-form button[type=submit]")
    expect(page.locator("#preferences-form [role=alert]")).to_contain_text("international form")
    expect(page.locator("#pref-phone")).to_have_attribute("aria-invalid", "true")
    page.fill("#pref-phone", "+44 20 7946 0958")
    page.uncheck("#pref-sms-on")
    page.click("#preferences-form button[type=submit]")
    expect(page.locator("#preferences-form .ok")).to_be_visible()
    patron.refresh_from_db()
    assert patron.phone == "+442079460958" and patron.contact_preference.sms_enabled is False


@pytest.mark.parametrize("first_answer", ["failed", "sent"])
def test_the_outboxs_last_tab_chosen_wins_whichever_answer_comes_first(page, login, letter_admin, first_answer):
    """Two status tabs of the outbox clicked before either answers: the messages shown (and the
    address) are the second tab's (the form and the tabs share one htmx request slot, hx-sync)."""
    import re

    from tests.browsing import XHR_ENDED, Held, xhr_ended

    login("letters")
    page.goto("/notifications/outbox/")
    tabs = page.get_by_role("navigation", name="Outbox status")
    expect(tabs.locator("[data-tab=pending]")).to_have_attribute("aria-current", "page")
    page.evaluate(XHR_ENDED)
    held = {tab: Held(page, re.compile(rf"status={tab}")) for tab in ("failed", "sent")}
    tabs.locator("[data-tab=failed]").click()
    tabs.locator("[data-tab=sent]").click()
    for tab in (first_answer, "sent" if first_answer == "failed" else "failed"):
        held[tab].release()
        xhr_ended(page, f"status={tab}")            # answered (and swapped) or abandoned
    expect(tabs.locator("[data-tab=sent]")).to_have_attribute("aria-current", "page")
    expect(tabs.locator("[data-tab=failed]")).not_to_have_attribute("aria-current", "page")
    expect(page).to_have_url(re.compile(r"status=sent"))


def test_sending_two_outbox_messages_now_answers_both(page, login, due_letter, patron, letter_admin):
    """Send now on two rows in quick succession: each row shows its answer; the second does not
    abandon the first (a row's form keeps its own htmx request slot)."""
    import re

    from syllabus.notify.models import OutboxMessage
    from tests.browsing import Held

    for key, title in (("a", "Emma"), ("b", "Persuasion")):
        queue_letter("test_due_soon", patron, {"title": title, "due": "Friday"}, key=key, channels=("email",))
    first, second = OutboxMessage.objects.order_by("pk")
    login("letters")
    page.goto("/notifications/outbox/")
    page.evaluate("document.querySelectorAll('tr[id^=outbox-]').forEach(r => { r.dataset.before = '1'; })")
    answered = {m.pk: page.locator(f"#outbox-{m.pk}:not([data-before])") for m in (first, second)}  # the row the answer brought
    slow = Held(page, re.compile(rf"/outbox/{first.pk}/"))
    page.locator(f"#outbox-{first.pk}").get_by_role("button", name=re.compile("Send now")).click()
    page.locator(f"#outbox-{second.pk}").get_by_role("button", name=re.compile("Send now")).click()
    expect(answered[second.pk]).to_have_count(1)
    slow.release()
    expect(answered[first.pk]).to_have_count(1)
