"""The cost of ``RATE_LIMIT_API`` (RATE-LIMIT, session 23): API read throughput with and without the
per-token count, on this benchmark's database (SQLite, or PostgreSQL with ``DATABASE_URL``).

``BENCH_API_RATE_READERS`` (4) processes — as that many web workers — each call ``GET /api/v1/me``
with a bearer token through Django's test client (middleware, token check, view: server time) for
``BENCH_API_RATE_SECONDS`` (5) seconds, in these set-ups taking turns ``BENCH_API_RATE_ROUNDS`` (3)
times (the machine's other load falls on each alike):

- ``off``      — ``RATE_LIMIT_API=off``;
- ``process``  — the limit on, without ``CACHE_URL``: counted in each worker's memory;
- ``redis``    — the limit on with ``CACHE_URL`` on ``BENCH_REDIS_URL`` (else ``TEST_REDIS_URL``): one
  ``MULTI``/``EXEC`` round trip a call; left out, saying so, when no Redis answers;
- ``database`` — for comparison only, not a configuration Syllabus offers: the limit counted in
  ``org.RateCount`` like the other rules without ``CACHE_URL`` (what session 22 measured);

each alone and with a writer process holding the write lock 100 ms every 300 ms (a service verb's
transaction: on SQLite, readers that needed the lock would queue behind it — session 22 measured
the database counter so: −49 % alone, −56 % with the writer).  The limit is set high (1,000,000 a
minute) so that nothing is refused: what is measured is the count's cost.  Printed: calls/s, p50 and
p99 (ms) of each, and the ratio of each set-up's calls/s to ``off`` in the same writer condition.
First, the cost of one count alone (µs, in one process): in memory, in Redis, and — for
comparison, not used — the database counter of session 22.  Nothing passes or fails on seconds
(BENCHMARKS.md keeps the figures).  ``--quick``: one round of 2 seconds.

    flock /tmp/bench.lock make bench BENCH_ARGS=api_rate
"""
from __future__ import annotations

import multiprocessing as mp
import os
import time

from bench.common import line, percentile, setup_django

READERS = int(os.environ.get("BENCH_API_RATE_READERS", "4"))
ROUNDS = int(os.environ.get("BENCH_API_RATE_ROUNDS", "3"))
LIMIT = "1000000/minute"


def _redis_url() -> str:
    return os.environ.get("BENCH_REDIS_URL") or os.environ.get("TEST_REDIS_URL") or "redis://127.0.0.1:6379/0"


def _redis_answers(url: str) -> bool:
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
        return True
    except Exception:  # noqa: BLE001
        return False


def _overrides(setup: str) -> dict:
    if setup == "off":
        return {"RATE_LIMIT_API": "off", "CACHE_URL": ""}
    if setup in ("process", "database"):
        return {"RATE_LIMIT_API": LIMIT, "CACHE_URL": ""}
    url = _redis_url()
    caches = {alias: {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url,
                      "KEY_PREFIX": f"bench-api-rate-{alias}-{os.getpid()}"} for alias in ("default", "pages")}
    return {"RATE_LIMIT_API": LIMIT, "CACHE_URL": url, "CACHES": caches}


def _reader(token: str, setup: str, stop: float, out) -> None:
    from django.db import connections
    from django.test import Client, override_settings

    connections.close_all()
    if setup == "database":   # for comparison only: session 22's database counter, forced for this rule
        import dataclasses

        from syllabus.org import ratelimit

        ratelimit.LIMITS["api"] = dataclasses.replace(ratelimit.LIMITS["api"], per_process=False)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    latencies, refused = [], 0
    with override_settings(**_overrides(setup)):
        while time.time() < stop:
            started = time.perf_counter()
            status = client.get("/api/v1/me").status_code
            latencies.append(time.perf_counter() - started)
            refused += status != 200
    out.put((latencies, refused))


def _writer(stop: float) -> None:
    from django.db import connections, transaction

    from syllabus.org.models import RateCount

    connections.close_all()
    n = 0
    while time.time() < stop:
        with transaction.atomic():
            RateCount.objects.update_or_create(bucket=f"bench-writer:{n % 5}", defaults={"window_end": 0, "hits": n})
            time.sleep(0.1)
        n += 1
        time.sleep(0.2)


def _run(tokens: list[str], setup: str, with_writer: bool, seconds: float) -> tuple[list[float], int]:
    """One timed run: every reader's latencies (seconds) and the refusals."""
    from django.db import connections

    connections.close_all()
    stop = time.time() + seconds
    out: mp.Queue = mp.Queue()
    procs = [mp.Process(target=_reader, args=(tokens[i], setup, stop, out)) for i in range(READERS)]
    if with_writer:
        procs.append(mp.Process(target=_writer, args=(stop,)))
    for p in procs:
        p.start()
    latencies: list[float] = []
    refused = 0
    for _ in range(READERS):
        got, n = out.get()
        latencies.extend(got)
        refused += n
    for p in procs:
        p.join()
    return latencies, refused


def _count_cost(setup: str, n: int) -> float:
    """Microseconds of one count alone (``ratelimit.hit`` for ``setup``; ``database``: the
    database counter session 22 measured, ``org.RateCount`` upserted), in this process."""
    from django.test import override_settings

    from syllabus.org import ratelimit

    request = type("R", (), {"META": {}})()
    with override_settings(**_overrides("process" if setup == "database" else setup)):
        started = time.perf_counter()
        for _ in range(n):
            if setup == "database":
                ratelimit._bump("api:token:bench-cost", int(time.time()) // 60 * 60 + 60, 60)
            else:
                ratelimit.hit("api", request, who=("token:bench-cost", ""))
        return (time.perf_counter() - started) / n * 1e6


def run(args) -> None:
    setup_django("api_rate")
    from django.db import connection

    from syllabus.org.models import Consortium, Institution, User
    from syllabus.org.services import create_api_token

    cons, _ = Consortium.objects.get_or_create(code="bench", defaults={"name": "Bench"})
    inst, _ = Institution.objects.get_or_create(code="bench-api-rate", defaults={"name": "API Rate U", "consortium": cons})
    tokens = []
    for i in range(READERS):   # one token (one count) per reader: as many scripts, each with its own
        user, _ = User.objects.get_or_create(username=f"bench-api-rate-{i}", defaults={"institution": inst})
        tokens.append(create_api_token(user, name="bench")[1])
    seconds = 2.0 if args.quick else float(os.environ.get("BENCH_API_RATE_SECONDS", "5"))
    setups = ["off", "process"]
    if _redis_answers(_redis_url()):
        setups.append("redis")
    else:
        print(f"redis: left out (no Redis answers at {_redis_url()}; set BENCH_REDIS_URL)", flush=True)
    setups.append("database")
    # the first request of a process imports the URL conf, the API and every view (seconds): once
    # here, before the readers are forked, so that they measure calls and not imports
    from django.test import Client, override_settings

    with override_settings(RATE_LIMIT_API="off"):
        assert Client(HTTP_AUTHORIZATION=f"Bearer {tokens[0]}").get("/api/v1/me").status_code == 200
    mp.set_start_method("fork", force=True)
    engine = connection.vendor
    rounds = 1 if args.quick else ROUNDS
    for setup, n in [("process", 5000), ("redis", 1000), ("database", 300)]:
        if setup in setups:
            line(f"{engine} one count: {setup}", us_per_call=_count_cost(setup, n // (5 if args.quick else 1)))
    for with_writer in (False, True):
        # the set-ups take turns, ``rounds`` times, so that the machine's other load falls on each alike
        samples: dict[str, list[float]] = {setup: [] for setup in setups}
        refused = dict.fromkeys(setups, 0)
        for r in range(rounds):
            for setup in setups[r % len(setups):] + setups[:r % len(setups)]:
                got, n = _run(tokens, setup, with_writer, seconds)
                samples[setup].extend(got)
                refused[setup] += n
        base = len(samples["off"])
        for setup in setups:
            ms = [x * 1000 for x in samples[setup]]
            line(f"{engine} {setup} writer={'yes' if with_writer else 'no'}", calls_s=len(ms) / (seconds * rounds),
                 p50_ms=percentile(ms, 50), p99_ms=percentile(ms, 99),
                 ratio_to_off=len(ms) / base if base else float("nan"), refused=refused[setup])
