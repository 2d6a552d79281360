"""The forms of the back office's request pages (LDL-3, LDL-5, LDL-11): every POST of ``views.py``
that places, edits or cancels a request is read here, never by hand (issue 17)."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _

from syllabus.core.forms import RuleForm, text
from syllabus.core.limits import KEV, column
from syllabus.org.models import User

from .models import LoanRequest
from .services import MAX_PRIORITY


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
