"""Shared helpers for `make bench`: Django set-up on a dedicated database, timing, percentiles.

Benchmarks print ratios and percentiles (never a pass/fail on seconds), so a noisy machine
still tells the truth.  Each benchmark module is ``bench/bench_<name>.py`` with a
``run(args) -> None`` function; ``python -m bench [name ...]`` runs them.
"""
from __future__ import annotations

import os
import statistics
import time
from contextlib import contextmanager
from pathlib import Path

BENCH_DIR = Path(os.environ.get("BENCH_DIR", Path.cwd() / "var" / "bench"))


def setup_django(db_name: str = "bench") -> None:
    """Configure Django on a bench database: a SQLite file under var/bench, or, when
    DATABASE_URL is set, that PostgreSQL server (database name from the URL)."""
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    if not os.environ.get("DATABASE_URL"):
        os.environ.setdefault("SQLITE_PATH", str(BENCH_DIR / f"{db_name}.sqlite3"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "syllabus.settings")
    os.environ.setdefault("FAST_PASSWORD_HASHER", "1")
    # the benchmarks call the API with one token far faster than a person would: not counted
    # against RATE_LIMIT_API (bench_api_rate measures that limit, turning it on itself)
    os.environ.setdefault("RATE_LIMIT_API", "off")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def percentile(samples: list[float], p: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summary(samples_s: list[float]) -> dict:
    ms = [s * 1000 for s in samples_s]
    return {"n": len(ms), "p50_ms": percentile(ms, 50), "p95_ms": percentile(ms, 95), "p99_ms": percentile(ms, 99),
            "mean_ms": statistics.fmean(ms) if ms else float("nan")}


@contextmanager
def stopwatch():
    box = {}
    start = time.perf_counter()
    yield box
    box["seconds"] = time.perf_counter() - start


@contextmanager
def statements():
    """The SQL statements (``(sql, params)``) run on the default connection inside the block."""
    from django.db import connection

    seen: list[tuple] = []

    def keep(execute, sql, params, many, context):
        seen.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(keep):
        yield seen


def line(name: str, **values) -> None:
    parts = []
    for k, v in values.items():
        parts.append(f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}")
    print(f"{name:<34} " + "  ".join(parts), flush=True)


def bulk_insert(model, objects, chunk: int = 20_000) -> int:
    """``bulk_create`` an iterable of unsaved ``model`` rows ``chunk`` at a time (a fixture of
    millions of rows never sits in memory at once); the number of rows written."""
    total = 0
    batch: list = []
    for obj in objects:
        batch.append(obj)
        if len(batch) >= chunk:
            model.objects.bulk_create(batch, batch_size=5000)
            total += len(batch)
            batch = []
    model.objects.bulk_create(batch, batch_size=5000)
    return total + len(batch)
