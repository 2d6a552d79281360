from syllabus.org.importing import InstitutionFileCommand
from syllabus.org.services import USER_COLUMNS, import_users


class Command(InstitutionFileCommand):
    help = (f"Load people from a CSV file (columns: {', '.join(USER_COLUMNS)}; status active|inactive, "
            "user_group by code, expiry_date YYYY-MM-DD). Idempotent on the username.")

    def load(self, fh, institution, **options):
        return import_users(fh, institution)
