"""The recorder behind :mod:`syllabus.core.usage` (ANL-1): buffer a request's events, write them
in one INSERT after the response.

``request_started`` opens a buffer for the request; :func:`syllabus.core.usage.record` appends
to it (no query); ``request_finished`` — after the response has gone out — resolves who the
reader is for each list (their course and role: a few reads) and writes every event of the
request with one ``bulk_create``.  Outside a request (a command, a test calling a service) the
event is written at once.  A failure to record is logged and never breaks the page.
"""
from __future__ import annotations

import contextvars
import logging

from django.core.signals import request_finished, request_started
from django.db import DatabaseError

from syllabus.core import clock, usage

from .models import Kind

log = logging.getLogger(__name__)
KINDS = frozenset(Kind.values)
_buffer: contextvars.ContextVar[list | None] = contextvars.ContextVar("analytics_buffer", default=None)


def _record(kind: str, user, **attributes) -> None:
    if kind not in KINDS or user is None or not getattr(user, "is_authenticated", False):
        return
    pending = {"kind": kind, "user": user, "at": clock.now(), **attributes}
    buf = _buffer.get()
    if buf is None:
        _write([pending])
    else:
        buf.append(pending)


def _open(sender=None, **kwargs) -> None:
    _buffer.set([])


def _flush(sender=None, **kwargs) -> None:
    buf = _buffer.get()
    _buffer.set(None)
    if buf:
        _write(buf)


def _write(pending: list[dict]) -> None:
    from .services import record_events

    try:
        record_events(pending)
    except DatabaseError:  # recording must never break a page
        log.exception("usage events not recorded")


def install() -> None:
    usage.provide(_record)
    request_started.connect(_open, dispatch_uid="analytics-open")
    # write before Django closes the request's database connection (close_old_connections)
    from django.db import close_old_connections

    reconnect = request_finished.disconnect(close_old_connections)
    request_finished.connect(_flush, dispatch_uid="analytics-flush")
    if reconnect:
        request_finished.connect(close_old_connections)
    from django.db.models.signals import post_save

    from syllabus.circulation.models import ReadingMark

    post_save.connect(_marked_done, sender=ReadingMark, dispatch_uid="analytics-marked-done")


def _marked_done(sender, instance, created, **kwargs) -> None:
    if created:
        usage.record(Kind.MARKED_DONE, instance.user, citation_id=instance.citation_id,
                     list_id=instance.citation.resource_list_id)
