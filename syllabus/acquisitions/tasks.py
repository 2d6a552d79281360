"""Timers of acquisitions: the periodic new-edition check (SRV-3), swept by ``tick``."""
from syllabus.core.tasks import periodic

from . import services


@periodic("acquisitions.new_editions")
def new_editions(now) -> int:
    return services.sweep_new_editions(now)
