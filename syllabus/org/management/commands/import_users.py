from django.core.management.base import BaseCommand, CommandError

from syllabus.core.errors import RuleViolation
from syllabus.org.models import Institution
from syllabus.org.services import USER_COLUMNS, import_users


class Command(BaseCommand):
    help = (f"Load people from a CSV file (columns: {', '.join(USER_COLUMNS)}; status active|inactive, "
            "user_group by code, expiry_date YYYY-MM-DD). Idempotent on the username.")

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--institution", required=True, help="institution code")

    def handle(self, *args, file, institution, **options):
        try:
            inst = Institution.objects.get(code=institution)
        except Institution.DoesNotExist:
            raise CommandError(f"no institution with code {institution!r}")
        try:
            with open(file, "rb") as fh:
                report = import_users(fh, inst)
        except FileNotFoundError:
            raise CommandError(f"no such file: {file}")
        except (RuleViolation, UnicodeDecodeError) as exc:
            raise CommandError(str(exc))
        for line in report.lines:
            self.stdout.write(line)
        self.stdout.write(report.summary())
