"""Demo data of the LMS integration: a course of its own for trying a launch by hand
(docs/interop.md, "LTI 1.3"), so that the trial's roster sync never touches the tour's courses.

The trial LMS (scripts/interop/lti_platform.py) names its course ``HIST101-LMS``: Syllabus's
label rule finds the demo's course HIST101, section ``LMS`` — *Introduction to Modern History
(LMS trial)*, taught by ``instructor``, with no students of its own — which the published HIST101
list is linked to as well.  An Instructor's launch syncs that course's roster with the LMS's three
people (LMS-2); HIST101-01, where the demo's ``student`` and ``s001``... read the list, keeps its
students."""
from __future__ import annotations

from syllabus.courses import services as courses
from syllabus.courses.models import Course
from syllabus.lists import services as lists
from syllabus.lists.models import ResourceList
from syllabus.lists.workflow import Visibility
from syllabus.org.models import Institution, User

TRIAL_SECTION = "LMS"


def load(stdout) -> None:
    inst = Institution.objects.filter(code="riverside").first()
    if inst is None or Course.objects.filter(institution=inst, code="HIST101", section=TRIAL_SECTION).exists():
        return
    hist = Course.objects.filter(institution=inst, code="HIST101").order_by("pk").first()
    instructor = User.objects.filter(username="instructor").first()
    if hist is None or instructor is None:
        return
    trial = courses.create_course(None, inst, code="HIST101", section=TRIAL_SECTION, term=hist.term,
                                  name=f"{hist.name} (LMS trial)", department=hist.department,
                                  start_date=hist.start_date, end_date=hist.end_date, instructors=[instructor])
    for lst in ResourceList.objects.filter(courses=hist, visibility=Visibility.PUBLISHED, owners=instructor).order_by("pk")[:1]:
        lists.update_list(instructor, lst, courses=[*lst.courses.all(), trial])
    stdout.write(f"  LMS trial: course {trial.code}-{trial.section} (docs/interop.md, LTI 1.3)")
