"""The forms of the acquisitions pages (SRV-3): every POST of ``views.py`` is read here."""
from __future__ import annotations

from django import forms

from syllabus.core.forms import DateText, RuleForm, id_field, text
from syllabus.core.limits import TERM, column

from .models import AcquisitionTask, Kind, PurchaseRequest

MAX_CONCURRENT_USERS = 10_000  # as the API's ConcurrentUsers


class TaskForm(RuleForm):
    """An order, licence or short-loan task's fields (the service checks the cost, SRV-3)."""

    rule = "SRV-3"
    vendor = text(column(AcquisitionTask, "vendor"))
    cost_amount = forms.CharField(required=False, empty_value=None, max_length=TERM)
    cost_currency = text(column(AcquisitionTask, "cost_currency"))
    expected_date = DateText(required=False)
    notes = text(column(AcquisitionTask, "notes"))
    location = forms.CharField(required=False, strip=False, empty_value="Course reserve",
                               max_length=column(AcquisitionTask, "location"))
    concurrent_users = forms.IntegerField(required=False, min_value=0, max_value=MAX_CONCURRENT_USERS)
    url = forms.CharField(required=False, max_length=column(AcquisitionTask, "url"))
    assignee = forms.CharField(required=False, strip=False, empty_value=None, max_length=150)


class NewTaskForm(TaskForm):
    """A task started from a list item: which kind (order, licence, short loan), then its fields."""

    kind = forms.ChoiceField(choices=Kind.choices)

    @classmethod
    def kind_and_fields(cls, post) -> tuple[str, dict]:
        """The task's kind, and its fields as :func:`~syllabus.acquisitions.services.create_task` takes them."""
        fields = cls.parse(post)
        return fields.pop("kind"), fields


class PurchaseForm(RuleForm):
    """An instructor's purchase request, of the new edition a notice names (or of the item)."""

    rule = "SRV-3"
    notice = id_field(required=False)
    note = text(column(PurchaseRequest, "note"))


class ReasonForm(RuleForm):
    rule = "SRV-3"
    reason = text(column(PurchaseRequest, "reason"))


class SuggestionForm(RuleForm):
    """A reader's purchase suggestion from Find it (DSV-6): the citation is the page's OpenURL."""

    rule = "SRV-3"
    note = text(column(PurchaseRequest, "note"))
