from django.core.management.base import BaseCommand, CommandError

from syllabus.core.errors import RuleViolation
from syllabus.courses.services import ENROLMENT_COLUMNS, import_enrolments
from syllabus.org.models import Institution


class Command(BaseCommand):
    help = (f"Load enrolments from a CSV file (columns: {', '.join(ENROLMENT_COLUMNS)}; role student|instructor). "
            "Idempotent. With --replace, the people of the courses in the file who are absent from it are removed.")

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--institution", required=True, help="institution code")
        parser.add_argument("--replace", action="store_true",
                            help="remove the enrolments of the file's courses that the file does not list")

    def handle(self, *args, file, institution, replace, **options):
        try:
            inst = Institution.objects.get(code=institution)
        except Institution.DoesNotExist:
            raise CommandError(f"no institution with code {institution!r}")
        try:
            with open(file, "rb") as fh:
                report = import_enrolments(fh, inst, replace=replace)
        except FileNotFoundError:
            raise CommandError(f"no such file: {file}")
        except (RuleViolation, UnicodeDecodeError) as exc:
            raise CommandError(str(exc))
        for line in report.lines:
            self.stdout.write(line)
        self.stdout.write(report.summary())
