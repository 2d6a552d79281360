"""Letters, channels and the durable outbox.

- :class:`OutboxMessage` — one row per letter, recipient and channel, written by a service in
  its own transaction and delivered later by the worker (:mod:`syllabus.notify.delivery`).
- :class:`LetterConfig` — an institution's edited subject/body/SMS templates of a letter and its
  enabled switches (per letter and per channel).  No row: the letter as declared in code, enabled.
- :class:`ContactPreference` — the channels a person accepts (their contact details are the
  ``email`` and ``phone`` of :class:`syllabus.org.models.User`).
- :class:`Notification` — an in-app notification (the bell), delivered from an ``inapp`` row.
"""
from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from syllabus.core import clock

CHANNELS = (("email", _("E-mail")), ("sms", _("SMS")), ("inapp", _("In-app")))
CHANNEL_CODES = tuple(code for code, _label in CHANNELS)


class OutboxMessage(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SUPPRESSED = "suppressed", _("Suppressed (letter disabled)")

    idempotency_key = models.CharField(max_length=200, unique=True)
    letter = models.CharField(max_length=80, db_index=True)
    channel = models.CharField(max_length=20, default="email")  # email | sms | inapp
    # ``institution``, ``status`` and ``next_attempt_at`` have no index of their own: the
    # monitor's index and (status, next_attempt_at) lead with them (issue 19, session 16 — a
    # letter's INSERT writes every index; tests/lending/test_indexes.py)
    institution = models.ForeignKey("org.Institution", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                    db_index=False)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="outbox_messages")
    address = models.CharField(max_length=300, blank=True, help_text="e-mail address or phone number")
    subject = models.CharField(max_length=500, blank=True)
    body = models.TextField(blank=True)
    context = models.JSONField(default=dict, blank=True)
    # Files to attach (e-mail): references the worker reads at send time, never the bytes —
    # ``[{"storage", "name", "filename", "content_type", "size", "link"}]`` (see services.file_attachment).
    attachments = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    # Claims whose lease ran out before the worker marked the row (the worker died while sending).
    crashes = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=clock.now)
    claimed_until = models.DateTimeField(null=True, blank=True)
    # Who holds the lease: a worker marks a row sent/failed only while its token is on it.
    claim_token = models.CharField(max_length=32, blank=True, default="")
    last_error = models.TextField(blank=True)
    note = models.CharField(max_length=200, blank=True, default="", help_text="why a message was suppressed")
    provider_id = models.CharField(max_length=200, blank=True, default="", help_text="id the provider gave the message")
    created_at = models.DateTimeField(default=clock.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"]),
                   models.Index(fields=["institution", "status", "-created_at"], name="notify_outbox_monitor_idx")]

    def __str__(self) -> str:
        return f"{self.letter}/{self.channel} → {self.address or self.recipient_id} [{self.status}]"

    @property
    def message_id(self) -> str:
        """RFC 5322 Message-ID derived from the idempotency key: a re-send after a crash
        carries the same id, so that mail servers and clients drop the duplicate."""
        return message_id_for(self.idempotency_key)


def message_id_for(idempotency_key: str) -> str:
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]
    domain = getattr(settings, "OUTBOX_MESSAGE_ID_DOMAIN", "") or (
        settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip(">").strip() or "syllabus.localhost")
    return f"<{digest}.outbox@{domain}>"


class LetterConfig(models.Model):
    """An institution's version of a letter: edited templates (``None`` = as declared in code)
    and its switches.  Edited by the Letter Administrator."""

    institution = models.ForeignKey("org.Institution", on_delete=models.CASCADE, related_name="letter_configs")
    letter = models.CharField(max_length=80)
    enabled = models.BooleanField(default=True)
    disabled_channels = models.JSONField(default=list, blank=True)
    subject = models.TextField(null=True, blank=True)  # noqa: DJ001 — None means "the declared default", "" an empty override
    body = models.TextField(null=True, blank=True)  # noqa: DJ001 — None means "the declared default", "" an empty override
    sms = models.TextField(null=True, blank=True)  # noqa: DJ001 — None means "the declared default", "" an empty override
    updated_at = models.DateTimeField(default=clock.now)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["institution", "letter"], name="uniq_letter_config")]
        ordering = ["institution", "letter"]

    def __str__(self) -> str:
        return f"{self.letter} @ {self.institution_id}"

    def channel_enabled(self, channel: str) -> bool:
        return self.enabled and channel not in (self.disabled_channels or [])


class ContactPreference(models.Model):
    """The channels a person accepts letters on.  No row: every channel."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="contact_preference")
    email_enabled = models.BooleanField(default=True)
    sms_enabled = models.BooleanField(default=True)
    inapp_enabled = models.BooleanField(default=True)
    updated_at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return f"preferences of {self.user_id}"

    def accepts(self, channel: str) -> bool:
        return bool(getattr(self, f"{channel}_enabled", True))


class Notification(models.Model):
    """An in-app notification: what the bell counts until it is read."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    outbox = models.OneToOneField(OutboxMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="notification")
    letter = models.CharField(max_length=80)
    subject = models.CharField(max_length=500)
    body = models.TextField(blank=True)
    link = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="notify_notification_unread_idx")]

    def __str__(self) -> str:
        return f"{self.subject} → {self.user_id}"

    @property
    def safe_link(self) -> str:
        """The link, when it is a path of this site or an http(s) URL (never ``javascript:``)."""
        link = (self.link or "").strip()
        if (link.startswith("/") and not link.startswith("//")) or link.startswith(("https://", "http://")):
            return link
        return ""
