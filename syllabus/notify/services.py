"""Letters, the outbox, contact preferences and in-app notifications: every change of state.

Queue letters into the outbox inside the transaction of the change that causes them: if that
transaction rolls back, the letter never existed; once it commits, a worker delivers it
(:mod:`syllabus.notify.delivery`) — nothing is ever sent from inside a transaction.

    queue_letter("ldl_available", patron, {"title": ..., "link": ...},
                 key=f"ldl:{request.pk}:available:{n}", institution=patron.institution)

Rules (docs/notifications.md):
- LTR-1 letters of an institution are edited by its Letter Administrator (or its General
  System Administrator);
- LTR-2 a letter template must compile and use only the variables the letter receives
  (checked when saving, with the line);
- LTR-3 a disabled letter, or a disabled channel of a letter, is recorded as *suppressed*;
- NTF-1 contact details: a valid e-mail address, a phone number in international form;
- NTF-2 a person reads and clears only their own notifications;
- OUT-1 the outbox monitor and retries belong to the Letter / General System Administrator;
  only pending or failed messages are retried;
- OUT-2 files attached to a letter go out with its e-mail, up to ``email_attachment_max_mb``
  in all; above it the e-mail carries the file's download link instead and says so.
"""
from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from syllabus.core import audit, clock
from syllabus.core.errors import NotFound, PermissionDenied, RuleViolation, refuse_too_long
from syllabus.core.limits import LETTER
from syllabus.org.services import email_values
from syllabus.core.site import site_url

from . import nav, templating
from .delivery import kick
from .letters import LetterType, letter_type
from .permissions import (  # noqa: F401  (re-exported: the services' old names)
    can_administer_letters, ensure_letter_administrator, may_watch_message,
)
from .models import ContactPreference, LetterConfig, Notification, OutboxMessage

log = logging.getLogger("syllabus.notify")
Status = OutboxMessage.Status
TEMPLATE_FIELDS = ("subject", "body", "sms")


def get_letter(code: str) -> LetterType:
    try:
        return letter_type(code)
    except KeyError:
        raise NotFound("LTR-3", f"no letter {code!r}") from None


# --- rendering --------------------------------------------------------------------------------

def letter_config(institution, code: str) -> LetterConfig | None:
    if institution is None:
        return None
    return LetterConfig.objects.filter(institution=institution, letter=code).first()


def template_sources(letter: LetterType, config: LetterConfig | None) -> dict[str, str]:
    """The subject/body/SMS templates in force: the institution's edit, else the code's."""
    out = {}
    for name in TEMPLATE_FIELDS:
        edited = getattr(config, name, None) if config is not None else None
        out[name] = edited if edited is not None else getattr(letter, name)
    return out


def _common_context(recipient, institution) -> dict:
    name = ""
    if recipient is not None:
        name = recipient.get_full_name() or recipient.username
    return {"recipient_name": name, "institution_name": institution.name if institution is not None else ""}


def _render(sources: dict[str, str], channel: str, context: dict) -> tuple[str, str]:
    text = (sources["sms"] or sources["body"]) if channel == "sms" else sources["body"]
    subject = " ".join(templating.render(sources["subject"], context).split())
    return subject[:500], templating.render(text, context)


def render_letter(code: str, context: dict, *, institution=None, channel: str = "email") -> tuple[str, str]:
    """Render (subject, body) of a letter for a channel, with the institution's edited templates."""
    letter = letter_type(code)
    sources = template_sources(letter, letter_config(institution, code))
    try:
        return _render(sources, channel, context)
    except Exception:  # an edited template that fails at run time: the code's version still informs
        log.exception("letter %s of institution %s failed to render; using the default", code, getattr(institution, "pk", None))
        return _render(template_sources(letter, None), channel, context)


# --- queueing (called by every app inside its own transaction) ----------------------------------

def _address(user, channel: str) -> str:
    if channel == "email":
        return user.email or ""
    if channel == "sms":
        return getattr(user, "phone", "") or ""
    return user.username


def _absolute_links(context: dict) -> dict:
    """``link`` — and any other ``…_link`` of the letter (a second link, e.g. an import's report) —
    made absolute with ``SITE_URL`` when it is a path of the site."""
    base = site_url()
    if not base:
        return context
    return {key: base + value if (key == "link" or key.endswith("_link")) and isinstance(value, str)
            and value.startswith("/") and not value.startswith("//") else value for key, value in context.items()}


def file_attachment(file, *, filename: str = "", content_type: str = "", link: str = "",
                    storage: str = "default") -> dict:
    """An attachment for :func:`queue_letter` from a stored file (a ``FieldFile``): a reference
    (storage alias, storage name, file name, content type, size) that the worker opens at send
    time — the outbox row never holds the bytes.  ``link`` is where the file can be downloaded,
    sent instead of the file when it is too large for e-mail (OUT-2)."""
    name = file.name
    try:
        size = int(file.size)
    except (OSError, ValueError, TypeError):
        size = 0
    return {"storage": storage, "name": name, "filename": filename or name.rsplit("/", 1)[-1],
            "content_type": content_type or "application/octet-stream", "size": size, "link": link}


def _outbox_rows(letter: LetterType, config: LetterConfig | None, recipient, preference, context: dict, *, key: str,
                 institution, channels: tuple[str, ...] | None = None,
                 attachments: list[dict] | None = None, address: str = "") -> list[OutboxMessage]:
    """The unsaved outbox rows of one letter to one recipient: one per channel the letter goes
    out by, that the recipient accepts (``preference``: their ContactPreference, or None for
    none) and has an address for.  ``recipient=None`` writes one e-mail to ``address``."""
    if recipient is None:
        channels = tuple(c for c in (channels or letter.channels) if c == "email")
    sources = template_sources(letter, config)
    full_context = {**_common_context(recipient, institution), **context}
    plain_context = {k: str(v) for k, v in context.items()}
    rows = []
    for channel in channels or letter.channels:
        if channel not in letter.channels:
            continue
        if preference is not None and not preference.accepts(channel):
            continue
        to = _address(recipient, channel) if recipient is not None else address
        if channel != "inapp" and not to:
            continue
        channel_context = full_context if channel == "inapp" else _absolute_links(full_context)
        try:
            subject, body = _render(sources, channel, channel_context)
        except Exception:
            log.exception("letter %s failed to render with the institution's template; using the default", letter.code)
            subject, body = _render(template_sources(letter, None), channel, channel_context)
        enabled = config is None or config.channel_enabled(channel)
        note = "" if enabled else ("letter disabled" if not config.enabled else f"{channel} disabled for this letter")
        rows.append(OutboxMessage(
            idempotency_key=f"{key}:{channel}", letter=letter.code, channel=channel, institution=institution,
            recipient=recipient, address=to, subject=subject, body=body, context=plain_context,
            attachments=list(attachments or []) if channel == "email" else [],
            status=Status.PENDING if enabled else Status.SUPPRESSED, note=note))
    return rows


def queue_letter(code: str, recipient, context: dict, *, key: str, institution=None,
                 channels: tuple[str, ...] | None = None, attachments: list[dict] | None = None,
                 address: str = "") -> list[OutboxMessage]:
    """Write one outbox row per channel of the letter (idempotent on ``key`` + channel).

    ``recipient=None, address="x@example.edu"`` sends the e-mail to an address that is no user's
    (e.g. the institution's accessibility service, SRV-4): e-mail channel only, no preferences.

    ``attachments`` (from :func:`file_attachment`) go with the e-mail row (OUT-2).

    Skips the channels the recipient has switched off or has no address for.  A letter or
    channel that the institution disabled is written as ``suppressed`` (LTR-3), so that the
    outbox monitor shows what was not sent and why."""
    letter = letter_type(code)
    if recipient is None and not address:
        return []
    institution = institution or getattr(recipient, "institution", None)
    config = letter_config(institution, code)
    preference = ContactPreference.objects.filter(user=recipient).first() if recipient is not None and recipient.pk else None
    rows = []
    for row in _outbox_rows(letter, config, recipient, preference, context, key=key, institution=institution,
                            channels=channels, attachments=attachments, address=address):
        fields = {f.attname: getattr(row, f.attname) for f in OutboxMessage._meta.concrete_fields
                  if f.attname not in ("id", "idempotency_key")}
        saved, _created = OutboxMessage.objects.get_or_create(idempotency_key=row.idempotency_key, defaults=fields)
        rows.append(saved)
    if any(r.status == Status.PENDING for r in rows):
        transaction.on_commit(_kick_with(rows), robust=True)
    return rows


def _kick_with(rows: list[OutboxMessage]):
    """The on-commit call that announces ``rows`` and asks for their delivery (:func:`kick`) —
    a named function: Django names a failing on-commit call by its ``__qualname__``."""
    def kick_letters() -> None:
        kick(rows)
    return kick_letters


class LetterBatch:
    """The letters of one transaction, written by a single ``INSERT … ON CONFLICT DO NOTHING``
    (idempotent on ``key`` + channel, like :func:`queue_letter`).

    For a service that holds a lock (LDL-15's title lock): make the batch *before* taking the
    lock — it reads the institution's letter configurations then — pass each recipient's
    contact preference when it has it (read with the rows it locked), and :meth:`flush` once
    before committing.  Nothing else runs a query."""

    _UNKNOWN = object()

    def __init__(self, institution, codes: Iterable[str]):
        self.institution = institution
        codes = list(codes)
        self.letters = {code: letter_type(code) for code in codes}
        self.configs = ({c.letter: c for c in LetterConfig.objects.filter(institution=institution, letter__in=codes)}
                        if institution is not None else {})
        self.rows: list[OutboxMessage] = []

    def add(self, code: str, recipient, context: dict, *, key: str, preference=_UNKNOWN) -> None:
        if recipient is None:
            return
        if preference is self._UNKNOWN:
            preference = ContactPreference.objects.filter(user=recipient).first() if recipient.pk else None
        self.rows += _outbox_rows(self.letters[code], self.configs.get(code), recipient, preference, context, key=key,
                                  institution=self.institution)

    def flush(self) -> int:
        """Write the rows queued so far (one statement); the number of rows offered."""
        rows, self.rows = self.rows, []
        if rows:
            OutboxMessage.objects.bulk_create(rows, ignore_conflicts=True)
            if any(r.status == Status.PENDING for r in rows):
                transaction.on_commit(_kick_with(rows), robust=True)
        return len(rows)


# --- the letters editor (LTR-1, LTR-2) ----------------------------------------------------------

FIELD_LABELS = {"subject": "Subject", "body": "Body", "sms": "SMS text"}
# the longest template of each field (LTR-2): a subject line (the sent subject is cut at the outbox's 500
# characters), a letter of about fifty pages, ten SMS messages' worth
TEMPLATE_MAX = {"subject": 1_000, "body": LETTER, "sms": 1_600}


def template_errors(letter: LetterType, values: dict[str, str | None]) -> dict[str, str]:
    """``{field: message}`` for each template of ``values`` that would not render (LTR-2)."""
    errors = {}
    for name in TEMPLATE_FIELDS:
        source = values.get(name)
        if source is None:
            continue
        if len(source) > TEMPLATE_MAX[name]:  # a refusal: English, with its rule (as RuleViolation's)
            errors[name] = f"at most {TEMPLATE_MAX[name]} characters ({len(source)} given)"
            continue
        if name == "subject" and not source.strip():
            errors[name] = _("a letter needs a subject")
            continue
        if name == "body" and not source.strip():
            errors[name] = _("a letter needs a body")
            continue
        try:
            templating.check(source, letter.all_variables, letter.full_sample)
        except templating.LetterTemplateError as exc:
            errors[name] = (_("line %(line)s: %(message)s") % {"line": exc.line, "message": exc.message}) if exc.line else exc.message
    return errors


def _raise_template_errors(errors: dict[str, str]) -> None:
    if errors:
        field = next(iter(errors))
        detail = "; ".join(f"{FIELD_LABELS[name]}, {message}" for name, message in errors.items())
        raise RuleViolation("LTR-2", detail, field=field)


def preview_letter(letter: LetterType, values: dict[str, str | None], *, institution=None) -> dict:
    """Render templates (the edited ones in ``values``, else those in force) from the letter's
    sample context: ``{"subject", "body", "sms", "errors"}``."""
    sources = template_sources(letter, letter_config(institution, letter.code))
    for name in TEMPLATE_FIELDS:
        if values.get(name) is not None:
            sources[name] = values[name]
    errors = template_errors(letter, {k: sources[k] for k in TEMPLATE_FIELDS})
    context = {**letter.full_sample}
    if institution is not None:
        context["institution_name"] = institution.name
    out = {"subject": "", "body": "", "sms": "", "errors": errors}
    if not errors:
        out["subject"], out["body"] = _render(sources, "email", context)
        out["sms"] = _render(sources, "sms", context)[1]
    return out


def save_letter(actor, institution, code: str, *, subject: str | None = None, body: str | None = None,
                sms: str | None = None, enabled: bool | None = None,
                channels: dict[str, bool] | None = None) -> LetterConfig:
    """Save an institution's version of a letter: templates (checked, LTR-2) and switches.

    A template equal to the code's is stored as "not edited", so that it follows the code."""
    ensure_letter_administrator(actor, institution)
    if institution is None:
        raise RuleViolation("LTR-1", "letters are edited for an institution; this account belongs to none")
    letter = get_letter(code)
    _raise_template_errors(template_errors(letter, {"subject": subject, "body": body, "sms": sms}))
    if channels:
        unknown = set(channels) - set(letter.channels)
        if unknown:
            raise RuleViolation("LTR-3", f"this letter has no channel {', '.join(sorted(unknown))}; "
                                         f"it goes out by {', '.join(letter.channels)}")
    with transaction.atomic():
        config, created = LetterConfig.objects.select_for_update().get_or_create(institution=institution, letter=code)
        values: dict = {}
        for name, source in (("subject", subject), ("body", body), ("sms", sms)):
            if source is not None:
                source = source.replace("\r\n", "\n")
                values[name] = None if source == getattr(letter, name) else source
        if enabled is not None:
            values["enabled"] = bool(enabled)
        if channels is not None:
            disabled = set(config.disabled_channels or [])
            for channel, on in channels.items():
                (disabled.discard if on else disabled.add)(channel)
            values["disabled_channels"] = sorted(disabled)
        if created:
            for name, value in values.items():
                setattr(config, name, value)
            config.updated_by = actor
            config.updated_at = clock.now()
            config.save()
            audit.created(actor, config, note=f"letter {code}")
        else:
            changes = audit.update(actor, config, note=f"letter {code}", **values)
            if changes:
                LetterConfig.objects.filter(pk=config.pk).update(updated_by=actor, updated_at=clock.now())
        config.refresh_from_db()
        return config


def reset_letter(actor, institution, code: str) -> LetterConfig | None:
    """Back to the templates declared in code (the switches stay as they are)."""
    ensure_letter_administrator(actor, institution)
    get_letter(code)
    with transaction.atomic():
        config = LetterConfig.objects.select_for_update().filter(institution=institution, letter=code).first()
        if config is not None:
            audit.update(actor, config, note=f"letter {code} reset to default", subject=None, body=None, sms=None)
        return config


def send_test_letter(actor, institution, code: str) -> list[OutboxMessage]:
    """Queue the letter, filled with its sample data, to the administrator themselves."""
    ensure_letter_administrator(actor, institution)
    letter = get_letter(code)
    with transaction.atomic():
        rows = queue_letter(code, actor, letter.sample, key=f"test:{code}:{actor.pk}:{uuid.uuid4().hex}", institution=institution)
        for row in rows:
            audit.event(actor, row, "test letter")
    return rows


# --- contact details and channel preferences (NTF-1) --------------------------------------------

PHONE_RE = re.compile(r"^\+[1-9][0-9]{6,14}$")


def normalise_phone(raw: str) -> str:
    """``+44 (0)20 7946-0958`` style input → ``+442079460958``; ``""`` stays empty (NTF-1)."""
    raw = (raw or "").strip()
    if not raw:
        return ""
    compact = re.sub(r"\(0\)|[\s().-]", "", raw)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if not PHONE_RE.match(compact):
        raise RuleViolation("NTF-1", _("a phone number is written in international form, e.g. +44 20 7946 0958"), field="phone")
    return compact


def preferences_of(user) -> ContactPreference:
    """The user's preferences (unsaved defaults when they never chose)."""
    return ContactPreference.objects.filter(user=user).first() or ContactPreference(user=user)


def update_contact(actor, user, *, email: str | None = None, phone: str | None = None,
                   email_enabled: bool | None = None, sms_enabled: bool | None = None,
                   inapp_enabled: bool | None = None) -> ContactPreference:
    """Change a person's contact details and the channels they accept (themselves only)."""
    if actor is None or actor.pk != user.pk:
        raise PermissionDenied("NTF-1", "people change their own contact details")
    user_values = {}
    if email is not None:
        email = email.strip()
        if email:
            try:
                validate_email(email)
            except ValidationError:
                raise RuleViolation("NTF-1", _("“%(email)s” is not an e-mail address") % {"email": email}, field="email") from None
        refuse_too_long("NTF-1", user._meta.model, email=email)  # an address may be 320 characters, the column keeps 254
        # typed by the person: letters go there, no match follows it (the same address keeps its flag)
        user_values.update(email_values(user, email, verified=False))
    if phone is not None:
        user_values["phone"] = normalise_phone(phone)
    with transaction.atomic():
        if user_values:
            audit.update(actor, user, **user_values)
        preference, created = ContactPreference.objects.select_for_update().get_or_create(user=user)
        switches = {f"{c}_enabled": v for c, v in (("email", email_enabled), ("sms", sms_enabled), ("inapp", inapp_enabled))
                    if v is not None}
        if switches:
            switches = {k: bool(v) for k, v in switches.items()}
            if audit.update(actor, preference, **switches):
                ContactPreference.objects.filter(pk=preference.pk).update(updated_at=clock.now())
            preference.refresh_from_db()
        return preference


# --- in-app notifications (NTF-2) ---------------------------------------------------------------

def mark_notification_read(user, notification_id: int) -> Notification:
    notification = Notification.objects.filter(pk=notification_id, user=user).first()
    if notification is None:
        raise NotFound("NTF-2", "no such notification")
    if notification.read_at is None:
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=clock.now())
        notification.refresh_from_db()
        nav.forget(user)  # the bell's badge of this request counts one fewer
    return notification


def mark_all_notifications_read(user) -> int:
    nav.forget(user)
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=clock.now())


def mark_notifications_read_about(user, letters, **context) -> int:
    """Clear the person's notifications of ``letters`` whose letter context has these values
    (e.g. the discussion clears the bell's notifications of a thread the person just read)."""
    lookups = {f"outbox__context__{key}": str(value) for key, value in context.items()}
    nav.forget(user)
    return Notification.objects.filter(user=user, read_at__isnull=True, letter__in=list(letters), **lookups).update(
        read_at=clock.now())


# --- the outbox monitor (OUT-1) -----------------------------------------------------------------

RETRYABLE = (Status.FAILED, Status.PENDING)


def retry_message(actor, message_id: int) -> OutboxMessage:
    """Send a failed (or waiting) message again now; the attempt counter starts over."""
    ensure_letter_administrator(actor, getattr(actor, "institution", None))
    with transaction.atomic():
        msg = OutboxMessage.objects.select_for_update().filter(pk=message_id).first()
        if msg is None or not may_watch_message(actor, msg):
            raise NotFound("OUT-1", "no such message")
        if msg.status not in RETRYABLE:
            raise RuleViolation("OUT-1", f"only pending or failed messages are retried; this one is {msg.status}", status=409)
        audit.event(actor, msg, "retried", note=f"after {msg.attempts} attempt(s): {msg.last_error[:200]}")
        OutboxMessage.objects.filter(pk=msg.pk).update(status=Status.PENDING, next_attempt_at=clock.now(), attempts=0,
                                                       crashes=0, claim_token="", claimed_until=None)
        transaction.on_commit(kick, robust=True)
    msg.refresh_from_db()
    return msg
