"""Timers of analytics: the rollup of usage events into daily counts, then the expiry of raw events."""
from syllabus.core.tasks import periodic

from . import services


@periodic("analytics_rollup")
def roll_up(now) -> int:
    """ANL-1: fold new events into the daily counts (every event up to now is then in the reports)
    and delete raw events past the retention. Idempotent."""
    return services.roll_up_usage(now) + services.expire_events(now)
