"""Timers of digitization: work-time expiry (DIG-6), swept by ``tick``."""
from syllabus.core.tasks import register_sweeps

from . import services

register_sweeps({"fulfillment.expire_digitization_requests": services.expire_overdue})
