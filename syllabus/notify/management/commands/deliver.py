"""``syllabus deliver``: send what is due in the outbox now (safe beside running workers)."""
import time

from django.core.management.base import BaseCommand

from syllabus.notify.delivery import deliver_due


class Command(BaseCommand):
    help = "Deliver the due letters of the outbox (e-mail, SMS, in-app); retries wait for their backoff."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=None, help="deliver at most this many messages")
        parser.add_argument("--loop", type=float, default=None, metavar="SECONDS",
                            help="keep delivering, waiting SECONDS between runs (Ctrl-C stops)")

    def handle(self, *args, limit=None, loop=None, **options):
        while True:
            report = deliver_due(limit=limit)
            self.stdout.write(f"sent: {report.sent}  retrying: {report.retrying}  failed: {report.failed}"
                              + (f"  lost lease: {report.lost_lease}" if report.lost_lease else ""))
            if loop is None:
                return
            time.sleep(loop)
