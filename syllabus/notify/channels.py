"""How one outbox row goes out on its channel: e-mail, SMS or in-app.

Each sender returns the provider's id of the message (or raises: the worker retries).
Every message carries its idempotency key: e-mail as a ``Message-ID`` derived from it (and an
``X-Syllabus-Idempotency-Key`` header), SMS as the provider's idempotency key, in-app as the
one-to-one link of the notification to its outbox row.
"""
from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from .models import Notification, OutboxMessage
from .sms import get_backend as get_sms_backend


class DeliveryError(Exception):
    """The message cannot go out as it is (no address, no recipient...)."""


class Senders:
    """The channel senders of one worker run (one SMTP connection, one SMS backend)."""

    def __init__(self):
        self._email_connection = None
        self._sms_backend = None

    def send(self, msg: OutboxMessage) -> str:
        sender = getattr(self, f"send_{msg.channel}", None)
        if sender is None:
            raise DeliveryError(f"unknown channel {msg.channel!r}")
        return sender(msg)

    # --- e-mail ------------------------------------------------------------------------
    def send_email(self, msg: OutboxMessage) -> str:
        if not msg.address:
            raise DeliveryError("no e-mail address")
        if self._email_connection is None:
            self._email_connection = get_connection(fail_silently=False)
        email = EmailMessage(
            subject=msg.subject, body=msg.body, from_email=settings.DEFAULT_FROM_EMAIL, to=[msg.address],
            headers={"Message-ID": msg.message_id, "X-Syllabus-Idempotency-Key": msg.idempotency_key,
                     "X-Syllabus-Letter": msg.letter},
            connection=self._email_connection,
        )
        try:
            email.send(fail_silently=False)
        except Exception:
            self._close_email()  # the SMTP session may be broken: open a new one next time
            raise
        return msg.message_id

    def _close_email(self) -> None:
        if self._email_connection is not None:
            try:
                self._email_connection.close()
            except Exception:
                pass
            self._email_connection = None

    # --- SMS -----------------------------------------------------------------------------
    def send_sms(self, msg: OutboxMessage) -> str:
        if not msg.address:
            raise DeliveryError("no phone number")
        if self._sms_backend is None:
            self._sms_backend = get_sms_backend()
        return self._sms_backend.send(msg.address, msg.body, idempotency_key=msg.idempotency_key)

    # --- in-app (the bell) -----------------------------------------------------------------
    def send_inapp(self, msg: OutboxMessage) -> str:
        if msg.recipient_id is None:
            raise DeliveryError("no recipient")
        notification, _created = Notification.objects.get_or_create(
            outbox=msg,
            defaults=dict(user_id=msg.recipient_id, letter=msg.letter, subject=msg.subject, body=msg.body,
                          link=str((msg.context or {}).get("link", ""))[:500], created_at=msg.created_at),
        )
        return f"notification:{notification.pk}"

    def close(self) -> None:
        self._close_email()
