import logging
import os
import signal
import threading
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from syllabus.core.tasks import run_tick

log = logging.getLogger("syllabus.tick")


class Command(BaseCommand):
    help = ("Run every timer sweep once (idempotent; safe to run from cron), or with --every SECONDS "
            "forever: the one timer process that `syllabus serve` starts beside its workers.")

    def add_arguments(self, parser):
        parser.add_argument("--every", type=int, default=0, help="run the sweeps every SECONDS until stopped")

    def handle(self, *args, every, **options):
        if not every:
            for name, moved in run_tick().items():
                self.stdout.write(f"{name}: {moved}")
            return
        if not 1 <= every <= 86400:
            raise CommandError("--every is a number of seconds from 1 to 86400")
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        log.info("timer process %d: the sweeps run every %d s", os.getpid(), every)
        while not stop.wait(every):
            try:
                started = time.time()
                moved = run_tick()
                log.info("tick pid=%d at=%.3f %s", os.getpid(), started, " ".join(f"{k}={v}" for k, v in sorted(moved.items())))
            except Exception:
                log.exception("tick failed")
            finally:
                close_old_connections()
