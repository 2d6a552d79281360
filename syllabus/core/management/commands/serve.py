"""``syllabus serve``: the production web server — gunicorn with several worker processes — and,
in the embedded default (no ``BROKER_URL``), **one** timer process beside them.

    syllabus serve                         # 127.0.0.1:$PORT, one worker per core
    syllabus serve --host 0.0.0.0 --port 8000 --workers 4 --threads 4

``serve`` supervises two processes: the gunicorn master (which forks the workers) and, unless a
broker is set, the single timer process ``syllabus tick --every TICK_SECONDS`` — so timers run
in exactly one place, never once per worker (with ``BROKER_URL``, Celery beat runs them and no
timer process is started).  When either ends, the other is stopped too; when ``serve`` itself
is killed (even by SIGKILL, which it cannot catch), the kernel kills both (Linux
``PR_SET_PDEATHSIG``), so that no orphaned worker goes on serving or writing.  Each worker starts a delivery thread (``notify.delivery.in_process_delivery``)
that sends letters at once: on PostgreSQL it listens for the announcement of letters committed by
any process — another worker, the timer process, a management command (``OutboxListener``) —, on
SQLite it is woken by its own worker's commits, and else polls every ``TICK_SECONDS`` (delivery
claims rows with leases, so several deliverers never send twice).
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

MAX_WORKERS = 64
PR_SET_PDEATHSIG = 1  # linux/prctl.h
MAX_THREADS = 64


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def _die_with(parent_pid: int):
    """A ``preexec_fn``: the child is killed when the ``serve`` process ends, however it ends."""

    def preexec() -> None:
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        except (OSError, AttributeError):  # not Linux: the supervisor's own clean-up still applies
            return
        if os.getppid() != parent_pid:  # serve died before the signal was armed
            os._exit(1)

    return preexec


class Command(BaseCommand):
    help = ("Serve Syllabus with gunicorn (--workers processes, default one per core) on 127.0.0.1:$PORT; "
            "without a broker, one timer process runs the sweeps every TICK_SECONDS.")

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_WORKERS", "0") or 0),
                            help="worker processes (default: WEB_WORKERS, else one per core)")
        parser.add_argument("--threads", type=int, default=int(os.environ.get("WEB_THREADS", "4")),
                            help="threads per worker (default: WEB_THREADS, else 4)")
        parser.add_argument("--no-collectstatic", action="store_true",
                            help="static files are already collected (e.g. when the image was built)")
        parser.add_argument("--timeout", type=int, default=int(os.environ.get("WEB_TIMEOUT", "60")),
                            help="seconds a request may run before its worker is restarted (default 60)")

    def handle(self, *args, host, port, workers, threads, timeout, no_collectstatic, **options):
        workers = workers or default_workers()
        if not 1 <= workers <= MAX_WORKERS:
            raise CommandError(f"--workers is a number from 1 to {MAX_WORKERS}")
        if not 1 <= threads <= MAX_THREADS:
            raise CommandError(f"--threads is a number from 1 to {MAX_THREADS}")
        if not 1 <= port <= 65535:
            raise CommandError("--port is a number from 1 to 65535")
        if not 5 <= timeout <= 3600:
            raise CommandError("--timeout is a number of seconds from 5 to 3600")
        if not no_collectstatic:
            call_command("collectstatic", interactive=False, verbosity=0)
        bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        web = [sys.executable, "-m", "gunicorn", "syllabus.wsgi:application", "--bind", bind, "--workers", str(workers),
               "--threads", str(threads), "--worker-class", "gthread" if threads > 1 else "sync", "--timeout", str(timeout),
               "--graceful-timeout", "20", "--keep-alive", "5", "--backlog", "2048", "--name", "syllabus",
               # gunicorn's largest request line (its default, 4094 bytes, refused a long OpenURL with an
               # HTML 400 before Syllabus saw it; session 20)
               "--limit-request-line", "8190",
               "--error-logfile", "-", "--log-level", os.environ.get("WEB_LOG_LEVEL", "warning")]
        if os.environ.get("WEB_ACCESS_LOG"):
            web += ["--access-logfile", os.environ["WEB_ACCESS_LOG"]]
        die_with_us = _die_with(os.getpid())
        processes = {"web": subprocess.Popen(web, env={**os.environ, "SYLLABUS_WEB_WORKER": "1"},  # kick() delivers at once
                                             preexec_fn=die_with_us)}
        if settings.IN_PROCESS_RUNNER:
            processes["tick"] = subprocess.Popen(
                [sys.executable, "-m", "syllabus.cli", "tick", "--every", str(settings.TICK_SECONDS)],
                env={**os.environ, "SYLLABUS_WEB_WORKER": ""}, preexec_fn=die_with_us)
        self.stdout.write(f"Syllabus at http://{host}:{port}/  ({workers} worker process{'es' if workers > 1 else ''} × "
                          f"{threads} thread{'s' if threads > 1 else ''}; timers "
                          f"{'in one tick process' if 'tick' in processes else 'on Celery beat'}; Ctrl-C stops)")
        self.stdout.flush()
        stopping = {"signal": None}

        def stop(signum, frame):
            stopping["signal"] = signum

        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, stop)
        code = 0
        try:
            while stopping["signal"] is None:  # a supervisor: when one of them ends, the other goes too
                ended = [name for name, p in processes.items() if p.poll() is not None]
                if ended:
                    code = processes[ended[0]].returncode or 0
                    if code:
                        self.stderr.write(f"the {ended[0]} process ended with status {code}")
                    break
                time.sleep(0.5)
        finally:
            for p in processes.values():
                if p.poll() is None:
                    p.send_signal(signal.SIGTERM)
            for p in processes.values():
                try:
                    p.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    p.kill()
        if code:
            raise SystemExit(code)
