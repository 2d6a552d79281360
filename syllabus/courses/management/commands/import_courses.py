from syllabus.courses.services import import_courses
from syllabus.org.importing import InstitutionFileCommand


class Command(InstitutionFileCommand):
    help = ("Load courses from a CSV file (columns: code, name, section, department, term, start_date, "
            "end_date, number_of_students, instructors). Idempotent on (institution, code, section, term).")

    def load(self, fh, institution, **options):
        return import_courses(fh, institution)
