"""Configuration of readers' inter-library loan requests from Find it (CON-2), per institution or
library (ORG-4); the consortium may set and lock them (CON-1)."""
from syllabus.org.config import declare

declare("ill_reader_requests_enabled", bool, True,
        "Find it (CON-2): a reader may ask the library for an inter-library loan (a book) or a copy (an article, a chapter) "
        "of a title the library has not available")
declare("ill_reader_max_open", int, 5,
        "Readers' inter-library loan requests (CON-2): how many of one reader's requests may be open at once "
        "(0: none; at most 50)")
declare("ill_reader_max_per_day", int, 5,
        "Readers' inter-library loan requests (CON-2): how many requests one reader may make in 24 hours, cancelled ones "
        "included (0: none; at most 50)")
