"""Timers of long-term digital loans: grace expiry (LDL-7) and session end (LDL-8).

The due times are on the request rows (``grace_due_at``, ``session_due_at``); this sweep
applies every one that has passed, one representation per transaction under its lock.
Idempotent: a second run at the same time finds nothing due."""
from syllabus.core.tasks import periodic

from . import services


@periodic("lending")
def sweep(now) -> int:
    return services.settle(None, now)
