"""Timers of the consortium: inter-library loans past their due date become Overdue (CON-2)."""
from syllabus.core.tasks import periodic

from . import services


@periodic("consortium.ill_overdue")
def ill_overdue(now) -> int:
    return services.sweep_overdue_loans(now)
