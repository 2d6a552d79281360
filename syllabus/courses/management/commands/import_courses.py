from django.core.management.base import BaseCommand, CommandError

from syllabus.core.errors import RuleViolation
from syllabus.courses.services import import_courses
from syllabus.org.models import Institution


class Command(BaseCommand):
    help = ("Load courses from a CSV file (columns: code, name, section, department, term, start_date, "
            "end_date, number_of_students, instructors). Idempotent on (institution, code, section, term).")

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
                report = import_courses(fh, inst)
        except FileNotFoundError:
            raise CommandError(f"no such file: {file}")
        except (RuleViolation, UnicodeDecodeError) as exc:
            raise CommandError(str(exc))
        for line in report.lines:
            self.stdout.write(line)
        self.stdout.write(report.summary())
