"""What a merge of two accounts does to courses (ORG-MERGE, org.merging): enrolments and
instructorships become the target's; a course both were in keeps the target's enrolment."""
from __future__ import annotations

from syllabus.org.merging import Merge, participant

from .models import Course, Enrollment


@participant("courses.Enrollment.user", "courses.Course.students", "courses.Course.instructors")
def courses(merge: Merge) -> None:
    merge.reassign(Enrollment, "user", clash=("course",), what="course enrolments")
    merge.reassign_m2m(Course.instructors, what="courses taught")
