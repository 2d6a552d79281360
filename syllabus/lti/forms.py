"""The forms of the LTI pages: a POST's numbers and choices are read here, never by hand (issue 17)."""
from __future__ import annotations

from django import forms

from syllabus.core.forms import RuleForm, id_field


class ContextForm(RuleForm):
    """LMS-1: an unmatched LMS course — create a course for it, or link it to one of one's own."""

    rule = "LMS-1"
    action = forms.ChoiceField(required=False, choices=[("create", "create"), ("link", "link")])
    course = id_field(required=False)
