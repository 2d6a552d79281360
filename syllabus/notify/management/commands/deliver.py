"""``syllabus deliver``: send what is due in the outbox now (safe beside running workers).

``--loop SECONDS`` keeps delivering; on PostgreSQL it waits for the letters' announcements
(``LISTEN syllabus_outbox``, see :mod:`syllabus.notify.delivery`) and delivers as soon as a
transaction that queued letters commits, SECONDS being the longest wait (retries whose backoff
has passed, leases that ran out); elsewhere it polls every SECONDS."""
from django.core.management.base import BaseCommand, CommandError

from syllabus.notify.delivery import deliver_due, deliver_loop

MAX_LIMIT = 1_000_000
MAX_LOOP_SECONDS = 3600.0


class Command(BaseCommand):
    help = "Deliver the due letters of the outbox (e-mail, SMS, in-app); retries wait for their backoff."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=None, help=f"deliver at most this many messages (1–{MAX_LIMIT:,})")
        parser.add_argument("--loop", type=float, default=None, metavar="SECONDS",
                            help="keep delivering, waiting at most SECONDS (0.01–3600) between runs — on PostgreSQL "
                                 "woken at once when letters are queued (Ctrl-C stops)")

    def handle(self, *args, limit=None, loop=None, **options):
        if limit is not None and not 1 <= limit <= MAX_LIMIT:
            raise CommandError(f"--limit is a number from 1 to {MAX_LIMIT:,}")
        if loop is not None and not 0.01 <= loop <= MAX_LOOP_SECONDS:
            raise CommandError(f"--loop is a number of seconds from 0.01 to {MAX_LOOP_SECONDS:g}")

        def report(result, woken=False):
            self.stdout.write(f"sent: {result.sent}  retrying: {result.retrying}  failed: {result.failed}"
                              + (f"  lost lease: {result.lost_lease}" if result.lost_lease else ""))

        if loop is None:
            report(deliver_due(limit=limit))
            return
        deliver_loop(loop, limit=limit, report=report)
