"""The one clock of Syllabus.  Every rule that depends on time reads ``clock.now()``.

Tests move time with :func:`travel` / :func:`advance`; the override is process-wide
(not thread-local) so that a live server thread in a browser test sees the same time.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import threading

from django.utils import timezone

_lock = threading.Lock()
_frozen: dt.datetime | None = None


def now() -> dt.datetime:
    """Aware UTC datetime: the frozen time when a test set one, else the wall clock."""
    frozen = _frozen
    return frozen if frozen is not None else timezone.now()


def django_now() -> dt.datetime:
    """The wall clock as Django reads it (``timezone.now()``), never frozen: for what Django
    itself dated with it (a session's expiry, read by syllabus.core.sessions)."""
    return timezone.now()


def today() -> dt.date:
    return timezone.localdate(now())


def set_now(when: dt.datetime | None) -> None:
    """Freeze the clock at ``when`` (aware), or unfreeze with ``None``."""
    global _frozen
    if when is not None and timezone.is_naive(when):
        when = timezone.make_aware(when, dt.timezone.utc)
    with _lock:
        _frozen = when


def advance(delta: dt.timedelta) -> dt.datetime:
    """Move a frozen clock forward (freezing it at the current time first)."""
    global _frozen
    with _lock:
        _frozen = (_frozen or timezone.now()) + delta
        return _frozen


@contextlib.contextmanager
def travel(when: dt.datetime):
    """Freeze the clock at ``when`` for the block, then restore what was there."""
    previous = _frozen
    set_now(when)
    try:
        yield
    finally:
        set_now(previous)
