"""In-app notifications (the bell with an unread count) and users' contact details and channel
preferences (NTF-1, NTF-2)."""
from __future__ import annotations

import pytest

from syllabus.notify.delivery import deliver_due
from syllabus.notify.models import Notification, OutboxMessage
from syllabus.notify.services import queue_letter, update_contact
from syllabus.core.errors import PermissionDenied, RuleViolation

pytestmark = pytest.mark.django_db


def _notify(user, key="n1", title="Middlemarch"):
    queue_letter("test_due_soon", user, {"title": title, "due": "Friday", "link": "/notifications/"}, key=key, channels=("inapp",))
    deliver_due()


def test_an_inapp_letter_becomes_a_notification_and_the_bell_counts_it(client, due_letter, patron):
    _notify(patron)
    n = Notification.objects.get()
    assert (n.user, n.subject, n.link, n.read_at) == (patron, "Middlemarch is due on Friday", "/notifications/", None)
    assert n.outbox.status == OutboxMessage.Status.SENT
    client.force_login(patron)
    html = client.get("/").content.decode()
    assert "Notifications" in html and 'aria-label="1 new">1</span>' in html


def test_inapp_delivery_is_idempotent(due_letter, patron):
    _notify(patron)
    msg = OutboxMessage.objects.get()
    from syllabus.notify.channels import Senders

    Senders().send_inapp(msg)  # a repeat after a crash
    assert Notification.objects.count() == 1


def test_reading_a_notification_clears_the_count_with_htmx(client, due_letter, patron):
    _notify(patron, "a")
    _notify(patron, "b", title="Emma")
    client.force_login(patron)
    page = client.get("/notifications/").content.decode()
    assert page.count('data-testid="notification"') == 2 and "data-nav-refresh" in page
    n = Notification.objects.get(subject__startswith="Emma")
    r = client.post(f"/notifications/{n.pk}/read/", HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and r["HX-Trigger"] == "syllabus:nav-changed"
    assert "Mark as read" not in r.content.decode()
    nav = client.get("/notifications/nav/?path=/notifications/").content.decode()
    assert 'aria-label="1 new">1</span>' in nav
    r = client.post("/notifications/read-all/", HTTP_HX_REQUEST="true")
    assert r["HX-Trigger"] == "syllabus:nav-changed"
    assert Notification.objects.filter(read_at__isnull=True).count() == 0
    assert 'class="badge"' not in client.get("/notifications/nav/").content.decode()


def test_nobody_reads_someone_elses_notification(client, api, due_letter, patron, student):
    _notify(patron)
    n = Notification.objects.get()
    client.force_login(student)
    assert client.post(f"/notifications/{n.pk}/read/").status_code == 404
    r = api(student).post(f"/api/v1/notifications/{n.pk}/read")
    assert r.status_code == 404 and r.json()["rule"] == "NTF-2"
    assert Notification.objects.get().read_at is None
    assert api(student).get("/api/v1/me/notifications").json() == {"unread": 0, "items": [], "count": 0, "next": None}


def test_the_notifications_api(api, due_letter, patron):
    _notify(patron)
    body = api(patron).get("/api/v1/me/notifications").json()
    assert body["unread"] == 1 and body["items"][0]["subject"] == "Middlemarch is due on Friday"
    nid = body["items"][0]["id"]
    assert api(patron).post(f"/api/v1/notifications/{nid}/read").json()["read"] is True
    assert api(patron).get("/api/v1/me/notifications", {"unread": "true"}).json() == {"unread": 0, "items": [], "count": 0, "next": None}
    assert api().get("/api/v1/me/notifications").status_code == 401


def test_a_javascript_link_is_never_rendered(client, due_letter, patron):
    queue_letter("test_due_soon", patron, {"title": "X", "link": "javascript:alert(1)"}, key="js", channels=("inapp",))
    deliver_due()
    client.force_login(patron)
    assert "javascript:" not in client.get("/notifications/").content.decode()


def test_notification_pages_need_a_login(client):
    for path in ("/notifications/", "/notifications/preferences/", "/notifications/nav/"):
        r = client.get(path)
        assert r.status_code == 302 and "/login/" in r["Location"]


# --- contact details and preferences --------------------------------------------------------------

def test_channels_a_person_switched_off_get_no_row(due_letter, patron):
    update_contact(patron, patron, sms_enabled=False, inapp_enabled=False)
    rows = queue_letter("test_due_soon", patron, {"title": "T"}, key="p1")
    assert [r.channel for r in rows] == ["email"]


def test_contact_details_are_checked_and_normalised(patron):
    update_contact(patron, patron, email=" new@example.edu ", phone="+44 (0)20 7946-0958")
    patron.refresh_from_db()
    assert (patron.email, patron.phone) == ("new@example.edu", "+442079460958")
    with pytest.raises(RuleViolation) as caught:
        update_contact(patron, patron, email="not-an-address")
    assert (caught.value.rule, caught.value.field) == ("NTF-1", "email")
    with pytest.raises(RuleViolation) as caught:
        update_contact(patron, patron, phone="call me")
    assert caught.value.field == "phone"
    update_contact(patron, patron, phone="")
    patron.refresh_from_db()
    assert patron.phone == ""


def test_people_change_only_their_own_contact_details(patron, student):
    with pytest.raises(PermissionDenied):
        update_contact(student, patron, email="hijack@example.edu")


def test_the_preferences_page_saves_with_htmx_and_shows_errors(client, patron):
    client.force_login(patron)
    r = client.get("/notifications/preferences/")
    assert r.status_code == 200 and 'id="pref-phone"' in r.content.decode()
    r = client.post("/notifications/preferences/", {"email": "pat@example.edu", "phone": "12", "email_enabled": "on"},
                    HTTP_HX_REQUEST="true")
    assert r.status_code == 400 and "international form" in r.content.decode() and 'aria-invalid="true"' in r.content.decode()
    r = client.post("/notifications/preferences/", {"email": "pat@example.edu", "phone": "+15550100999", "email_enabled": "on"},
                    HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and "Saved." in r.content.decode()
    patron.refresh_from_db()
    pref = patron.contact_preference
    assert patron.phone == "+15550100999" and (pref.email_enabled, pref.sms_enabled, pref.inapp_enabled) == (True, False, False)


def test_the_contact_api(api, patron):
    assert api(patron).get("/api/v1/me/contact").json() == {
        "email": "pat@example.edu", "phone": "+15550100001", "email_enabled": True, "sms_enabled": True, "inapp_enabled": True}
    r = api(patron).put("/api/v1/me/contact", {"sms_enabled": False, "phone": "+15550100002"})
    assert r.status_code == 200 and r.json()["sms_enabled"] is False and r.json()["phone"] == "+15550100002"
    r = api(patron).put("/api/v1/me/contact", {"email": "nope"})
    assert r.status_code == 400 and r.json()["rule"] == "NTF-1"
