"""Configuration parameters of circulation and reader services (ORG-4)."""
from syllabus.org.config import declare

declare("link_resolver_base_url", str, "",
        "Base URL of the institution's link resolver for 'Find it' links, e.g. an Alma, SFX or 360 Link address "
        "(DSV-6); empty: Syllabus's own /openurl")
declare("holds_enabled", bool, True, "Students may place holds on physical titles from a list (SRV-5)")
declare("hold_pickup_days", int, 5, "Library days a held copy waits on the hold shelf before the hold expires (SRV-5, 1..60)")
declare("reserve_item_types", list, ["reserve", "short_loan", "course_reserve"],
        "Item types shown as reserves / short loan in an item's availability")
declare("accessible_file_request_emails", list, [],
        "Addresses told of every accessible file request (SRV-4); none: students cannot request accessible files")
declare("accessible_file_formats", list, ["Accessible PDF", "Word document", "EPUB", "Plain text", "Large print", "Audio"],
        "Formats a student may ask for in an accessible file request (SRV-4)")
declare("accessible_file_types", list, ["application/pdf", "application/msword",
                                        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                                        "application/epub+zip", "text/plain", "audio/mpeg", "image/png", "image/jpeg"],
        "Content types (sniffed from the bytes) accepted for accessible files (SRV-4)")
