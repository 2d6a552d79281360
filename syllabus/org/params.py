"""Configuration parameters of the platform itself (ORG-4)."""
from .config import declare

declare("default_language", str, "en", "Default interface language of the institution", choices=("en", "fr"))
declare("time_zone", str, "", "Time zone in which pages show times, e.g. Europe/London (empty: the zone of the institution's "
        "first library)")
declare("max_upload_mb_instructor", int, 20, "Largest file an instructor may upload, in MB")
declare("max_upload_mb_student", int, 5, "Largest file a student may upload, in MB")
declare("external_links_enabled", bool, True, "Show links to external resources in lists")
declare("digitization_requests_enabled", bool, True, "Instructors may request digitization (DIG-1)")
declare("library_discussion", str, "both", "Library discussion threads (DSC-1)", choices=("list", "item", "both", "off"))
declare("include_library_closing_days_in_digital_lending_grace_period", bool, False,
        "Count closed library days in the long-term-loan grace period (LDL-7)")
