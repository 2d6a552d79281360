"""Timers of circulation: expired holds (SRV-5) and term-end returns of personal copies (SRV-1)."""
from syllabus.core.tasks import periodic

from . import services


@periodic("circulation")
def sweep(now) -> int:
    return services.expire_due_holds(now) + services.raise_return_tasks(now)
