"""The forms of the LTI pages: a POST's numbers and choices are read here, never by hand (issue 17)."""
from __future__ import annotations

from django import forms

from syllabus.core.forms import DateText, RuleForm, id_field
from syllabus.core.limits import column
from syllabus.courses.models import Course


class ContextForm(RuleForm):
    """LMS-1: an unmatched LMS course — create a course for it, link it to one of one's own, or
    (ROLL-12) copy the earlier course it was copied from in the LMS."""

    rule = "LMS-1"
    action = forms.ChoiceField(required=False, choices=[("create", "create"), ("link", "link"), ("copy", "copy")])
    course = id_field(required=False)


class CourseCopyForm(RuleForm):
    """An unmatched LMS course copied from one linked to an earlier course: the new term (and,
    when no course of it has dates yet, its first day) for the earlier course's rollover."""

    rule = "ROLL-12"
    term = forms.CharField(max_length=column(Course, "term"))
    to_term_start = DateText(required=False)
