"""Outbox throughput (§12): the cost of queueing a letter inside a service's transaction
(p50/p95 per call), and delivery throughput of the worker with 1 and 3 concurrent workers
(in-memory e-mail backend, so that the figure is the outbox's own cost, not an SMTP server's)."""
from __future__ import annotations

import threading

from bench.common import line, setup_django, stopwatch, summary


def run(args) -> None:
    setup_django("outbox")
    import time

    from django.conf import settings
    from django.db import connection, transaction

    from syllabus.notify import letters
    from syllabus.notify.delivery import deliver_due
    from syllabus.notify.models import Notification, OutboxMessage
    from syllabus.notify.services import queue_letter
    from syllabus.org.models import Consortium, Institution, User

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    from django.core import mail

    mail.outbox = []
    letters.declare_letter("bench_letter", "Bench letter", channels=("email", "inapp"), variables=("title", "n"),
                           sample={"title": "T", "n": 1}, subject="{{ title }} #{{ n }}",
                           body="Dear {{ recipient_name }},\n\n{{ title }} number {{ n }} is ready.\n\n{{ institution_name }}")
    n = 500 if args.quick else 5000
    cons, _ = Consortium.objects.get_or_create(code="bench", defaults={"name": "Bench"})
    inst, _ = Institution.objects.get_or_create(code="bench-u", defaults={"name": "Bench University", "consortium": cons})
    users = []
    for i in range(50):
        u, _ = User.objects.get_or_create(username=f"bench-reader-{i}", defaults={"institution": inst, "email": f"r{i}@bench.edu"})
        users.append(u)

    def reset():
        Notification.objects.all().delete()
        OutboxMessage.objects.filter(letter="bench_letter").delete()
        mail.outbox = []

    for workers in (1, 3):
        reset()
        samples = []
        for i in range(n // 2):
            start = time.perf_counter()
            with transaction.atomic():
                queue_letter("bench_letter", users[i % len(users)], {"title": "Chapter", "n": i}, key=f"bench:{workers}:{i}")
            samples.append(time.perf_counter() - start)
        rows = OutboxMessage.objects.filter(letter="bench_letter").count()
        if workers == 1:
            s = summary(samples)
            line("queue_letter (2 channels, own txn)", n=s["n"], p50_ms=s["p50_ms"], p95_ms=s["p95_ms"])
        errors = []

        def worker():
            try:
                deliver_due(batch_size=50)
            except Exception as exc:  # reported below
                errors.append(exc)  # noqa: B023 — the threads run and join inside this iteration
            finally:
                connection.close()

        with stopwatch() as took:
            threads = [threading.Thread(target=worker) for _ in range(workers)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        sent = OutboxMessage.objects.filter(letter="bench_letter", status="sent").count()
        assert not errors and sent == rows, (errors, sent, rows)
        assert len(mail.outbox) == rows // 2, "each e-mail exactly once"
        line(f"deliver, {workers} worker(s)", rows=rows, seconds=took["seconds"], rows_per_s=rows / took["seconds"])
    reset()
