"""``syllabus import-marc FILE --library CODE``: load MARC21 or MARCXML records (DSV-1).

Idempotent (records are matched on 001/035); unreadable or unmappable records are reported
by position and skipped; a record whose length is wrong is read up to its terminator and
named in a warning, and so is what pymarc repaired (indicators, subfield codes); a
record whose leader says MARC-8 but whose bytes are neither MARC-8 nor UTF-8 is refused
(``--encoding cp1251`` reads such files); deleted records (leader/05 ``d``) withdraw ours.

Exit status (for scripts): 0 every record loaded (or withdrawn); 2 some records were refused
or reading stopped early (the others are loaded); 1 nothing could be read or loaded."""
import codecs

from django.core.management.base import BaseCommand, CommandError

from syllabus.catalog.marc import import_marc
from syllabus.core.loading import end_with_status
from syllabus.org.models import Library


class Command(BaseCommand):
    help = "Load MARC21 (binary) or MARCXML bibliographic records, holdings (852) and items (876/952) into the catalog."

    def add_arguments(self, parser):
        parser.add_argument("file", help="path of the .mrc / .xml file")
        parser.add_argument("--library", required=True, help="code of the library that receives items without a library code; "
                                                               "the records go to its institution's catalog")
        parser.add_argument("--format", choices=("auto", "marc", "xml"), default="auto", help="default: detected from the content")
        parser.add_argument("--encoding", default="", help="character set of the records whose leader/09 is blank, "
                            "instead of MARC-8 (e.g. cp1251, latin-1); records with leader/09 'a' stay UTF-8")
        parser.add_argument("--quiet-rejects", action="store_true", help="print the summary only")

    def handle(self, *args, file, library, format="auto", encoding="", quiet_rejects=False, **options):
        if encoding:
            try:
                codecs.lookup(encoding)
            except LookupError:
                raise CommandError(f"DSV-1: unknown character set {encoding!r} (e.g. cp1251, latin-1, koi8-r)")
        lib = Library.objects.select_related("institution").filter(code=library).first()
        if lib is None:
            raise CommandError(f"no library with code {library!r}")
        try:
            report = import_marc(file, lib, fmt=format, encoding=encoding)
        except FileNotFoundError:
            raise CommandError(f"no such file: {file}")
        self.stdout.write(report.summary())
        for warning in report.warnings:
            self.stdout.write(f"warning: {warning}")
        if not quiet_rejects:
            for rejected in report.rejected:
                self.stdout.write(f"rejected {rejected}")
        loaded = report.created + report.updated + report.unchanged + report.withdrawn
        if not loaded:
            raise CommandError("no record could be loaded", returncode=1)
        end_with_status(refused=len(report.rejected), loaded=loaded, noun="record", stopped=report.stopped)
