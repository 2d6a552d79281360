"""Forms of the LTI pages (LMS-1, ROLL-12)."""
from django import forms

from syllabus.core.forms import DateText, RuleForm
from syllabus.core.limits import column
from syllabus.courses.models import Course


class CourseCopyForm(RuleForm):
    """An unmatched LMS course copied from one linked to an earlier course: the new term (and,
    when no course of it has dates yet, its first day) for the earlier course's rollover."""

    rule = "ROLL-12"
    term = forms.CharField(max_length=column(Course, "term"))
    to_term_start = DateText(required=False)
