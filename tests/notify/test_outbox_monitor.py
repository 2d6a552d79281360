"""The outbox monitor (OUT-1): pending / sent / failed / suppressed, and retry."""
from __future__ import annotations

import re

import pytest
from django.core import mail

from syllabus.notify.channels import Senders
from syllabus.notify.delivery import deliver_due
from syllabus.notify.models import OutboxMessage
from syllabus.notify.services import queue_letter, save_letter
from syllabus.org.roles import Role

pytestmark = pytest.mark.django_db
Status = OutboxMessage.Status


@pytest.fixture
def mixed_outbox(due_letter, patron, letter_admin, inst_a, monkeypatch, settings):
    """One sent, one failed for good, one pending, one suppressed."""
    settings.OUTBOX_MAX_ATTEMPTS = 1
    queue_letter("test_due_soon", patron, {"title": "Sent"}, key="ok", channels=("email",))
    deliver_due()
    real = Senders.send_email
    monkeypatch.setattr(Senders, "send_email", lambda self, msg: (_ for _ in ()).throw(ConnectionError("relay refused")))
    queue_letter("test_due_soon", patron, {"title": "Broken"}, key="bad", channels=("email",))
    deliver_due()
    monkeypatch.setattr(Senders, "send_email", real)
    queue_letter("test_due_soon", patron, {"title": "Waiting"}, key="wait", channels=("email",))
    save_letter(letter_admin, inst_a, "test_due_soon", channels={"sms": False})
    queue_letter("test_due_soon", patron, {"title": "Muted"}, key="mute", channels=("sms",))
    settings.OUTBOX_MAX_ATTEMPTS = 8
    return {row.idempotency_key.split(":")[0]: row for row in OutboxMessage.objects.all()}


def test_the_monitor_shows_each_status_with_counts(client, mixed_outbox, letter_admin):
    client.force_login(letter_admin)
    page = client.get("/notifications/outbox/?status=failed").content.decode()
    assert 'data-count="pending">1<' in page and 'data-count="failed">1<' in page
    assert 'data-count="sent">1<' in page and 'data-count="suppressed">1<' in page
    assert "Broken is due" in page and "relay refused" in page and "Waiting is due" not in page
    sent = client.get("/notifications/outbox/?status=sent", HTTP_HX_REQUEST="true").content.decode()
    assert "Sent is due" in sent and "<html" not in sent
    suppressed = client.get("/notifications/outbox/?status=suppressed").content.decode()
    assert "sms disabled for this letter" in suppressed


def test_retry_from_the_monitor_sends_a_failed_message(client, mixed_outbox, letter_admin):
    client.force_login(letter_admin)
    bad = mixed_outbox["bad"]
    assert bad.status == Status.FAILED
    r = client.post(f"/notifications/outbox/{bad.pk}/retry/", HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and 'data-status="pending"' in r.content.decode()
    bad.refresh_from_db()
    assert (bad.status, bad.attempts) == (Status.PENDING, 0)
    deliver_due()
    bad.refresh_from_db()
    assert bad.status == Status.SENT
    assert [m.subject for m in mail.outbox] == ["Sent is due on", "Broken is due on", "Waiting is due on"]


def test_a_sent_message_is_not_retried(api, client, mixed_outbox, letter_admin):
    r = api(letter_admin).post(f"/api/v1/outbox/{mixed_outbox['ok'].pk}/retry")
    assert r.status_code == 409 and r.json()["rule"] == "OUT-1"
    client.force_login(letter_admin)   # the page: the refusal page naming the rule, with the way back (web.errors)
    r = client.post(f"/notifications/outbox/{mixed_outbox['ok'].pk}/retry/")
    assert r.status_code == 409 and "<strong>OUT-1:</strong>" in r.content.decode()
    assert 'href="/notifications/outbox/"' in r.content.decode()


def test_the_outbox_api(api, mixed_outbox, letter_admin):
    body = api(letter_admin).get("/api/v1/outbox", {"status": "failed"}).json()
    assert body["counts"] == {"pending": 1, "sent": 1, "failed": 1, "suppressed": 1, "all": 4}
    assert [m["idempotency_key"] for m in body["items"]] == ["bad:email"]
    assert body["items"][0]["last_error"] == "ConnectionError: relay refused"
    r = api(letter_admin).post(f"/api/v1/outbox/{mixed_outbox['bad'].pk}/retry")
    assert r.status_code == 200 and r.json()["status"] == "pending"


def test_who_sees_the_outbox(api, client, mixed_outbox, student, librarian, make_user, inst_b):
    assert api().get("/api/v1/outbox").status_code == 401
    assert api(student).get("/api/v1/outbox").status_code == 403
    assert api(librarian).get("/api/v1/outbox").status_code == 403
    assert api(librarian).post(f"/api/v1/outbox/{mixed_outbox['bad'].pk}/retry").status_code == 403
    other = make_user("other-letters", institution=inst_b, roles=[Role.LETTER_ADMINISTRATOR])
    assert api(other).get("/api/v1/outbox", {"status": "all"}).json()["count"] == 0
    assert api(other).post(f"/api/v1/outbox/{mixed_outbox['bad'].pk}/retry").status_code == 404
    client.force_login(other)
    assert client.post(f"/notifications/outbox/{mixed_outbox['bad'].pk}/retry/").status_code == 404
    client.force_login(librarian)
    assert client.post(f"/notifications/outbox/{mixed_outbox['bad'].pk}/retry/").status_code == 403


def test_the_back_office_nav_shows_letters_and_outbox_to_the_letter_administrator(client, letter_admin, librarian):
    client.force_login(letter_admin)
    html = client.get("/").content.decode()
    assert 'href="/notifications/letters/"' in html and 'href="/notifications/outbox/"' in html
    client.force_login(librarian)
    html = client.get("/").content.decode()
    assert 'href="/notifications/letters/"' not in html


def test_the_french_monitor_tabs_agree_with_the_messages_they_hold(client, mixed_outbox, letter_admin):
    """OUT-1 in French: the tabs count messages (masculine, plural): "Envoyés", "En échec", "Tous" — not a
    request's "Envoyée" or the state noun "Échec"."""
    from django.urls import reverse

    client.force_login(letter_admin)
    client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    page = client.get("/notifications/outbox/?status=sent").content.decode()
    labels = dict(re.findall(r'data-tab="(\w+)">\s*([^<]*?)\s*<', page))
    assert labels == {"pending": "En attente", "failed": "En échec", "sent": "Envoyés", "suppressed": "Bloqués",
                      "all": "Tous"}, labels
