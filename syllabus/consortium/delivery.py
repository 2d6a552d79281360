"""Delivery of ISO 18626 messages to partners outside the consortium (CON-2).

A message to an outside supplier (the ``request`` when the staff send a reader's request to it;
``Cancel``, ``Received``, ``ShippedReturn`` after it) is written as an :class:`IllMessage` with
``delivery`` ``pending`` in the same transaction as the change it tells — the outbox.  It is posted
after that transaction, never inside the staff's web request: by the ``consortium.ill_deliver``
sweep of every tick (Celery beat, the in-process runner, ``syllabus tick``) and, with a broker, by
a Celery task sent on commit.

Posting (as Alma, ReShare and Rapido do): an HTTP ``POST`` of the XML
(``Content-Type: application/xml``) to the partner's address in the institution's directory
(:mod:`syllabus.consortium.partners`), with its header and shared secret if it has one, through
:mod:`syllabus.core.outbound` (no private or local address, ``MAX_BYTES`` at most, ``DEADLINE``
seconds).  The answer is the standard's confirmation (``requestConfirmation``,
``requestingAgencyMessageConfirmation`` ...) whose ``confirmationHeader/messageStatus`` is ``OK``
(*delivered*) or ``ERROR`` (*refused*, with the partner's ``errorType`` and ``errorValue``, shown to
the staff).  A refused or undeliverable ``request`` puts the loan back to ``New``: the staff may
send it again (to the same supplier once it is fixed, or another).

Failures that may pass (the partner down, an HTTP error, an answer that is not ISO 18626 or too
large, too slow) are retried on the letters' outbox schedule (``notify.delivery.backoff``: 1, 2, 4 … minutes, at most 6 hours), ``MAX_ATTEMPTS`` times in
all; an address the server must not reach, or a partner no longer in the directory, fails at once.
Rows are claimed with a lease (``sending`` until ``claimed_until``): a worker that dies leaves them
to the next sweep; two sweeps never post the same row at once.
"""
from __future__ import annotations

import datetime as dt
import logging
import uuid

import requests
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q

from syllabus.core import audit, clock, outbound
from syllabus.core.errors import RuleViolation
from syllabus.notify.delivery import backoff, ensure_outside_transaction  # the outbox's one retry schedule

from .models import Delivery, IllMessage, IllRequest
from .workflow import IllStatus

log = logging.getLogger("syllabus.consortium.delivery")

RULE = "CON-2"
MAX_ATTEMPTS = 8
DEADLINE = 30.0          # seconds for the whole exchange with the partner
TIMEOUT = 10.0           # seconds between two bytes
LEASE = dt.timedelta(minutes=5)


def queue(ill: IllRequest, kind: str, xml: bytes) -> IllMessage:
    """Keep the message ``kind`` about ``ill`` to post to its outside supplier (inside the caller's
    transaction); it is posted once that transaction commits."""
    msg = IllMessage.objects.create(request=ill, direction="out", kind=kind, xml=xml.decode("utf-8"), created_at=clock.now(),
                                    delivery=Delivery.PENDING, next_attempt_at=clock.now())
    transaction.on_commit(kick)
    return msg


def kick() -> None:
    """With a broker, a Celery task posts the message now; otherwise the next tick does."""
    if settings.BROKER_URL:
        from .tasks import deliver_ill_messages

        deliver_ill_messages.delay()


def _claim(now: dt.datetime, limit: int) -> tuple[str, list[int]]:
    token = uuid.uuid4().hex
    due = Q(delivery=Delivery.PENDING, next_attempt_at__lte=now) | Q(delivery=Delivery.SENDING, claimed_until__lt=now)
    with transaction.atomic():
        ids = list(IllMessage.objects.select_for_update(skip_locked=True).filter(due)
                   .order_by("next_attempt_at", "id").values_list("pk", flat=True)[:limit])
        IllMessage.objects.filter(pk__in=ids).update(delivery=Delivery.SENDING, claimed_until=now + LEASE,
                                                     claim_token=token, attempts=F("attempts") + 1)
    return token, ids


def deliver_due(now: dt.datetime | None = None, *, limit: int = 20) -> int:
    """Post every due message (at most ``limit``); returns how many were delivered (OK or ERROR)."""
    now = now or clock.now()
    ensure_outside_transaction()
    token, ids = _claim(now, limit)
    answered = 0
    for pk in ids:
        msg = IllMessage.objects.select_related("request").filter(pk=pk, claim_token=token).first()
        if msg is not None:
            answered += _deliver(msg, token, now)
    return answered


def _post(msg: IllMessage) -> bytes:
    """The partner's answer to ``msg`` (its body), or a CON-2 refusal naming what went wrong."""
    from . import iso18626, partners

    partner = partners.endpoint_for(msg.request) if msg.request is not None else None
    if partner is None:
        raise _Permanent(f"no active partner with agency id {getattr(msg.request, 'supplying_agency', '')} in the "
                         "library's directory of ILL partners")
    try:
        partners.check_endpoint(partner.endpoint_url)
    except RuleViolation as exc:
        raise _Permanent(exc.detail) from None
    headers = {"Content-Type": "application/xml; charset=utf-8", "Accept": "application/xml"}
    if partner.auth_header and partner.auth_value:
        headers[partner.auth_header] = partner.auth_value
    session = outbound.session(rule=RULE, field="endpoint_url", max_bytes=iso18626.MAX_BYTES, deadline=DEADLINE)
    try:
        response = session.post(partner.endpoint_url, data=msg.xml.encode("utf-8"), headers=headers, timeout=TIMEOUT,
                                stream=True, allow_redirects=False)
        body = outbound.read(response, iso18626.MAX_BYTES, rule=RULE, what=f"the answer of {partner.agency_id}")
    except RuleViolation as exc:
        if exc.status in (502, 504):   # too large, too slow, no such host (yet): may pass
            raise
        raise _Permanent(f"{partner.endpoint_url}: {exc.detail}") from None
    except (requests.RequestException, OSError) as exc:
        raise RuleViolation(RULE, f"{partner.endpoint_url} did not answer: {type(exc).__name__}", status=502) from None
    finally:
        session.close()
    if not 200 <= response.status_code < 300:
        raise RuleViolation(RULE, f"{partner.endpoint_url} answered HTTP {response.status_code}", status=502)
    return body


class _Permanent(Exception):
    """A failure that another attempt would not mend."""


def _deliver(msg: IllMessage, token: str, now: dt.datetime) -> int:
    from . import iso18626

    try:
        body = _post(msg)
        root = iso18626.parse(body)
        confirmation = iso18626.read_confirmation(root)
    except _Permanent as exc:
        _finish(msg, token, Delivery.FAILED, error=str(exc))
        return 0
    except RuleViolation as exc:
        if msg.attempts >= MAX_ATTEMPTS:
            _finish(msg, token, Delivery.FAILED, error=f"{exc.detail} (gave up after {msg.attempts} attempts)")
        else:
            IllMessage.objects.filter(pk=msg.pk, claim_token=token).update(
                delivery=Delivery.PENDING, next_attempt_at=now + backoff(msg.attempts), claimed_until=None,
                last_error=f"attempt {msg.attempts}: {exc.detail}"[:1000])
        log.warning("ISO 18626 message %s to %s, attempt %s: %s", msg.pk, msg.request.supplying_agency if msg.request else "",
                    msg.attempts, exc.detail)
        return 0
    if confirmation.ok:
        _finish(msg, token, Delivery.DELIVERED, answer=body)
    else:
        _finish(msg, token, Delivery.REFUSED, answer=body, error_type=confirmation.error_type,
                error_value=confirmation.error_value)
    return 1


def _finish(msg: IllMessage, token: str, outcome: str, *, answer: bytes = b"", error: str = "", error_type: str = "",
            error_value: str = "") -> None:
    """Record the outcome (only while this worker's claim is on the row); a ``request`` refused or
    never delivered puts its loan back to ``New``, to be sent again."""
    with transaction.atomic():
        done = IllMessage.objects.filter(pk=msg.pk, claim_token=token).update(
            delivery=outcome, claimed_until=None, next_attempt_at=None, answer=answer.decode("utf-8", "replace"),
            delivered_at=clock.now() if answer else None, error_type=error_type[:100], error_value=error_value[:500],
            last_error=error[:1000])
        if not done or msg.request is None or msg.kind != "request" or outcome == Delivery.DELIVERED:
            return
        ill = IllRequest.objects.select_for_update(of=("self",)).get(pk=msg.request.pk)
        if ill.status == IllStatus.REQUEST_RECEIVED and ill.supplying_institution_id is None:
            why = f"{error_type}: {error_value}" if outcome == Delivery.REFUSED else error
            audit.update(None, ill, note=f"CON-2: the request to {ill.supplying_agency} was not taken ({why[:300]}); "
                                         "back to New", status=IllStatus.NEW, updated_at=clock.now())
