"""The recorder behind :mod:`syllabus.core.usage` (ANL-1): buffer a request's events, write them
in one INSERT after the response.

``request_started`` opens a buffer for the request; :func:`syllabus.core.usage.record` appends
to it (no query); ``request_finished`` — after the response has gone out — resolves who the
reader is for each list (their course and role: a few reads) and writes every event of the
request with one ``bulk_create``.  Outside a request (a command, a test calling a service) the
event is written at once.  A failure to record is logged and never breaks the page.

**Kept together** (issue 19, session 11): in a web worker of ``syllabus serve`` the events of
each request are kept in the process for at most :data:`BUFFER_SECONDS` (``ANALYTICS_BUFFER_SECONDS``,
default 0.5 there, 0 — written after each response — everywhere else) and written by one
thread of the process as one multi-row INSERT: a page view no longer costs a round trip and a
commit of its own.  At most :data:`BUFFER_LIMIT` events wait (the request that fills the buffer
writes it); they are written when the worker exits (``atexit``: gunicorn's graceful stop). A
worker killed outright loses at most the last half second of page-view counts — as a database
crash may with ``ANALYTICS_SYNCHRONOUS_COMMIT=0`` —, nothing else.
"""
from __future__ import annotations

import atexit
import contextvars
import logging
import os
import threading

from django.core.exceptions import ImproperlyConfigured
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
        if BUFFER_SECONDS > 0:
            _keep(buf)
        else:
            _write(buf)


def _buffer_seconds() -> float:
    default = "0.5" if os.environ.get("SYLLABUS_WEB_WORKER") == "1" else "0"
    raw = os.environ.get("ANALYTICS_BUFFER_SECONDS", default)
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 10:
        raise ImproperlyConfigured(f"ANL-1: ANALYTICS_BUFFER_SECONDS is a number of seconds from 0 to 10, not {raw!r}")
    return value


#: seconds a process keeps its requests' events before writing them together (module doc)
BUFFER_SECONDS = _buffer_seconds()
#: events a process keeps at most; the request that reaches it writes them
BUFFER_LIMIT = 2000


class _Kept:
    lock = threading.Lock()
    events: list[dict] = []
    pid = 0               # the process they belong to (a forked child starts empty)
    thread: threading.Thread | None = None
    wake = threading.Event()


def _take() -> list[dict]:
    with _Kept.lock:
        if _Kept.pid != os.getpid():
            _Kept.events, _Kept.pid, _Kept.thread = [], os.getpid(), None
        events, _Kept.events = _Kept.events, []
        return events


def _keep(events: list[dict]) -> None:
    with _Kept.lock:
        if _Kept.pid != os.getpid():   # (inherited from the parent: theirs to write)
            _Kept.events, _Kept.pid, _Kept.thread = [], os.getpid(), None
        _Kept.events.extend(events)
        full = len(_Kept.events) >= BUFFER_LIMIT
        if _Kept.thread is None:
            _Kept.thread = _start_writer()
    if full:
        write_kept()


def write_kept() -> int:
    """Write every event this process keeps (one INSERT); their number."""
    events = _take()
    if events:
        _write(events)
    return len(events)


def _start_writer() -> threading.Thread | None:
    thread = threading.Thread(target=_writer, name="analytics-writer", daemon=True)
    thread.start()
    atexit.register(write_kept)
    return thread


def _writer() -> None:
    from django.db import close_old_connections

    while True:
        _Kept.wake.wait(BUFFER_SECONDS)
        _Kept.wake.clear()
        close_old_connections()   # (this thread's own connection: renewed as a request's is)
        try:
            write_kept()
        except Exception:  # the writer never dies
            log.exception("usage events not recorded")


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
