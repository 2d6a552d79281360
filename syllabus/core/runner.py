"""In-process timer runner for the embedded default (no broker): a daemon thread that calls
``run_tick`` every ``TICK_SECONDS``.  Started by ``syllabus serve`` when ``IN_PROCESS_RUNNER``."""
from __future__ import annotations

import logging
import threading

from django.conf import settings
from django.db import close_old_connections

from .tasks import run_tick

log = logging.getLogger("syllabus.runner")


class InProcessRunner(threading.Thread):
    def __init__(self, interval: float | None = None):
        super().__init__(name="syllabus-runner", daemon=True)
        self.interval = interval or settings.TICK_SECONDS
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(self.interval):
            try:
                run_tick()
            except Exception:
                log.exception("tick failed")
            finally:
                close_old_connections()

    def stop(self) -> None:
        self._stop_event.set()
