from syllabus.courses.services import ENROLMENT_COLUMNS, import_enrolments
from syllabus.org.importing import InstitutionFileCommand


class Command(InstitutionFileCommand):
    help = (f"Load enrolments from a CSV file (columns: {', '.join(ENROLMENT_COLUMNS)}; role student|instructor). "
            "Idempotent. With --replace, the people of the courses in the file who are absent from it are removed.")

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--replace", action="store_true",
                            help="remove the enrolments of the file's courses that the file does not list")

    def load(self, fh, institution, *, replace=False, **options):
        return import_enrolments(fh, institution, replace=replace)
