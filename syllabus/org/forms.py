"""Forms of the organisation's pages (a POST is read by a form, never by hand)."""
from __future__ import annotations

from django import forms

from syllabus.core.forms import RuleForm

from . import merging
from .models import USERNAME_MAX


class MergeForm(RuleForm):
    """The two accounts of one person (ORG-MERGE) and whether to see what moves or to merge."""

    rule = merging.RULE
    source = forms.CharField(required=False, max_length=USERNAME_MAX)   # the account that goes away
    target = forms.CharField(required=False, max_length=USERNAME_MAX)   # the one that stays
    action = forms.ChoiceField(choices=(("preview", "preview"), ("apply", "apply")), required=False)   # none: preview
