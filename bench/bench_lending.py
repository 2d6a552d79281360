"""Long-term digital loans under load (LDL-15, issue 19): hand-overs per second on one hot
title, compared side by side in the same run with

- the same loop by **one** client (the serial rate),
- the same clients spread over **50 titles** (where the title's lock is not the limit),
- a **plain database loop** on one row by the same number of clients —
  ``SELECT … FOR UPDATE; INSERT; UPDATE; COMMIT`` with psycopg (PostgreSQL) or sqlite3 — the
  fastest any locked hand-over could go on this database and machine,

and printed as the ratios of issue 19's table.  Clients are **separate processes** by default
(``BENCH_LENDING_MODE=thread`` for threads of one process).  Each client is a patron looping
*request → wait in the waitlist until the "available" letter reaches it (one notifier process
listens for the outbox's announcements on PostgreSQL — polls it on SQLite — and wakes the
patron) → open → finish*.  Titles have 3 copies.

Each client first runs a few loan cycles on a title of its own (``BENCH_LENDING_WARM_CYCLES``,
default 6; not counted): its new database connection prepares the verbs' statements and passes
PostgreSQL's first custom plans, as a server worker's kept connection has long done; the phase
starts once every client is ready.  A phase's rate is the hand-overs made in its window of
``BENCH_LENDING_SECONDS``, divided by that window — as the plain loop counts its transactions
(session 12; until then every hand-over was divided by the time until the last client had
exited, ≈ 1–1.5 s more, and the clients' first verbs prepared their statements in the window).

Overbooking is checked while it runs (a watcher counts Active rows per title every 20 ms) and
afterwards from every loan's interval [handed over, completed): never deeper than 3, or the
benchmark fails.

It first prints what one loan cycle costs a single client in this process: CPU ms (client,
and on PostgreSQL the connection's database backend), round trips and statements.

    make bench BENCH_ARGS=lending                                   # SQLite
    BENCH_LENDING_CYCLES_ONLY=1 BENCH_LENDING_PROFILE=1 make bench BENCH_ARGS=lending   # cost + cProfile
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_syl_lending make bench BENCH_ARGS=lending
    BENCH_LENDING_CLIENTS=8 BENCH_LENDING_SECONDS=10 make bench BENCH_ARGS=lending
"""
from __future__ import annotations

import multiprocessing as mp
import os
import random
import threading
import time

from bench.common import line, setup_django, summary

CLIENTS = max(1, min(int(os.environ.get("BENCH_LENDING_CLIENTS", "32")), 256))
MODE = os.environ.get("BENCH_LENDING_MODE", "process")
COPIES = 3
# loan cycles each client runs on a title of its own before the phase starts (not counted): its
# new database connection prepares the verbs' statements and passes PostgreSQL's first five
# custom plans of each, as a server worker's kept connection (CONN_MAX_AGE) has done long before
WARM_CYCLES = max(0, min(int(os.environ.get("BENCH_LENDING_WARM_CYCLES", "6")), 50))


def _max_overlap(intervals) -> int:
    events = sorted([(s, 1) for s, _ in intervals] + [(e, -1) for _, e in intervals], key=lambda e: (e[0], e[1]))
    depth = peak = 0
    for _, delta in events:
        depth += delta
        peak = max(peak, depth)
    return peak


def _fixture(n_reps: int, tag: str, n_patrons: int, n_warm: int = 0):
    from django.db import transaction

    from syllabus.catalog.models import Record, Representation
    from syllabus.lending import services
    from syllabus.lending.models import AccessRightsPolicy, LoanRequest, LoanSettings, LoanSlot
    from syllabus.org.models import Consortium, Institution, Library, User
    from syllabus.org.roles import Role
    from syllabus.org.services import assign_role

    cons, _ = Consortium.objects.get_or_create(code="bench", defaults={"name": "Bench"})
    inst, _ = Institution.objects.get_or_create(code="bench-u", defaults={"name": "Bench University", "consortium": cons})
    lib, _ = Library.objects.get_or_create(code="bench-lib", defaults={"name": "Bench Library", "institution": inst,
                                                                       "open_weekdays": "mon,tue,wed,thu,fri,sat,sun"})
    with transaction.atomic():  # a clean slate
        LoanRequest.objects.filter(representation__library=lib).delete()
        LoanSlot.objects.filter(representation__library=lib).delete()
        LoanSettings.objects.filter(representation__library=lib).delete()
        Representation.objects.filter(library=lib).delete()
        Record.objects.filter(institution=inst, source_id__startswith="bench-ldl-").delete()
        AccessRightsPolicy.objects.filter(institution=inst).delete()
    staff, _ = User.objects.get_or_create(username="bench-ldl-staff", defaults={"institution": inst})
    assign_role(staff, Role.DIGITAL_INVENTORY_OPERATOR)
    staff = User.objects.get(pk=staff.pk)
    policy = services.create_policy(staff, inst, name="Bench CDL", rules=[{
        "request_priority": 0, "session_period": 3, "session_period_unit": "days", "grace_period": 2, "grace_period_unit": "days"}])
    reps, warm = [], []
    for i in range(n_reps + n_warm):
        name = f"{tag}-{i}" if i < n_reps else f"warm-{i - n_reps}"
        record = Record.objects.create(institution=inst, source_id=f"bench-ldl-{name}", title=f"Bench title {name}")
        rep = Representation.objects.create(record=record, library=lib)
        services.configure_representation(staff, rep, policy=policy, concurrent_users=COPIES)
        (reps if i < n_reps else warm).append(rep.pk)
    patrons = []
    for i in range(n_patrons):
        u, _ = User.objects.get_or_create(username=f"bench-ldl-p{i:02d}",
                                          defaults={"institution": inst, "email": f"p{i}@bench.example.edu"})
        patrons.append(u.pk)
    if n_warm:
        return reps, patrons, warm
    return reps, patrons


# --- one client: a patron borrowing in a loop (a thread or a process) ----------------------------

def _client(patron_id: int, rep_ids: list[int], seed: int, start, seconds: float, wake, out,
            warm_id: int | None = None, ready=None) -> None:
    from django.db import connection

    from syllabus.catalog.models import Representation
    from syllabus.core.errors import RuleViolation
    from syllabus.lending import selectors, services
    from syllabus.lending.models import Step
    from syllabus.org.models import User

    rnd = random.Random(seed)
    lat = {"request": [], "access": [], "finish": [], "wait": []}
    counts = {"requests": 0, "loans": 0, "refused": 0, "busy": 0}
    retries = dict(services.RETRIES)
    error = None
    try:
        patron = User.objects.select_related("institution").get(pk=patron_id)
        reps = {r.pk: r for r in Representation.objects.select_related("library__institution").filter(pk__in=rep_ids)}
        if warm_id is not None:  # (a title of its own: nothing waits, nothing counted)
            own = Representation.objects.select_related("library__institution").get(pk=warm_id)
            for _ in range(WARM_CYCLES):
                req = selectors.request_for(patron, services.request_loan(patron, own).pk)
                services.finish(patron, services.access(patron, req))
        if ready is not None:
            ready.put(patron_id)
        while not start.value or time.time() < start.value:
            time.sleep(0.001)
        start_at = start.value
        stop_at = start_at + seconds
        while time.time() < stop_at:
            rep = reps[rep_ids[rnd.randrange(len(rep_ids))]]
            t0 = time.perf_counter()
            try:
                req = services.request_loan(patron, rep)
            except services.TitleBusy:
                counts["busy"] += 1
                continue
            except RuleViolation:
                counts["refused"] += 1
                continue
            t1 = time.perf_counter()
            counts["requests"] += 1
            lat["request"].append(t1 - t0)
            while req.step == Step.IN_WAITLIST and time.time() < stop_at:
                if wake.wait(timeout=0.5):
                    wake.clear()
                req = selectors.request_for(patron, req.pk)
            if req.step == Step.IN_WAITLIST:  # the phase ended while waiting: leave the waitlist
                try:
                    services.cancel(patron, req)
                    break
                except RuleViolation:  # handed over in the meantime: take it and return it
                    req = selectors.request_for(patron, req.pk)
            t2 = time.perf_counter()
            services.access(patron, req)
            t3 = time.perf_counter()
            services.finish(patron, req)
            t4 = time.perf_counter()
            counts["loans"] += 1
            lat["wait"].append(t2 - t1)
            lat["access"].append(t3 - t2)
            lat["finish"].append(t4 - t3)
    except BaseException as exc:  # noqa: BLE001 - reported by the parent
        error = repr(exc)
    finally:
        connection.close()
    counts.update({k: services.RETRIES[k] - retries.get(k, 0) for k in services.RETRIES})  # (threads: the parent counts)
    out.put({"counts": counts, "lat": lat, "error": error})


NOTIFIER_WINDOW = 64  # outbox ids below the highest seen that may still commit (see _notifier)


def _notifier(patron_ids: list[int], wakes: dict, stop_at: float) -> None:  # (started with the phase)
    """Delivers the "available" letters: wakes the patron each is addressed to.

    On PostgreSQL it LISTENs for the outbox's announcements (``notify.delivery.OutboxListener``:
    a transaction that queued letters announces ``letter:recipient`` right after its commit) and
    wakes each patron named with an ``ldl_available`` letter at once — no query (session 10;
    it polled the outbox every 5 ms until then, and still does on SQLite).

    Polling: outbox ids are drawn when a letter is inserted, but transactions commit in any
    order: a letter with a lower id than one already seen may still appear.  So it reads every
    letter above the highest id seen minus a window and wakes each patron once per letter (it read
    only above the highest id seen until session 9, and lost those letters: their patron
    woke only at its 0.5 s timeout)."""
    from django.db import connection

    from syllabus.notify.models import OutboxMessage

    try:
        from syllabus.notify.delivery import OutboxListener
    except ImportError:  # (code before session 10, measured with this script: it polls)
        listener = None
    else:
        listener = OutboxListener.open()
    try:
        last = OutboxMessage.objects.order_by("-id").values_list("id", flat=True).first() or 0
        seen = set(OutboxMessage.objects.filter(id__gt=last - NOTIFIER_WINDOW).values_list("id", flat=True))  # (before the phase)

        def scan() -> None:
            nonlocal last
            for pk, recipient in (OutboxMessage.objects.filter(id__gt=last - NOTIFIER_WINDOW, letter="ldl_available",
                                                               channel="email").values_list("id", "recipient_id")):
                if pk in seen:
                    continue
                seen.add(pk)
                last = max(last, pk)
                if recipient in wakes:
                    wakes[recipient].set()

        while time.time() < stop_at + 1:
            if listener is None:
                scan()
                time.sleep(0.005)
                continue
            for payload in listener.wait(0.1):
                if payload == "*":  # letters not named: read them
                    scan()
                    continue
                for token in payload.split():
                    letter, _, recipient = token.partition(":")
                    if letter == "ldl_available" and recipient.isdigit() and int(recipient) in wakes:
                        wakes[int(recipient)].set()
    finally:
        if listener is not None:
            listener.close()
        connection.close()


def _start(target, args):
    if MODE == "thread":
        t = threading.Thread(target=target, args=args)
    else:
        t = mp.get_context("fork").Process(target=target, args=args)
    t.start()
    return t


def _phase(name: str, rep_ids, patron_ids, seconds: float, warm_ids: list[int] | None = None) -> dict:
    from django.db import connection, connections
    from django.db.models import F

    from syllabus.lending import services
    from syllabus.lending.models import LoanRequest, Status

    retries = dict(services.RETRIES)
    ctx = mp.get_context("fork")
    queue = ctx.Queue() if MODE != "thread" else __import__("queue").Queue()
    event = ctx.Event if MODE != "thread" else threading.Event
    wakes = {p: event() for p in patron_ids}
    for rep_id in rep_ids:  # each title's configuration, as a worker that has served it keeps it
        services._Title(rep_id, grace=True, rules=True)
    connections.close_all()  # never share a connection with a forked child
    start = ctx.Value("d", 0.0)  # the phase's start, set once every client is connected and warm
    ready = ctx.Queue() if MODE != "thread" else __import__("queue").Queue()
    warm = warm_ids if WARM_CYCLES and warm_ids else [None] * len(patron_ids)
    workers = [_start(_client, (p, rep_ids, i, start, seconds, wakes[p], queue, warm[i], ready))
               for i, p in enumerate(patron_ids)]
    for _ in workers:
        ready.get(timeout=600)
    start_at = time.time() + (0.3 if MODE != "thread" else 0.1)
    stop_at = start_at + seconds
    notifier = _start(_notifier, (patron_ids, wakes, stop_at))
    start.value = start_at

    peak = {"active": 0}
    while time.time() < start_at:
        time.sleep(0.01)
    while time.time() < stop_at:  # the watcher
        rows = (LoanRequest.objects.filter(representation_id__in=rep_ids, status=Status.ACTIVE)
                .values_list("representation_id", flat=True))
        per: dict[int, int] = {}
        for rid in rows:
            per[rid] = per.get(rid, 0) + 1
        peak["active"] = max([peak["active"], *per.values()])
        time.sleep(0.02)
    results = [queue.get(timeout=600) for _ in workers]
    for w in workers:
        w.join(timeout=60)
    notifier.join(timeout=60)
    elapsed = time.time() - start_at  # (with the clients' last verbs, their exit and the checks below)
    errors = [r["error"] for r in results if r["error"]]
    if errors:
        raise RuntimeError(f"{len(errors)} client(s) failed, first: {errors[0]}")
    keys = sorted({k for r in results for k in r["counts"]})
    counts = {k: sum(r["counts"].get(k, 0) for r in results) for k in keys}
    if MODE == "thread":  # one process: its counters saw every client
        counts.update({k: services.RETRIES[k] - retries.get(k, 0) for k in services.RETRIES})
    changed = {k.split(":", 1)[1]: v for k, v in counts.items() if k.startswith("changed:") and v}
    lat = {k: [x for r in results for x in r["lat"][k]] for k in results[0]["lat"]}

    handed = list(LoanRequest.objects.filter(representation_id__in=rep_ids, handed_over_at__isnull=False)
                  .values_list("representation_id", "handed_over_at", "completed_at"))
    by_rep: dict[int, list] = {}
    for rid, start, end in handed:
        by_rep.setdefault(rid, []).append((start, end))
    deepest = max((_max_overlap(v) for v in by_rep.values()), default=0)
    still_active = LoanRequest.objects.filter(representation_id__in=rep_ids, status=Status.ACTIVE).count()
    overbooked = max(peak["active"], deepest) > COPIES
    assert not overbooked, f"OVERBOOKED: peak {peak['active']}, deepest overlap {deepest}"
    assert still_active == 0, f"{still_active} loans left active"
    connection.close()
    # the rate: hand-overs made in the phase's window of `seconds`, as the plain loop counts its
    # transactions (until session 11 every hand-over ÷ the time until the last client had exited)
    in_window = sum(1 for _, start, _ in handed if start.timestamp() <= stop_at)
    result = {"clients": len(patron_ids), "titles": len(rep_ids), "seconds": elapsed,
              "requests_per_s": counts["requests"] / elapsed, "hand_overs_per_s": in_window / seconds,
              "hand_overs_all_per_s": len(handed) / elapsed,
              "loans": counts["loans"], "busy_503": counts["busy"], "conflicts": counts["conflicts"],
              "locked_after_conflicts": counts["locked"], "place_rewritten": counts.get("place_rewritten", 0),
              "read_again": counts.get("read_again", 0), "peak_active": peak["active"], "max_overlap": deepest,
              "overbooked": 0}
    # from a hand-over out of the waitlist to the patron opening the copy: the notifier's wake-up,
    # the patron's process and its read (the serial chain each copy goes through on a hot title)
    waits = [(opened - handed).total_seconds() for handed, opened in LoanRequest.objects.filter(
        representation_id__in=rep_ids, handed_over_at__gt=F("requested_at"), session_started_at__isnull=False)
        .values_list("handed_over_at", "session_started_at")]
    line(f"lending {name}", **result)
    if waits:
        line("  hand-over → open (waited)", **summary(waits))
    if changed:  # which facts had changed when an optimistic write found its decision out of date
        line("  facts changed", **changed)
    for op in ("request", "access", "finish"):
        line(f"  {op} latency", **summary(lat[op]))
    return result


# --- the plain database loop on one row ------------------------------------------------------------

def _raw_client(dsn: dict, stop_at: float, start_at: float, out) -> None:
    n = 0
    lat = []
    if dsn["vendor"] == "postgresql":
        import psycopg

        conn = psycopg.connect(**dsn["params"], autocommit=False)
    else:
        import sqlite3

        conn = sqlite3.connect(dsn["path"], timeout=30, isolation_level=None)
    try:
        cur = conn.cursor()
        while time.time() < start_at:
            time.sleep(0.001)
        while time.time() < stop_at:
            t0 = time.perf_counter()
            if dsn["vendor"] == "postgresql":
                cur.execute("SELECT n FROM bench_hot_row WHERE id = 1 FOR UPDATE")
                cur.fetchone()
                cur.execute("INSERT INTO bench_hot_log (k) VALUES (%s)", [n])
                cur.execute("UPDATE bench_hot_row SET n = n + 1 WHERE id = 1")
                conn.commit()
            else:
                cur.execute("BEGIN IMMEDIATE")
                cur.execute("SELECT n FROM bench_hot_row WHERE id = 1")
                cur.fetchone()
                cur.execute("INSERT INTO bench_hot_log (k) VALUES (?)", [n])
                cur.execute("UPDATE bench_hot_row SET n = n + 1 WHERE id = 1")
                cur.execute("COMMIT")
            lat.append(time.perf_counter() - t0)
            n += 1
    finally:
        conn.close()
    out.put({"n": n, "lat": lat})


def _raw_loop(clients: int, seconds: float) -> dict:
    from django.db import connection, connections

    vendor = connection.vendor
    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_hot_log")
        cur.execute("DROP TABLE IF EXISTS bench_hot_row")
        cur.execute("CREATE TABLE bench_hot_row (id integer PRIMARY KEY, n integer NOT NULL)")
        serial = "bigserial PRIMARY KEY" if vendor == "postgresql" else "integer PRIMARY KEY AUTOINCREMENT"
        cur.execute(f"CREATE TABLE bench_hot_log (id {serial}, k integer NOT NULL)")
        cur.execute("INSERT INTO bench_hot_row (id, n) VALUES (1, 0)")
    s = connection.settings_dict
    dsn = {"vendor": vendor}
    if vendor == "postgresql":
        dsn["params"] = {k: v for k, v in {"dbname": s["NAME"], "user": s["USER"], "password": s["PASSWORD"], "host": s["HOST"],
                                            "port": s["PORT"]}.items() if v}
    else:
        dsn["path"] = str(s["NAME"])
    connections.close_all()
    ctx = mp.get_context("fork")
    out = ctx.Queue()
    start_at = time.time() + 1.0
    stop_at = start_at + seconds
    procs = [ctx.Process(target=_raw_client, args=(dsn, stop_at, start_at, out)) for _ in range(clients)]
    for p in procs:
        p.start()
    results = [out.get(timeout=600) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    total = sum(r["n"] for r in results)
    lat = [x for r in results for x in r["lat"]]
    result = {"clients": clients, "seconds": seconds, "transactions_per_s": total / seconds}
    line("plain loop on one row", **result, **{k: v for k, v in summary(lat).items() if k in ("p50_ms", "p95_ms")})
    return result


def _warm_up(rep_id: int, patron_id: int) -> None:
    """One loan cycle in the parent before the clients fork: what a process loads on first use
    (URL configuration, translations, compiled letter templates) is loaded once, as in a
    server's worker that has answered its first request."""
    from syllabus.catalog.models import Representation
    from syllabus.lending import selectors, services
    from syllabus.org.models import User

    patron = User.objects.get(pk=patron_id)
    rep = Representation.objects.select_related("library__institution").get(pk=rep_id)
    req = services.request_loan(patron, rep)
    req = selectors.request_for(patron, req.pk)
    services.finish(patron, services.access(patron, req))


def _cycle_cost(rep_id: int, patron_id: int, cycles: int) -> dict:
    """One client in this process: CPU time (``time.process_time``) and SQL statements per loan
    cycle — request, the patron's read of it (as after the "available" letter), open, finish.
    ``BENCH_LENDING_PROFILE=1`` prints the cProfile of the cycles too."""
    import cProfile
    import pstats

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from syllabus.catalog.models import Representation
    from syllabus.lending import selectors, services
    from syllabus.org.models import User

    patron = User.objects.select_related("institution").get(pk=patron_id)
    rep = Representation.objects.select_related("library__institution").get(pk=rep_id)

    def cycle():
        req = services.request_loan(patron, rep)
        req = selectors.request_for(patron, req.pk)
        services.finish(patron, services.access(patron, req))

    for _ in range(5):
        cycle()
    with CaptureQueriesContext(connection) as queries:
        cycle()
    statements = sum(q["sql"].count(";\n") + 1 for q in queries.captured_queries)
    def server_cpu() -> float:  # the database backend of this client (PostgreSQL on this machine), seconds
        if connection.vendor != "postgresql":
            return 0.0
        with connection.cursor() as cur:
            cur.execute("SELECT pg_backend_pid()")
            pid = cur.fetchone()[0]
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            return float("nan")
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    profile = cProfile.Profile(time.process_time) if os.environ.get("BENCH_LENDING_PROFILE") else None
    server0 = server_cpu()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    if profile is not None:
        profile.enable()
    for _ in range(cycles):
        cycle()
    if profile is not None:
        profile.disable()
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    server = server_cpu() - server0
    result = {"cycles": cycles, "cpu_ms_per_cycle": cpu * 1000 / cycles, "wall_ms_per_cycle": wall * 1000 / cycles,
              "server_cpu_ms_per_cycle": server * 1000 / cycles,
              "round_trips": len(queries.captured_queries), "statements": statements}
    line("lending one cycle, 1 client", **result)
    if profile is not None:
        pstats.Stats(profile).sort_stats("cumulative").print_stats(45)
        pstats.Stats(profile).sort_stats("tottime").print_stats(30)
    return result


def run(args) -> None:
    setup_django("lending")
    from django.conf import settings

    seconds = float(os.environ.get("BENCH_LENDING_SECONDS", 5.0 if args.quick else 20.0))
    clients = 8 if args.quick and "BENCH_LENDING_CLIENTS" not in os.environ else CLIENTS
    db = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    print(f"database: {db}, {clients} clients as {MODE}es, {COPIES} copies per title, {seconds:.0f} s per phase, "
          f"load average {os.getloadavg()[0]:.2f}", flush=True)
    reps, patrons = _fixture(1, "hot", clients)
    _warm_up(reps[0], patrons[0])
    _cycle_cost(reps[0], patrons[0], max(20, min(int(os.environ.get("BENCH_LENDING_CYCLES", "300")), 10_000)))
    if os.environ.get("BENCH_LENDING_CYCLES_ONLY"):
        return
    reps, patrons, warm = _fixture(1, "hot", clients, 1)
    one = _phase("hot, 1 client", reps, patrons[:1], seconds, warm)
    reps, patrons, warm = _fixture(1, "hot", clients, clients)
    hot = _phase(f"hot, {clients} clients", reps, patrons, seconds, warm)
    reps, patrons, warm = _fixture(50, "spread", clients, clients)
    spread = _phase(f"spread over 50 titles, {clients} clients", reps, patrons, seconds, warm)
    raw = _raw_loop(clients, seconds)
    print(f"load average after: {os.getloadavg()[0]:.2f}", flush=True)
    h = hot["hand_overs_per_s"]
    print("issue 19 figures (hand-overs per second, ratios):", flush=True)
    print(f"  hot title, {clients} clients ÷ 1 client:            {h / max(one['hand_overs_per_s'], 1e-9):.2f}   (goal ≥ 0.85)")
    print(f"  hot title ÷ 50 titles spread ({clients} clients):   {h / max(spread['hand_overs_per_s'], 1e-9):.2f}   (goal ≥ 0.6)")
    ratio = raw["transactions_per_s"] / max(h, 1e-9)
    print(f"  hot title ÷ plain locked loop ({clients} clients):  1/{ratio:.1f}   (goal ≥ 1/10)", flush=True)
