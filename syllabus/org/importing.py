"""The one shape of a command that loads a CSV file into an institution (``import-users``,
``import-courses``, ``import-enrolments``): the file and ``--institution CODE``, a clear
``CommandError`` for an unknown institution, a missing file or a file that cannot be read at
all, and the loader's report printed line by line, then its summary."""
from __future__ import annotations

from typing import Any, BinaryIO

from django.core.management.base import BaseCommand, CommandError

from syllabus.core.errors import RuleViolation
from syllabus.core.loading import end_with_status

from .models import Institution


class InstitutionFileCommand(BaseCommand):
    """Subclasses set ``help`` and define :meth:`load` (and may add arguments after ``super()``)."""

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--institution", required=True, help="institution code")

    def load(self, fh: BinaryIO, institution: Institution, **options: Any):
        raise NotImplementedError

    def handle(self, *args, file, institution, **options):
        try:
            inst = Institution.objects.get(code=institution)
        except Institution.DoesNotExist:
            raise CommandError(f"no institution with code {institution!r}") from None
        try:
            with open(file, "rb") as fh:
                report = self.load(fh, inst, **options)
        except FileNotFoundError:
            raise CommandError(f"no such file: {file}") from None
        except (RuleViolation, UnicodeDecodeError) as exc:
            raise CommandError(str(exc)) from None
        for line in report.lines:
            self.stdout.write(line)
        self.stdout.write(report.summary())
        end_with_status(refused=len(report.rejected), loaded=report.created + report.updated + report.unchanged, noun="row")
