"""The organisation's timer sweeps: forget sign-in throttle rows that no longer count (AUTH-THROTTLE),
and the database's request counts whose window is over (RATE-LIMIT).

Every name typed at a sign-in form gets a row (a missing account locks like an existing one), so
without this sweep a guesser trying random names would grow the table without end."""
from __future__ import annotations

from syllabus.core.tasks import register_sweeps

from . import ratelimit, throttle

register_sweeps({
    "org_forget_signin_failures": throttle.forget_stale,
    "org_forget_rate_counts": ratelimit.forget_stale,
})
