"""The forms of the back office's request pages (LDL-3, LDL-5, LDL-11): every POST of ``views.py``
that places, edits or cancels a request is read here, never by hand (issue 17)."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _

from syllabus.core.forms import MAX_ID, RuleForm, id_field, text
from syllabus.core.limits import ITEMS, KEV, column
from syllabus.org.models import User, UserGroup

from .models import LoanRequest, TimeUnit
from .services import MAX_PRIORITY

MAX_PERIOD = 10_000  # a session or grace period in its unit, as the API's ``Period``
MAX_DAYS = 3_650  # a renewal or reloan period in days (ten years), as the API's ``Days``


class Priority(forms.Field):
    """A request's priority as staff type it: empty (``None``: the policy's) or 0..MAX_PRIORITY;
    anything else — a sign, a fraction, a 20-digit number, a page of text — is the LDL-5 refusal."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value) -> int | None:
        raw = str(value or "").strip()
        if not raw:
            return None
        if not (raw.isascii() and raw.isdigit()) or int(raw) > MAX_PRIORITY:
            raise forms.ValidationError(_("the priority is a number from 0 to %(max)d") % {"max": MAX_PRIORITY})
        return int(raw)


class Next(forms.Field):
    """Where to go back to after the page: kept when it is a path of at most KEV characters, else
    dropped (the view falls back to the queue) — never a refusal."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value) -> str:
        value = str(value or "")
        return value if len(value) <= KEV else ""


class PatronForm(RuleForm):
    """LDL-3: the patron a request is placed for (read first: an unknown patron is the refusal even
    when the priority is wrong too)."""

    rule = "LDL-3"
    patron = forms.CharField(required=False, max_length=column(User, "username"))


class OnBehalfForm(RuleForm):
    """LDL-3: the rest of a request placed on a patron's behalf — its priority (LDL-5) and note."""

    rule = "LDL-3"
    rules = {"priority": "LDL-5"}
    priority = Priority()
    note = text(column(LoanRequest, "note"))


class EditForm(RuleForm):
    """LDL-11: the note and the priority (LDL-5) of a request — nothing else."""

    rule = "LDL-11"
    rules = {"priority": "LDL-5"}
    priority = Priority()
    note = text(column(LoanRequest, "note"))


class CancelForm(RuleForm):
    """LDL-11: a reason (the service checks it is one of ``CancelReason``) and a note to the patron."""

    rule = "LDL-11"
    reason = text(column(LoanRequest, "cancel_reason"))
    note = text(column(LoanRequest, "cancel_note"))
    next = Next()


class BackForm(RuleForm):
    """The ``next`` of a cancel page, read before (and whatever) the rest of its form says."""

    rule = "LDL-11"
    next = Next()


class RuleCountForm(RuleForm):
    """LDL-1: how many user-group rows the access-rights page sent (one per group and the default)."""

    rule = "LDL-1"
    rule_count = forms.IntegerField(required=False, min_value=0, max_value=ITEMS)


class AccessRuleForm(RuleForm):
    """LDL-1: one user group's row of the access-rights page (``prefix="rule-<i>"``), each number
    within what its column and the API hold; the service checks how they fit together.  An empty
    number is 0, an empty unit days, as the page always sent them."""

    rule = "LDL-1"
    enabled = forms.BooleanField(required=False)
    user_group = forms.CharField(required=False, max_length=column(UserGroup, "code"))
    request_priority = forms.IntegerField(required=False, min_value=0, max_value=MAX_PRIORITY)
    session_period = forms.IntegerField(required=False, min_value=0, max_value=MAX_PERIOD)
    session_period_unit = forms.ChoiceField(required=False, choices=TimeUnit.choices)
    grace_period = forms.IntegerField(required=False, min_value=0, max_value=MAX_PERIOD)
    grace_period_unit = forms.ChoiceField(required=False, choices=TimeUnit.choices)
    grace_included_in_session = forms.BooleanField(required=False)
    renewable = forms.BooleanField(required=False)
    max_renewal_days = forms.IntegerField(required=False, min_value=0, max_value=MAX_DAYS)
    open_for_renewal_days = forms.IntegerField(required=False, min_value=0, max_value=MAX_DAYS)
    renewable_when_others_wait = forms.BooleanField(required=False)
    limit_reloan = forms.BooleanField(required=False)
    reloan_limit_days = forms.IntegerField(required=False, min_value=0, max_value=MAX_DAYS)

    def clean(self):
        data = super().clean()
        for name, field in self.fields.items():
            if isinstance(field, forms.IntegerField) and data.get(name) is None:
                data[name] = 0
            elif isinstance(field, forms.ChoiceField) and not data.get(name):
                data[name] = TimeUnit.DAYS
        data["user_group"] = data.get("user_group") or None
        return data


class ItemIds(forms.Field):
    """The copies ticked on the loan-rights page: at most ITEMS ids; a value that is no id is
    refused (a checkbox sends one), not dropped."""

    widget = forms.SelectMultiple

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value) -> set[int]:
        values = [str(v) for v in value or []]
        if len(values) > ITEMS:
            raise forms.ValidationError(f"at most {ITEMS} copies at once")
        if not all(v.isascii() and v.isdigit() and 1 <= int(v) <= MAX_ID for v in values):
            raise forms.ValidationError("unknown item id")
        return {int(v) for v in values}


class RightsForm(RuleForm):
    """LDL-2: a representation's policy, its concurrent users (0 withdraws the title: an empty
    field is a mistake, not 0) and its related copies."""

    rule = "LDL-2"
    policy = id_field(required=False)
    concurrent_users = forms.IntegerField(min_value=0, max_value=2**31 - 1, error_messages={
        "required": "a whole number (0 = no access)", "invalid": "a whole number (0 = no access)"})
    items = ItemIds()
