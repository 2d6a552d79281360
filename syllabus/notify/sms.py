"""SMS backends, chosen by ``SMS_BACKEND`` (a dotted path), like Django's e-mail backends.

- :class:`LogBackend` (the default, for the demo): writes the SMS to the log and keeps it in
  :attr:`LogBackend.outbox`.
- :class:`HttpBackend`: a provider with a JSON API — ``POST SMS_API_URL`` with
  ``{"to", "text", "reference"}``, ``Authorization: Bearer SMS_API_TOKEN`` and an
  ``Idempotency-Key`` header; any 2xx is success (the provider's ``id``/``message_id``/``sid``
  is kept), anything else raises :class:`SmsError` and the outbox retries later.
- :class:`TwilioBackend`: the form-encoded API of Twilio and its clones — ``SMS_API_URL`` is
  ``https://api.twilio.com/2010-04-01/Accounts/<SID>/Messages.json``, ``SMS_API_TOKEN`` is
  ``<SID>:<auth token>`` (HTTP basic auth), the sender is ``SMS_FROM`` (env).

Every backend receives the outbox row's idempotency key, so that a re-send after a crash
is recognisable by the provider.  The HTTP backends send through ``syllabus.core.outbound``: the
configured host may be on the intranet (an SMS gateway of the campus), a redirect from it to
another internal address is refused, and the provider's answer is bounded in size and time.
"""
from __future__ import annotations

import hashlib
import logging
import os
import threading

from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.utils.module_loading import import_string

from syllabus.core import outbound
from syllabus.core.errors import RuleViolation
from syllabus.core import jsondata

log = logging.getLogger("syllabus.notify.sms")


class SmsError(Exception):
    """The provider refused or could not be reached; the outbox will retry."""


ANSWER_MAX = 100_000   # bytes of a provider's answer (an id, or an error)


def _post(url: str, timeout: float, **kwargs) -> requests.Response:
    """POST to the operator's SMS gateway (``SMS_API_URL``) through the one outbound client."""
    session = outbound.session(rule="LDL-12", field="SMS_API_URL", max_bytes=ANSWER_MAX, deadline=max(timeout, 1.0) * 3,
                               operator_hosts=frozenset({(urlsplit(url).hostname or "").lower()}))
    try:
        response = session.post(url, timeout=timeout, **kwargs)
        response.content  # noqa: B018 (read here, within the ceilings)
    except requests.RequestException as exc:
        raise SmsError(f"SMS provider unreachable: {exc.__class__.__name__}: {exc}") from exc
    except RuleViolation as exc:
        raise SmsError(f"SMS provider refused by the outbound checks: {exc}") from exc
    return response


class BaseSmsBackend:
    def send(self, to: str, text: str, *, idempotency_key: str) -> str:
        """Send one SMS; return the provider's id for it (may be empty)."""
        raise NotImplementedError


class LogBackend(BaseSmsBackend):
    """Logs SMS instead of sending them (the demo default); tests read :attr:`outbox`."""

    outbox: list[dict] = []
    _lock = threading.Lock()

    def send(self, to: str, text: str, *, idempotency_key: str) -> str:
        provider_id = "log-" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:16]
        log.info("SMS to %s [%s]: %s", to, idempotency_key, text)
        with self._lock:
            LogBackend.outbox.append({"to": to, "text": text, "idempotency_key": idempotency_key, "id": provider_id})
        return provider_id


class HttpBackend(BaseSmsBackend):
    """A provider with a JSON HTTP API (see the module docstring)."""

    def __init__(self, url: str | None = None, token: str | None = None, timeout: float = 10.0):
        self.url = url if url is not None else settings.SMS_API_URL
        self.token = token if token is not None else settings.SMS_API_TOKEN
        self.timeout = timeout
        if not self.url:
            raise SmsError("SMS_API_URL is not set")

    def send(self, to: str, text: str, *, idempotency_key: str) -> str:
        headers = {"Idempotency-Key": idempotency_key, "Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        response = _post(self.url, self.timeout, json={"to": to, "text": text, "reference": idempotency_key},
                         headers=headers)
        return _provider_id(response)


class TwilioBackend(BaseSmsBackend):
    """Twilio-style form API with HTTP basic auth (see the module docstring)."""

    def __init__(self, url: str | None = None, token: str | None = None, sender: str | None = None, timeout: float = 10.0):
        self.url = url if url is not None else settings.SMS_API_URL
        token = token if token is not None else settings.SMS_API_TOKEN
        self.sender = sender if sender is not None else getattr(settings, "SMS_FROM", "") or os.environ.get("SMS_FROM", "")
        self.timeout = timeout
        if not self.url or ":" not in (token or ""):
            raise SmsError("SMS_API_URL and SMS_API_TOKEN=<account sid>:<auth token> are needed")
        self.auth = tuple(token.split(":", 1))

    def send(self, to: str, text: str, *, idempotency_key: str) -> str:
        response = _post(self.url, self.timeout, data={"To": to, "From": self.sender, "Body": text},
                         headers={"Idempotency-Key": idempotency_key}, auth=self.auth)
        return _provider_id(response)


def _provider_id(response) -> str:
    if not 200 <= response.status_code < 300:
        raise SmsError(f"SMS provider answered HTTP {response.status_code}: {response.text[:300]}")
    try:
        data = jsondata.loads(response.content)
    except ValueError:
        return ""
    if not isinstance(data, dict):
        return ""
    return str(data.get("id") or data.get("message_id") or data.get("sid") or "")


def get_backend() -> BaseSmsBackend:
    return import_string(settings.SMS_BACKEND)()
