"""Timers of acquisitions: the periodic new-edition check (SRV-3), swept by ``tick``."""
from syllabus.core.tasks import register_sweeps

from . import services

register_sweeps({"acquisitions.new_editions": services.sweep_new_editions})
