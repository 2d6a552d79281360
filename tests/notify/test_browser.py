"""In Chromium: the letters editor previews as the administrator types and refuses a broken
template at save (acceptance 5); the bell's count drops when a notification is read, without
a reload."""
from __future__ import annotations

import pytest

from syllabus.notify.delivery import deliver_due
from syllabus.notify.models import LetterConfig
from syllabus.notify.services import queue_letter

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_letters_editor_previews_live_and_refuses_a_broken_template(page, login, due_letter, letter_admin):
    login("letters")
    page.goto("/notifications/letters/")
    page.get_by_role("link", name="Loan due soon").click()
    page.wait_for_selector("[data-testid=preview-subject]")
    assert page.text_content("[data-testid=preview-subject]") == "Middlemarch is due on 2026-03-09"

    page.fill("#letter-subject", "Reminder: {{ title|upper }}")
    page.wait_for_function("document.querySelector('[data-testid=preview-subject]')?.textContent === 'Reminder: MIDDLEMARCH'")

    page.fill("#letter-body", "Dear {{ patrn }}")
    page.wait_for_selector("[data-testid=preview-errors]")
    assert "unknown variable “patrn”" in page.text_content("[data-testid=preview-errors]")

    page.click("[data-testid=save-letter]")
    page.wait_for_selector("#letter-errors")
    assert "The letter is not saved" in page.text_content("#letter-errors")
    assert page.get_attribute("#letter-body", "aria-invalid") == "true"
    assert not LetterConfig.objects.exists()

    page.fill("#letter-body", "Dear {{ patron }}, {{ title }} is due.")
    page.click("[data-testid=save-letter]")
    page.wait_for_selector("text=is saved")
    assert LetterConfig.objects.get().body == "Dear {{ patron }}, {{ title }} is due."


def test_the_bell_count_drops_without_a_reload(page, login, due_letter, patron):
    for key, title in (("a", "Emma"), ("b", "Persuasion")):
        queue_letter("test_due_soon", patron, {"title": title, "due": "Friday"}, key=key, channels=("inapp",))
    deliver_due()
    login("patron")
    page.goto("/notifications/")
    bell = page.locator(".main-nav a[href='/notifications/'] .badge")
    assert bell.text_content() == "2"
    page.evaluate("window.__not_reloaded = true")
    page.locator("[data-testid=notification]", has_text="Emma").get_by_role("button", name="Mark as read").click()
    page.wait_for_function("document.querySelector(\".main-nav a[href='/notifications/'] .badge\")?.textContent === '1'")
    page.click("[data-testid=read-all]")
    page.wait_for_function("!document.querySelector(\".main-nav a[href='/notifications/'] .badge\")")
    assert page.evaluate("window.__not_reloaded") is True


def test_preferences_show_a_refused_phone_number_in_place(page, login, patron):
    login("patron")
    page.goto("/notifications/preferences/")
    page.fill("#pref-phone", "call me maybe")
    page.click("#preferences-form button[type=submit]")
    page.wait_for_selector("#preferences-form [role=alert]")
    assert "international form" in page.text_content("#preferences-form [role=alert]")
    assert page.get_attribute("#pref-phone", "aria-invalid") == "true"
    page.fill("#pref-phone", "+44 20 7946 0958")
    page.uncheck("#pref-sms-on")
    page.click("#preferences-form button[type=submit]")
    page.wait_for_selector("#preferences-form .ok")
    patron.refresh_from_db()
    assert patron.phone == "+442079460958" and patron.contact_preference.sms_enabled is False
