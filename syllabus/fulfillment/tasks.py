"""Timers of digitization: work-time expiry (DIG-6), swept by ``tick``."""
from syllabus.core.tasks import periodic

from . import services


@periodic("fulfillment.expire_digitization_requests")
def expire_digitization_requests(now) -> int:
    return services.expire_overdue(now)
