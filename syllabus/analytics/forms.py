"""The forms of the analytics pages: every POST of ``views.py`` is read here, never by hand (issue 17)."""
from __future__ import annotations

from django import forms

from syllabus.core.forms import RuleForm, id_field
from syllabus.core.usage import Kind


class BeaconForm(RuleForm):
    """ANL-1: what a reader followed (``usage.js``): an item's access link or its Find it, and the item."""

    rule = "ANL-1"
    kind = forms.ChoiceField(choices=[(k.value, k.label) for k in (Kind.ITEM_OPEN, Kind.FINDIT_CLICK)])
    citation = id_field()
