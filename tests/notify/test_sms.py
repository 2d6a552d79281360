"""The SMS channel: a pluggable backend (SMS_BACKEND); the HTTP provider adapters are tested
against a fake provider on loopback, the log backend is the demo's."""
from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs

import pytest

from syllabus.notify.delivery import deliver_due
from syllabus.notify.models import OutboxMessage
from syllabus.notify.services import queue_letter
from syllabus.notify.sms import HttpBackend, LogBackend, SmsError, TwilioBackend

pytestmark = pytest.mark.django_db


def _queue_sms(patron, key="loan:1:due"):
    return queue_letter("test_due_soon", patron, {"title": "Middlemarch", "due": "9 March"}, key=key, channels=("sms",))


def test_the_http_provider_receives_the_sms_with_its_idempotency_key(settings, sms_provider, due_letter, patron):
    settings.SMS_BACKEND = "syllabus.notify.sms.HttpBackend"
    settings.SMS_API_URL = sms_provider.url + "/v1/messages"
    settings.SMS_API_TOKEN = "secret-token"
    _queue_sms(patron)
    assert deliver_due().sent == 1
    [request] = sms_provider.requests
    assert request["path"] == "/v1/messages"
    assert request["headers"]["Authorization"] == "Bearer secret-token"
    assert request["headers"]["Idempotency-Key"] == "loan:1:due:sms"
    assert sms_provider.json_bodies() == [{"to": "+15550100001", "text": "Middlemarch due 9 March", "reference": "loan:1:due:sms"}]
    row = OutboxMessage.objects.get()
    assert row.status == OutboxMessage.Status.SENT and row.provider_id == "sms-1"


def test_a_provider_error_is_retried_and_the_repeat_carries_the_same_key(settings, sms_provider, due_letter, patron, clock):
    settings.SMS_BACKEND = "syllabus.notify.sms.HttpBackend"
    settings.SMS_API_URL = sms_provider.url
    sms_provider.fail_next = 1
    _queue_sms(patron)
    assert deliver_due().retrying == 1
    row = OutboxMessage.objects.get()
    assert row.status == OutboxMessage.Status.PENDING
    assert row.last_error.startswith("SmsError: SMS provider answered HTTP 503: provider busy")
    clock.advance(dt.timedelta(minutes=2))
    assert deliver_due().sent == 1
    assert [r["headers"]["Idempotency-Key"] for r in sms_provider.requests] == ["loan:1:due:sms", "loan:1:due:sms"]


def test_an_unreachable_provider_is_an_error_not_a_crash(settings, due_letter, patron):
    settings.SMS_BACKEND = "syllabus.notify.sms.HttpBackend"
    settings.SMS_API_URL = "http://127.0.0.1:9/unreachable"
    _queue_sms(patron)
    assert deliver_due().retrying == 1
    assert "SMS provider unreachable" in OutboxMessage.objects.get().last_error


def test_the_twilio_style_form_api(sms_provider):
    backend = TwilioBackend(url=sms_provider.url + "/2010-04-01/Accounts/AC123/Messages.json", token="AC123:authtok", sender="+15550000000")
    assert backend.send("+15550100001", "Hello", idempotency_key="k:sms") == "sms-1"
    [request] = sms_provider.requests
    assert parse_qs(request["body"]) == {"To": ["+15550100001"], "From": ["+15550000000"], "Body": ["Hello"]}
    assert request["headers"]["Authorization"].startswith("Basic ")
    with pytest.raises(SmsError):
        TwilioBackend(url=sms_provider.url, token="no-colon")


def test_the_http_backend_needs_a_url(settings):
    settings.SMS_API_URL = ""
    with pytest.raises(SmsError):
        HttpBackend()


def test_the_log_backend_is_the_default_and_keeps_what_it_sent(settings, due_letter, patron):
    assert settings.SMS_BACKEND == "syllabus.notify.sms.LogBackend"
    _queue_sms(patron)
    deliver_due()
    assert [(m["to"], m["text"], m["idempotency_key"]) for m in LogBackend.outbox] == [
        ("+15550100001", "Middlemarch due 9 March", "loan:1:due:sms")]


def test_no_phone_number_no_sms_row(due_letter, make_user):
    nophone = make_user("nophone", email="n@example.edu")
    assert _queue_sms(nophone) == []



def test_the_sms_gateway_may_be_on_the_intranet_but_never_redirects_inward(settings):
    """Session 15: the gateway is the operator's (SMS_API_URL on 127.0.0.1 here, not in
    OUTBOUND_PRIVATE_HOSTS) and is reached; before, a plain requests.post followed a redirect to
    any address and read an answer of any size.  Now a redirect to another internal name is
    refused before it is sent (an SmsError: the outbox retries later)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    hits = []

    class Gateway(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            hits.append(self.path)
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path == "/moved":
                self.send_response(307)
                self.send_header("Location", f"http://localhost:{self.server.server_address[1]}/inside")
                body = b""
            else:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                body = b'{"id": "sms-9"}'
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.OUTBOUND_PRIVATE_HOSTS = []
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        assert HttpBackend(url=base + "/v1/messages", token="t").send("+15550100001", "hi", idempotency_key="k1") == "sms-9"
        with pytest.raises(SmsError, match="localhost is a private or local"):
            HttpBackend(url=base + "/moved", token="t").send("+15550100001", "hi", idempotency_key="k2")
        assert hits == ["/v1/messages", "/moved"]
    finally:
        server.shutdown()
        server.server_close()
