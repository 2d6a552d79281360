"""Fixtures of the notifications tests: a declared test letter, a Letter Administrator, a real
SMTP server on loopback (aiosmtpd) and a fake SMS provider (a local HTTP server)."""
from __future__ import annotations

import json
import threading
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from syllabus.notify import letters as letters_module
from syllabus.notify.sms import LogBackend
from syllabus.org.roles import Role
from tests.independent import free_port as _free_port  # below the ephemeral range


@pytest.fixture(autouse=True)
def _clean_sms_log():
    LogBackend.outbox.clear()
    yield
    LogBackend.outbox.clear()


@pytest.fixture
def due_letter():
    """A letter declared for the tests (removed afterwards): e-mail, SMS and in-app."""
    before = dict(letters_module.LETTERS)
    letter = letters_module.declare_letter(
        "test_due_soon", "Loan due soon",
        channels=("email", "sms", "inapp"),
        variables=("patron", "title", "due", "link"),
        sample={"patron": "Ada Lovelace", "title": "Middlemarch", "due": "2026-03-09", "link": "/lending/"},
        subject="{{ title }} is due on {{ due }}",
        body="Dear {{ patron }},\n\n{{ title }} is due back on {{ due }}.\n\n{{ institution_name }} library",
        sms="{{ title }} due {{ due }}",
    )
    yield letter
    letters_module.LETTERS.clear()
    letters_module.LETTERS.update(before)


@pytest.fixture
def email_letter():
    before = dict(letters_module.LETTERS)
    letter = letters_module.declare_letter(
        "test_welcome", "Welcome", channels=("email",), variables=("course",), sample={"course": "HIST101"},
        subject="Welcome to {{ course }}", body="Hello {{ recipient_name }}, welcome to {{ course }}.")
    yield letter
    letters_module.LETTERS.clear()
    letters_module.LETTERS.update(before)


@pytest.fixture
def letter_admin(make_user):
    return make_user("letters", group="staff", roles=[Role.LETTER_ADMINISTRATOR], first_name="Lena", last_name="Letters")


@pytest.fixture
def patron(make_user):
    return make_user("patron", first_name="Pat", last_name="Ron", email="pat@example.edu", phone="+15550100001")


class SmtpInbox:
    """What the loopback SMTP server received: parsed messages and envelopes."""

    def __init__(self):
        self.messages = []
        self.envelopes = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.envelopes.append(envelope)
            self.messages.append(message_from_bytes(envelope.original_content or envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server (aiosmtpd) on loopback; Django's SMTP backend points at it."""
    from aiosmtpd.controller import Controller

    inbox = SmtpInbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.DEFAULT_FROM_EMAIL = "library@inst-a.example.edu"
    try:
        yield inbox
    finally:
        controller.stop()


class FakeSmsProvider:
    """A local HTTP server that plays an SMS provider; ``fail_next`` answers 503 that many times."""

    def __init__(self):
        self.requests: list[dict] = []
        self.fail_next = 0
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode()
                provider.requests.append({"path": self.path, "headers": dict(self.headers), "body": raw})
                if provider.fail_next:
                    provider.fail_next -= 1
                    self.send_response(503)
                    self.end_headers()
                    self.wfile.write(b"provider busy")
                    return
                payload = json.dumps({"id": f"sms-{len(provider.requests)}", "sid": f"SM{len(provider.requests)}"}).encode()
                self.send_response(201)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def json_bodies(self) -> list[dict]:
        return [json.loads(r["body"]) for r in self.requests]


@pytest.fixture
def sms_provider():
    provider = FakeSmsProvider()
    provider.thread.start()
    try:
        yield provider
    finally:
        provider.server.shutdown()
        provider.server.server_close()
