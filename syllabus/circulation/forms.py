"""The forms of the circulation pages: a POST's numbers, choices and dates are read here, never
by hand (issue 17); texts the services check (a barcode, a comment) are handed to them as typed."""
from __future__ import annotations

from syllabus.core.forms import DateText, RuleForm, id_field, text
from syllabus.core.limits import column
from syllabus.org.models import Library


class HoldForm(RuleForm):
    """SRV-5: a hold's pickup library (its code; the service finds it at the reader's institution)
    and the optional last day it is needed."""

    rule = "SRV-5"
    pickup_library = text(column(Library, "code"))
    not_needed_after = DateText(required=False)


class PersonalCopyForm(RuleForm):
    """SRV-1: the library a personal copy is received at (the service refuses none, or another
    institution's)."""

    rule = "SRV-1"
    library = id_field(required=False)
