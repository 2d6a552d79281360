"""The forms of the digitization pages (DIG-1, DIG-5..DIG-10): the POSTs of ``views.py`` are read here."""
from __future__ import annotations

from django import forms

from syllabus.core.forms import DateText, RuleForm, TextList, id_field, text

#: the largest number a configuration field takes (days, limits, positions, accesses)
MAX_CONFIG_NUMBER = 100_000


class RequestForm(RuleForm):
    """A digitization or copyright request (DIG-1): dates, chapters, page ranges, notes, images."""

    rule = "DIG-1"
    start_date = DateText(required=False)
    end_date = DateText(required=False)
    chapters = text()
    page_from = TextList(required=False)
    page_to = TextList(required=False)
    note = TextList(required=False)
    include_images = forms.BooleanField(required=False)

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
    service = forms.CharField(required=False, empty_value="digitization")
    item = id_field(required=False)
    on_behalf_of = forms.CharField(required=False)


class ReasonForm(RuleForm):
    rule = "DIG-10"
    reason = forms.CharField(required=False)


class _ConfigNumber(RuleForm):
    rule = "DIG-7"
    value = forms.IntegerField(required=False, max_value=MAX_CONFIG_NUMBER, error_messages={
        "invalid": "enter a whole number or leave it empty"})


def config_number(value: str | None) -> int | None:
    """A number of the configuration page (empty: none), bounded (DIG-7)."""
    return _ConfigNumber.parse({"value": value or ""})["value"]
