"""The forms of the digitization pages (DIG-1, DIG-5..DIG-10): the POSTs of ``views.py`` are read here."""
from __future__ import annotations

from django import forms

from syllabus.core.forms import Checked, DateText, RuleForm, Sent, TextList, id_field, text
from syllabus.core.limits import TERM, column
from syllabus.org.models import Library

from .models import CirculationDesk, CopyrightOption, DigitizationDepartment, DigitizationRequest, DigitizationRule, EddRule, FormField
from .services import MAX_NOTE_CHARS

#: the largest number a configuration field takes (days, limits, positions, accesses)
MAX_CONFIG_NUMBER = 100_000


class RequestForm(RuleForm):
    """A digitization or copyright request (DIG-1): dates, chapters, page ranges, notes, images."""

    rule = "DIG-1"
    start_date = DateText(required=False)
    end_date = DateText(required=False)
    chapters = text(column(DigitizationRequest, "chapters"))
    page_from = TextList(required=False)
    page_to = TextList(required=False)
    note = TextList(required=False, max_length=MAX_NOTE_CHARS)
    include_images = Checked()

    @classmethod
    def values(cls, post) -> dict:
        data = cls.parse(post)
        ranges = [{"from": f, "to": t} for f, t in zip(data["page_from"], data["page_to"]) if f.strip() or t.strip()]
        return {"start_date": data["start_date"], "end_date": data["end_date"], "chapters": data["chapters"],
                "page_ranges": ranges, "include_images": data["include_images"],
                "notes": [n for n in data["note"] if n.strip()]}


class RecordRequestForm(RuleForm):
    """A request from a catalog record (DIG-5): which service, which item, for whom (DIG-10)."""

    rule = "DIG-5"
    rules = {"on_behalf_of": "DIG-10"}
    service = forms.CharField(required=False, empty_value="digitization", max_length=TERM)
    item = id_field(required=False)
    on_behalf_of = forms.CharField(required=False, max_length=150)


class ReasonForm(RuleForm):
    rule = "DIG-10"
    reason = forms.CharField(required=False, max_length=column(DigitizationRequest, "approval_reason"))


# --- the configuration page (DIG-6..DIG-9, DIG-11, DIG-12, DIG-3): one form per section ---------

def config_count(**kwargs) -> forms.IntegerField:
    return forms.IntegerField(required=False, max_value=MAX_CONFIG_NUMBER, error_messages={
        "invalid": "enter a whole number or leave it empty"}, **kwargs)


class ConfigForm(RuleForm):
    rule = "DIG-6"
    rules = {name: "DIG-7" for name in ("work_time_days", "position", "max_accesses")}


class DepartmentForm(ConfigForm):
    code = forms.CharField(required=False, max_length=column(DigitizationDepartment, "code"))
    name = text(column(DigitizationDepartment, "name"))
    description = text(column(DigitizationDepartment, "description"))
    library = forms.CharField(required=False, max_length=column(Library, "code"))  # a library's code; empty: none
    served_libraries = TextList(required=False)
    work_time_days = config_count()
    active = Checked()


class RowForm(ConfigForm):
    """A row of a table of the page: a department (with a person, or its switch) or a rule's switch."""

    department = id_field(required=False)
    rule_id = id_field(required=False)
    username = forms.CharField(required=False, max_length=150)
    active = Checked()
    enabled = Checked()

    def __init__(self, data=None, *args, **kwargs):
        if data is not None and "rule" in data:  # the row's id comes as ``rule``
            data = data.copy()
            data["rule_id"] = data["rule"]
        super().__init__(data, *args, **kwargs)


class DeskForm(ConfigForm):
    library = forms.CharField(required=False, max_length=column(Library, "code"))
    code = text(column(CirculationDesk, "code"))
    name = text(column(CirculationDesk, "name"))
    supports_digitization = Checked()
    work_time_days = config_count()


class LimitsForm(ConfigForm):
    """A limit per user group (``limit_<code>``); empty: no limit (DIG-7)."""

    rule = "DIG-7"

    @staticmethod
    def more(groups) -> dict[str, forms.Field]:
        return {f"limit_{group.code}": config_count() for group in groups}


class RuleRowForm(RowForm):
    """An EDD rule (DIG-8), a digitization rule (DIG-9) or a display rule (DIG-11); ``has_enabled``
    / ``has_active``: the form shows the switch (absent: left as it is)."""

    name = text(column(EddRule, "name"))  # as a digitization rule's
    description = text(column(EddRule, "description"))
    position = config_count()
    user_groups = TextList(required=False)
    sources = TextList(required=False)
    libraries = TextList(required=False)
    allowed = Checked()
    has_enabled = Sent()
    has_active = Sent()
    target = forms.CharField(required=False, empty_value="attachment", max_length=TERM)
    max_accesses = config_count()
    approval_required = Checked()
    copyright_required = Checked()
    approval_mode = forms.CharField(required=False, empty_value="blocking", max_length=TERM)
    approval_reason = text(column(DigitizationRule, "approval_reason"))
    service = text(TERM)
    condition = text(TERM)


class FormFieldsForm(ConfigForm):
    """Which fields the request form shows, and their defaults (DIG-12)."""

    rule = "DIG-12"

    @staticmethod
    def more(names) -> dict[str, forms.Field]:
        return {key: field for name in names for key, field in ((f"display_{name}", Checked()), (f"default_{name}", text(column(FormField, "default"))))}


class CopyrightOptionForm(ConfigForm):
    rule = "DIG-3"
    code = forms.CharField(required=False, max_length=column(CopyrightOption, "code"))
    label = forms.CharField(required=False, max_length=column(CopyrightOption, "label"))
    copyright_status = text(TERM)
