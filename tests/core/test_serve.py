"""Issue 19 acceptance 3: ``syllabus serve --workers 2`` serves with two worker processes and runs
the timers exactly once per tick — in one timer process beside the workers, never once per
worker.  The server runs for real (gunicorn) on the test database; the timer process logs one
line per tick with its process id."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request

import pytest
from django.db import connection
from tests.independent import free_port as _free_port  # below the ephemeral range

TICK = re.compile(r"^tick pid=(\d+) at=([0-9.]+) .*lending=")


def _children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                out.append(int(entry))
    return out


def _cmdline(pid: int) -> str:
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        return f.read().replace(b"\0", b" ").decode()


def _server_env(tmp_path) -> dict:
    env = {**os.environ, "SYLLABUS_DATA_DIR": str(tmp_path), "TICK_SECONDS": "1", "BROKER_URL": "", "LOG_LEVEL": "INFO",
           "IN_PROCESS_RUNNER": "true"}
    s = connection.settings_dict
    if connection.vendor == "sqlite":  # the test database file
        env["SQLITE_PATH"] = str(s["NAME"])
        env.pop("DATABASE_URL", None)
    else:
        env["DATABASE_URL"] = f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    return env


@pytest.mark.django_db(transaction=True)
def test_serve_with_two_workers_runs_every_timer_tick_exactly_once(tmp_path):
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "syllabus.cli", "serve", "--workers", "2", "--threads", "2",
                             "--port", str(port), "--no-collectstatic"],
                            env=_server_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[tuple[float, str]] = []
    reader = threading.Thread(target=lambda: [lines.append((time.monotonic(), ln.rstrip())) for ln in proc.stdout], daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 420  # a loaded CI machine starts three Django processes slowly
        while True:  # up: /healthz answers through the workers
            assert proc.poll() is None, "\n".join(ln for _, ln in lines)
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
                    assert r.status == 200
                    break
            except OSError:
                assert time.monotonic() < deadline, "the server did not answer"
                time.sleep(0.5)
        while sum(1 for _, ln in lines if TICK.match(ln)) < 2:  # the timer process is ticking
            assert time.monotonic() < deadline, "no tick: " + "\n".join(ln for _, ln in lines[-20:])
            time.sleep(0.2)
        for _ in range(20):  # the site answers while the timers run
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=30) as r:
                assert r.status == 200
        seen = sum(1 for _, ln in lines if TICK.match(ln))
        while sum(1 for _, ln in lines if TICK.match(ln)) < seen + 3:  # three more ticks with the site in use
            assert time.monotonic() < deadline, "the ticks stopped"
            time.sleep(0.2)

        # a long OpenURL (a request line of 6,400 bytes) reaches Syllabus: gunicorn's default ceiling
        # (4,094) answered its own HTML 400 (session 20, schemathesis against the demo)
        long_url = f"http://127.0.0.1:{port}/api/v1/resolve?rft.btitle={'x' * 900}" + "".join(
            f"&rft.{key}={'y' * 900}" for key in ("atitle", "jtitle", "title", "au", "pub", "place"))
        assert 6000 < len(long_url) < 8000  # over gunicorn's default 4,094, under its ceiling 8,190
        with urllib.request.urlopen(long_url, timeout=60) as r:  # the resolver (open to anyone) answers it
            assert r.status == 200 and r.headers["Content-Type"].startswith("application/json")

        children = _children(proc.pid)  # serve supervises the gunicorn master and the timer process
        masters = [c for c in children if "gunicorn" in _cmdline(c)]
        tickers = [c for c in children if " tick --every 1" in _cmdline(c)]
        assert len(masters) == 1 and len(tickers) == 1, [_cmdline(c) for c in children]
        workers = _children(masters[0])
        assert len(workers) == 2
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        reader.join(timeout=10)

    ticks = [(float(m.group(2)), int(m.group(1))) for m in (TICK.match(ln) for _, ln in lines) if m]
    assert {pid for _, pid in ticks} == {tickers[0]}, "timers ran in another process than the one timer process"
    assert not {pid for _, pid in ticks} & {masters[0], *workers}
    # once per tick: TICK_SECONDS (1 s) or more between two runs of the sweeps (once per worker
    # would be two runs a second)
    times = sorted(t for t, _ in ticks)
    assert len(times) >= 2 and all(b - a >= 0.99 for a, b in zip(times, times[1:])), times
