"""Configuration parameters of the LMS integration (ORG-4), resolved for the institution."""
from syllabus.org.config import declare

declare("lms_course_copy_lists", str, "offer",
        "When an LMS course copied for a new term names (in its launch's $Context.id.history) an LMS course linked "
        "to an earlier course with lists: offer its instructor the rollover copy of those lists (offer), or make it "
        "at their first launch (automatic) (LMS-1, ROLL-12)",
        choices=("offer", "automatic"))
