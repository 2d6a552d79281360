"""The forms of the acquisitions pages (SRV-3): every POST of ``views.py`` is read here."""
from __future__ import annotations

from django import forms

from syllabus.core.forms import DateText, RuleForm, id_field, text

MAX_CONCURRENT_USERS = 10_000  # as the API's ConcurrentUsers


class TaskForm(RuleForm):
    """An order, licence or short-loan task's fields (the service checks the cost, SRV-3)."""

    rule = "SRV-3"
    vendor = text()
    cost_amount = forms.CharField(required=False, empty_value=None)
    cost_currency = text()
    expected_date = DateText(required=False)
    notes = text()
    location = forms.CharField(required=False, strip=False, empty_value="Course reserve")
    concurrent_users = forms.IntegerField(required=False, min_value=0, max_value=MAX_CONCURRENT_USERS)
    url = forms.CharField(required=False)
    assignee = forms.CharField(required=False, strip=False, empty_value=None)


class PurchaseForm(RuleForm):
    """An instructor's purchase request, of the new edition a notice names (or of the item)."""

    rule = "SRV-3"
    notice = id_field(required=False)
    note = text()


class ReasonForm(RuleForm):
    rule = "SRV-3"
    reason = text()
