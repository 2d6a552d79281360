"""Configuration parameters of digitization and copyright (ORG-4)."""
from django.utils.translation import gettext_lazy as _  # noqa: F401

from syllabus.org.config import declare

declare("copyright_access_warning_days", int, 3,
        "Students see a warning in the last N days of a copyright-cleared file's date range (DIG-4)")
declare("copyright_clearance_auto_trigger", bool, True,
        "Require the copyright clearance form when a file is uploaded with an option that is not cleared (DIG-3)")
