"""Measure whether a per-token API limit can be counted without SQLite write-lock contention
(RATE-LIMIT, docs/security.md "Rate limits are fixed windows", session 22).

Four reader processes (as four web workers) make, for five seconds each run, one read query per
call — with and without the RATE-LIMIT counter (``org.ratelimit._bump``: an upsert of
``org.RateCount`` in the database, or the shared cache with ``CACHE_URL``) — and with and without a
writer process holding the write lock 100 ms every 300 ms (a service verb's transaction).

    SQLITE_PATH=/tmp/measure.sqlite3 syllabus migrate && SQLITE_PATH=/tmp/measure.sqlite3 \\
        flock /tmp/bench.lock python scripts/measure_api_rate_counter.py
    CACHE_URL=redis://127.0.0.1:6379/3 SQLITE_PATH=... flock /tmp/bench.lock python scripts/measure_api_rate_counter.py
"""
from __future__ import annotations

import multiprocessing as mp
import os
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "syllabus.settings")
django.setup()

from django.db import connection, connections, transaction  # noqa: E402

from syllabus.org import ratelimit  # noqa: E402
from syllabus.org.models import RateCount, User  # noqa: E402

SECONDS = 5.0
READERS = 4


def reader(i: int, count: bool, stop: float, out) -> None:
    connections.close_all()
    latencies = []
    while time.time() < stop:
        started = time.perf_counter()
        User.objects.filter(pk=1).exists()
        if count:
            ratelimit._bump(f"api:user:{i}", int(time.time()) // 60 * 60 + 60, 60)
        latencies.append(time.perf_counter() - started)
    out.put(latencies)


def writer(stop: float) -> None:
    connections.close_all()
    n = 0
    while time.time() < stop:
        with transaction.atomic():
            RateCount.objects.update_or_create(bucket=f"writer:{n % 5}", defaults={"window_end": 0, "hits": n})
            time.sleep(0.1)
        n += 1
        time.sleep(0.2)


def run(count: bool, with_writer: bool) -> tuple[float, float, float, float]:
    connections.close_all()
    stop = time.time() + SECONDS
    out: mp.Queue = mp.Queue()
    procs = [mp.Process(target=reader, args=(i, count, stop, out)) for i in range(READERS)]
    if with_writer:
        procs.append(mp.Process(target=writer, args=(stop,)))
    for p in procs:
        p.start()
    latencies: list[float] = []
    for _ in range(READERS):
        latencies.extend(out.get())
    for p in procs:
        p.join()
    latencies.sort()

    def quantile(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000

    return len(latencies) / SECONDS, quantile(0.5), quantile(0.99), latencies[-1] * 1000


if __name__ == "__main__":
    mp.set_start_method("fork")
    engine = connection.vendor + (" + Redis" if os.environ.get("CACHE_URL") else "")
    for count in (False, True):
        for with_writer in (False, True):
            rate, p50, p99, worst = run(count, with_writer)
            print(f"{engine:18} counter={'yes' if count else 'no':3} writer={'yes' if with_writer else 'no':3} "
                  f"calls/s={rate:7.0f} p50={p50:6.2f}ms p99={p99:7.2f}ms max={worst:7.2f}ms", flush=True)
