"""Forms of the notification pages (a POST is read by a form, never by hand)."""
from __future__ import annotations

from django import forms

from syllabus.core.forms import RuleForm

from .models import CHANNELS


class LetterSwitchForm(RuleForm):
    """The letters page's switches (LTR-3): a letter on or off, or one of its channels (``channel``)."""

    rule = "LTR-3"
    channel = forms.ChoiceField(choices=CHANNELS, required=False)   # none: the letter itself
    enabled = forms.ChoiceField(choices=(("0", "off"), ("1", "on")), required=False)   # none: off
