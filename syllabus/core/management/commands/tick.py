from django.core.management.base import BaseCommand

from syllabus.core.tasks import run_tick


class Command(BaseCommand):
    help = "Run every timer sweep once (idempotent; safe to run from cron)."

    def handle(self, *args, **options):
        for name, moved in run_tick().items():
            self.stdout.write(f"{name}: {moved}")
