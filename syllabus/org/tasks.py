"""The organisation's timer sweep: forget sign-in throttle rows that no longer count (AUTH-THROTTLE).

Every name typed at a sign-in form gets a row (a missing account locks like an existing one), so
without this sweep a guesser trying random names would grow the table without end."""
from __future__ import annotations

from syllabus.core.tasks import periodic


@periodic("org_forget_signin_failures")
def sweep_signin_throttles(now) -> int:
    from . import throttle

    return throttle.forget_stale(now)


@periodic("org_forget_rate_counts")
def sweep_rate_counts(now) -> int:
    """RATE-LIMIT: the database's request counts whose window is over."""
    from . import ratelimit

    return ratelimit.forget_stale(now)
