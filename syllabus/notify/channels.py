"""How one outbox row goes out on its channel: e-mail, SMS or in-app.

Each sender returns the provider's id of the message (or raises: the worker retries).
Every message carries its idempotency key: e-mail as a ``Message-ID`` derived from it (and an
``X-Syllabus-Idempotency-Key`` header), SMS as the provider's idempotency key, in-app as the
one-to-one link of the notification to its outbox row.
"""
from __future__ import annotations

import logging

from django.conf import settings
from django.core.files.storage import storages
from django.core.mail import EmailMessage, get_connection
from django.utils import translation
from django.utils.translation import gettext as _

from .models import Notification, OutboxMessage
from .sms import get_backend as get_sms_backend

log = logging.getLogger("syllabus.notify.channels")
MB = 1024 * 1024


def attachment_limit_bytes(msg: OutboxMessage) -> int:
    """OUT-2: the largest total of files one e-mail carries (``email_attachment_max_mb``)."""
    from syllabus.org import config

    return int(config.get("email_attachment_max_mb", institution=msg.institution)) * MB


def _attachment_size(spec: dict) -> int:
    return int(storages[spec.get("storage") or "default"].size(spec["name"]))


def _read_attachment(spec: dict) -> bytes:
    with storages[spec.get("storage") or "default"].open(spec["name"], "rb") as fh:
        return fh.read()


def _too_large_note(msg: OutboxMessage, specs: list[dict], limit: int) -> str:
    language = getattr(msg.recipient, "preferred_language", "") if msg.recipient_id else ""
    with translation.override(language or translation.get_language()):
        lines = [_("The attached file is too large for e-mail (more than %(max)s MB), so it is not attached.")
                 % {"max": limit // MB}]
        for spec in specs:
            if spec.get("link"):
                lines.append(_("Download %(file)s here: %(link)s") % {"file": spec.get("filename") or "", "link": spec["link"]})
    return "\n".join(lines)


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
        self._attach(msg, email)
        try:
            email.send(fail_silently=False)
        except Exception:
            self._close_email()  # the SMTP session may be broken: open a new one next time
            raise
        return msg.message_id

    def _attach(self, msg: OutboxMessage, email: EmailMessage) -> None:
        """OUT-2: attach the row's files, read from storage now; over the size limit, the
        letter carries their download links instead and says so (noted on the row)."""
        specs = [spec for spec in (msg.attachments or []) if spec.get("name")]
        if not specs:
            return
        sizes = [_attachment_size(spec) for spec in specs]  # a missing file raises: retried, then failed
        limit = attachment_limit_bytes(msg)
        if sum(sizes) > limit:
            email.body = f"{email.body.rstrip()}\n\n{_too_large_note(msg, specs, limit)}\n"
            msg.note = f"attachment of {sum(sizes)} bytes over {limit // MB} MB: sent as a link"[:200]
            log.info("outbox %s: %s", msg.pk, msg.note)
            return
        for spec in specs:
            email.attach(spec.get("filename") or spec["name"].rsplit("/", 1)[-1], _read_attachment(spec),
                         spec.get("content_type") or "application/octet-stream")

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
