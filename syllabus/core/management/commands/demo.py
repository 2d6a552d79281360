"""``syllabus demo``: migrate, load the demo data once (each app's ``demo.py``), print the logins.

Running it again keeps the data: every loader returns early when its data is there."""
import importlib
import importlib.util

from django.apps import apps
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from syllabus.org.demo import DEMO_PASSWORD, LOGINS


class Command(BaseCommand):
    help = "Migrate and load demo data (idempotent), then print the demo logins."

    def add_arguments(self, parser):
        parser.add_argument("--no-migrate", action="store_true")

    def handle(self, *args, no_migrate=False, **options):
        if not no_migrate:
            call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("Loading demo data (kept if already there)...")
        for config in apps.get_app_configs():
            module_name = f"{config.name}.demo"
            if not config.name.startswith("syllabus.") or importlib.util.find_spec(module_name) is None:
                continue
            with transaction.atomic():
                importlib.import_module(module_name).load(self.stdout)
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, what in LOGINS:
            self.stdout.write(f"  {username:<14} {what}")
