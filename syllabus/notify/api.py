"""API: in-app notifications, contact details and preferences, letters (Letter Administrator),
the outbox monitor."""
from __future__ import annotations

import datetime as dt

from ninja import Field, Router, Schema

from syllabus.api.fields import Id, Search, Term, column
from syllabus.core.pagination import Page, PageQuery, paginate
from syllabus.api.schemas import Error
from syllabus.core.errors import NotFound

from . import selectors, services
from .models import Notification, OutboxMessage
from syllabus.org.models import User

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    letter: str
    subject: str
    body: str
    link: str
    created_at: dt.datetime
    read: bool


NotificationPage = Page(NotificationOut, unread=int)


class ContactOut(Schema):
    email: str
    phone: str
    email_enabled: bool
    sms_enabled: bool
    inapp_enabled: bool


class ContactIn(Schema):
    email: str | None = Field(None, max_length=column(User, "email"))
    phone: str | None = Field(None, max_length=column(User, "phone"))
    email_enabled: bool | None = None
    sms_enabled: bool | None = None
    inapp_enabled: bool | None = None


class ChannelOut(Schema):
    channel: str
    enabled: bool


class LetterOut(Schema):
    code: str
    name: str
    enabled: bool
    edited: bool
    channels: list[ChannelOut]


class LetterDetailOut(LetterOut):
    variables: list[str]
    sample: dict
    subject: str
    body: str
    sms: str
    default_subject: str
    default_body: str
    default_sms: str


SUBJECT, BODY, SMS = (services.TEMPLATE_MAX[name] for name in ("subject", "body", "sms"))  # LTR-2


class LetterIn(Schema):
    subject: str | None = Field(None, max_length=SUBJECT)
    body: str | None = Field(None, max_length=BODY)
    sms: str | None = Field(None, max_length=SMS)
    enabled: bool | None = None
    channels: dict[Term, bool] | None = Field(None, max_length=10)


class PreviewIn(Schema):
    subject: str | None = Field(None, max_length=SUBJECT)
    body: str | None = Field(None, max_length=BODY)
    sms: str | None = Field(None, max_length=SMS)


class PreviewOut(Schema):
    subject: str
    body: str
    sms: str
    errors: dict[str, str]


class OutboxOut(Schema):
    id: int
    idempotency_key: str
    message_id: str
    letter: str
    channel: str
    recipient: str | None
    address: str
    subject: str
    status: str
    note: str
    attempts: int
    next_attempt_at: dt.datetime
    last_error: str
    created_at: dt.datetime
    sent_at: dt.datetime | None


OutboxPage = Page(OutboxOut, counts=dict[str, int])


def _notification_out(n: Notification) -> dict:
    return {"id": n.pk, "letter": n.letter, "subject": n.subject, "body": n.body, "link": n.safe_link,
            "created_at": n.created_at, "read": n.read_at is not None}


def _contact_out(user) -> dict:
    pref = services.preferences_of(user)
    return {"email": user.email, "phone": user.phone, "email_enabled": pref.email_enabled,
            "sms_enabled": pref.sms_enabled, "inapp_enabled": pref.inapp_enabled}


def _letter_out(row: selectors.LetterRow) -> dict:
    return {"code": row.code, "name": str(row.letter.name), "enabled": row.enabled, "edited": row.edited,
            "channels": [{"channel": c["code"], "enabled": c["enabled"]} for c in row.channels]}


def _letter_detail(row: selectors.LetterRow) -> dict:
    sources = services.template_sources(row.letter, row.config)
    return {**_letter_out(row), "variables": list(row.letter.all_variables), "sample": row.letter.full_sample,
            **sources, "default_subject": row.letter.subject, "default_body": row.letter.body,
            "default_sms": row.letter.sms}


def _outbox_out(m: OutboxMessage) -> dict:
    return {"id": m.pk, "idempotency_key": m.idempotency_key, "message_id": m.message_id, "letter": m.letter,
            "channel": m.channel, "recipient": m.recipient.username if m.recipient_id else None, "address": m.address,
            "subject": m.subject, "status": m.status, "note": m.note, "attempts": m.attempts,
            "next_attempt_at": m.next_attempt_at, "last_error": m.last_error, "created_at": m.created_at, "sent_at": m.sent_at}


# --- in-app notifications -----------------------------------------------------------------------

@router.get("/me/notifications", response=NotificationPage, summary="My in-app notifications (the bell), newest first")
def my_notifications(request, page: PageQuery, unread: bool = False):
    return paginate(request, selectors.notification_queryset(request.user, unread_only=unread), page, _notification_out,
                    unread=selectors.unread_notifications(request.user))


@router.post("/notifications/{notification_id}/read", response={200: NotificationOut, 404: Error},
             summary="Mark one of my notifications read (NTF-2)")
def read_notification(request, notification_id: Id):
    return _notification_out(services.mark_notification_read(request.user, notification_id))


@router.post("/me/notifications/read", response=NotificationPage, summary="Mark all my notifications read")
def read_all_notifications(request, page: PageQuery):
    services.mark_all_notifications_read(request.user)
    return paginate(request, selectors.notification_queryset(request.user), page, _notification_out, unread=0)


# --- contact details and preferences --------------------------------------------------------------

@router.get("/me/contact", response=ContactOut, summary="My contact details and the channels I accept letters on")
def my_contact(request):
    return _contact_out(request.user)


@router.put("/me/contact", response={200: ContactOut, 400: Error}, summary="Change my contact details and channel preferences (NTF-1)")
def set_my_contact(request, payload: ContactIn):
    services.update_contact(request.user, request.user, **payload.dict())
    request.user.refresh_from_db()
    return _contact_out(request.user)


# --- letters (Letter Administrator) ----------------------------------------------------------------

@router.get("/letters", response={200: Page(LetterOut), 403: Error}, summary="Letters of my institution and their switches (LTR-1)")
def list_letters(request, page: PageQuery):
    services.ensure_letter_administrator(request.user, request.user.institution)
    return paginate(request, selectors.letter_rows(request.user.institution), page, _letter_out)


@router.get("/letters/{code}", response={200: LetterDetailOut, 403: Error, 404: Error}, summary="A letter: templates in force, defaults, variables, sample")
def get_letter(request, code: Term):
    services.ensure_letter_administrator(request.user, request.user.institution)
    return _letter_detail(selectors.letter_row(request.user.institution, services.get_letter(code)))


@router.put("/letters/{code}", response={200: LetterDetailOut, 400: Error, 403: Error, 404: Error},
            summary="Edit a letter's templates and switches; template errors are refused (LTR-2)")
def put_letter(request, code: Term, payload: LetterIn):
    services.save_letter(request.user, request.user.institution, code, **payload.dict())
    return _letter_detail(selectors.letter_row(request.user.institution, services.get_letter(code)))


@router.post("/letters/{code}/preview", response={200: PreviewOut, 403: Error, 404: Error},
             summary="Render templates (given, else those in force) from the letter's sample context")
def preview(request, code: Term, payload: PreviewIn):
    services.ensure_letter_administrator(request.user, request.user.institution)
    letter = services.get_letter(code)
    return services.preview_letter(letter, payload.dict(), institution=request.user.institution)


# --- the outbox monitor -------------------------------------------------------------------------

@router.get("/outbox", response={200: OutboxPage, 403: Error}, summary="Outbox messages by status: pending, failed, sent, suppressed, all (OUT-1)")
def outbox(request, page: PageQuery, status: Term = "pending", letter: Term = "", q: Search = ""):
    services.ensure_letter_administrator(request.user, request.user.institution)
    if status not in selectors.MONITOR_TABS:
        status = "all"
    qs = selectors.outbox_messages(request.user, status, q, letter)
    return paginate(request, qs, page, _outbox_out, counts=selectors.outbox_counts(request.user))


@router.post("/outbox/{message_id}/retry", response={200: OutboxOut, 403: Error, 404: Error, 409: Error},
             summary="Send a pending or failed message again now (OUT-1)")
def retry(request, message_id: Id):
    msg = services.retry_message(request.user, message_id)
    if msg is None:
        raise NotFound()
    return _outbox_out(msg)
