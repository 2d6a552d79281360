"""Long-term digital loans under load (LDL-15): loan requests and hand-overs per second with 32
concurrent clients, and proof of zero overbooking.

Two phases, each for a fixed time:

- ``hot``: every client borrows the same representation with 3 copies — request, wait in the
  waitlist until the "available" letter arrives (one notifier thread watches the outbox, as
  the e-mail would reach the patron), open it, finish it, again.  All the
  writes serialise on one lock, so this measures the allocator's critical section.
- ``spread``: the clients borrow 50 representations with 3 copies each, chosen at random.

Overbooking is checked while it runs (a watcher counts Active rows) and afterwards from the
loan intervals [handed over, completed) of every representation (never deeper than 3).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_lending python -m bench lending
"""
from __future__ import annotations

import os
import random
import threading
import time

from bench.common import line, setup_django, summary

CLIENTS = int(os.environ.get("BENCH_LENDING_CLIENTS", "32"))  # 32 unless told otherwise (a 1-client baseline)
COPIES = 3


def _max_overlap(intervals) -> int:
    events = sorted([(s, 1) for s, _ in intervals] + [(e, -1) for _, e in intervals], key=lambda e: (e[0], e[1]))
    depth = peak = 0
    for _, delta in events:
        depth += delta
        peak = max(peak, depth)
    return peak


def _fixture(n_reps: int, tag: str):
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
    reps = []
    for i in range(n_reps):
        record = Record.objects.create(institution=inst, source_id=f"bench-ldl-{tag}-{i}", title=f"Bench title {tag} {i}")
        rep = Representation.objects.create(record=record, library=lib)
        services.configure_representation(staff, rep, policy=policy, concurrent_users=COPIES)
        reps.append(Representation.objects.select_related("library__institution").get(pk=rep.pk))
    patrons = []
    for i in range(CLIENTS):
        u, _ = User.objects.get_or_create(username=f"bench-ldl-p{i:02d}",
                                          defaults={"institution": inst, "email": f"p{i}@bench.example.edu"})
        patrons.append(u)
    return reps, patrons


def _phase(name: str, reps, patrons, seconds: float) -> dict:
    from django.db import connection

    from syllabus.core.errors import RuleViolation
    from syllabus.lending import selectors, services
    from syllabus.lending.models import LoanRequest, Status, Step
    from syllabus.notify.models import OutboxMessage

    rep_ids = [r.pk for r in reps]
    stop = threading.Event()
    barrier = threading.Barrier(len(patrons) + 1)
    lat = {"request": [], "access": [], "finish": [], "wait": []}
    counts = {"requests": 0, "loans": 0, "refused": 0}
    peak = {"active": 0}
    errors: list[BaseException] = []
    lock = threading.Lock()

    def watcher():
        try:
            while not stop.is_set():
                rows = (LoanRequest.objects.filter(representation_id__in=rep_ids, status=Status.ACTIVE)
                        .values_list("representation_id", flat=True))
                per: dict[int, int] = {}
                for rid in rows:
                    per[rid] = per.get(rid, 0) + 1
                peak["active"] = max([peak["active"], *per.values()])
                time.sleep(0.02)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    wake = {p.pk: threading.Event() for p in patrons}

    def notifier():  # delivers the "available" letters: wakes the patron they are addressed to
        try:
            last = OutboxMessage.objects.order_by("-id").values_list("id", flat=True).first() or 0
            while not stop.is_set():
                for pk, recipient in (OutboxMessage.objects.filter(id__gt=last, letter="ldl_available", channel="email")
                                      .order_by("id").values_list("id", "recipient_id")):
                    last = pk
                    if recipient in wake:
                        wake[recipient].set()
                time.sleep(0.005)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    def client(patron, seed):
        rnd = random.Random(seed)
        try:
            barrier.wait(timeout=120)
            while not stop.is_set():
                rep = reps[rnd.randrange(len(reps))]
                t0 = time.perf_counter()
                try:
                    req = services.request_loan(patron, rep)
                except RuleViolation:
                    with lock:
                        counts["refused"] += 1
                    continue
                t1 = time.perf_counter()
                with lock:
                    counts["requests"] += 1
                    lat["request"].append(t1 - t0)
                while req.step == Step.IN_WAITLIST and not stop.is_set():
                    if wake[patron.pk].wait(timeout=0.5):
                        wake[patron.pk].clear()
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
                with lock:
                    counts["loans"] += 1
                    lat["wait"].append(t2 - t1)
                    lat["access"].append(t3 - t2)
                    lat["finish"].append(t4 - t3)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(p, i)) for i, p in enumerate(patrons)]
    watch = threading.Thread(target=watcher)
    notify = threading.Thread(target=notifier)
    for t in threads:
        t.start()
    watch.start()
    notify.start()
    barrier.wait(timeout=120)
    started = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join(timeout=300)
    elapsed = time.perf_counter() - started
    watch.join(timeout=30)
    notify.join(timeout=30)
    if errors:
        raise errors[0]

    handed = list(LoanRequest.objects.filter(representation_id__in=rep_ids, handed_over_at__isnull=False)
                  .values_list("representation_id", "handed_over_at", "completed_at"))
    by_rep: dict[int, list] = {}
    for rid, start, end in handed:
        by_rep.setdefault(rid, []).append((start, end))
    deepest = max((_max_overlap(v) for v in by_rep.values()), default=0)
    still_active = LoanRequest.objects.filter(representation_id__in=rep_ids, status=Status.ACTIVE).count()
    overbooked = max(peak["active"], deepest) > COPIES
    assert not overbooked, f"OVERBOOKED: peak {peak['active']}, deepest overlap {deepest}"
    assert still_active == 0
    result = {"clients": len(patrons), "representations": len(reps), "seconds": elapsed,
              "requests_per_s": counts["requests"] / elapsed, "hand_overs_per_s": len(handed) / elapsed,
              "loans_completed": counts["loans"], "peak_active": peak["active"], "max_overlap": deepest,
              "overbooked": 0}
    line(f"lending {name}: throughput", **result)
    for op in ("request", "access", "finish"):
        line(f"lending {name}: {op} latency", **summary(lat[op]))
    return result


def run(args) -> None:
    setup_django("lending")
    from django.conf import settings

    seconds = 5.0 if args.quick else 20.0
    print(f"database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}, {CLIENTS} clients, {COPIES} copies per title",
          flush=True)
    reps, patrons = _fixture(1, "hot")
    _phase("hot (1 title x 3 copies)", reps, patrons, seconds)
    reps, patrons = _fixture(50, "spread")
    _phase("spread (50 titles x 3 copies)", reps, patrons, seconds)
