"""The request form (DIG-1, DIG-12): its fields as configured, and a request's values checked against it."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any


from syllabus.core.errors import RuleViolation, refuse_too_long
from syllabus.org.models import Institution

from syllabus.fulfillment.models import (
    FORM_FIELDS, DigitizationRequest, FormField,
)



MAX_PAGE_RANGES = 10
MAX_NOTES = 3
MAX_NOTE_CHARS = 2_000  # one note of a request (kept in a JSON list, so no column says it)


# === the form (DIG-1, DIG-12) ============================================================

@dataclass
class RequestForm:
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    chapters: str = ""
    page_ranges: list[dict] = field(default_factory=list)
    include_images: bool = False
    notes: list[str] = field(default_factory=list)

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> "RequestForm":
        ranges = []
        for r in data.get("page_ranges") or []:
            if hasattr(r, "dict"):
                r = r.dict(by_alias=True)
            ranges.append({"from": r.get("from", r.get("from_")), "to": r.get("to")})
        notes = [n.strip() for n in (data.get("notes") or []) if n and n.strip()]
        return cls(start_date=data.get("start_date"), end_date=data.get("end_date"), chapters=(data.get("chapters") or "").strip(),
                   page_ranges=ranges, include_images=bool(data.get("include_images")), notes=notes)

    def validate(self, rule: str = "DIG-1") -> None:
        if len(self.page_ranges) > MAX_PAGE_RANGES:
            raise RuleViolation(rule, f"at most {MAX_PAGE_RANGES} page ranges ({len(self.page_ranges)} given)", field="page_ranges")
        for n, r in enumerate(self.page_ranges, 1):
            lo, hi = r.get("from"), r.get("to")
            try:
                lo, hi = int(lo), int(hi)
            except (TypeError, ValueError):
                raise RuleViolation(rule, f"page range {n}: from and to must be page numbers", field="page_ranges")
            if lo < 1 or hi < 1:
                raise RuleViolation(rule, f"page range {n}: pages are positive numbers", field="page_ranges")
            if lo > hi:
                raise RuleViolation(rule, f"page range {n} is reversed: {lo} comes after {hi}", field="page_ranges")
            r["from"], r["to"] = lo, hi
        if len(self.notes) > MAX_NOTES:
            raise RuleViolation(rule, f"at most {MAX_NOTES} notes ({len(self.notes)} given)", field="notes")
        for n, note in enumerate(self.notes, 1):
            if len(note) > MAX_NOTE_CHARS:
                raise RuleViolation(rule, f"note {n} is longer than {MAX_NOTE_CHARS} characters", field="notes")
        refuse_too_long(rule, DigitizationRequest, chapters=self.chapters)
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise RuleViolation(rule, "the end date is before the start date", field="end_date")


def form_config(institution: Institution) -> dict[str, dict]:
    """DIG-12: each optional field of the patron form, shown or not, with its default."""
    rows = {f.field: f for f in FormField.objects.filter(institution=institution)}
    return {name: {"display": rows[name].display if name in rows else True,
                   "default": rows[name].default if name in rows else ""} for name in FORM_FIELDS}


def _apply_form_config(institution: Institution, data: dict) -> dict:
    """Hidden fields take their configured default; shown fields keep what the patron entered."""
    data = dict(data)
    for name, conf in form_config(institution).items():
        if conf["display"]:
            if name == "include_images" and data.get(name) is None and conf["default"]:
                data[name] = conf["default"].lower() in ("1", "true", "yes", "on")
            continue
        default = conf["default"]
        if name == "pages":
            data["page_ranges"] = []
        elif name == "include_images":
            data[name] = default.lower() in ("1", "true", "yes", "on")
        elif name == "notes":
            data[name] = [default] if default else []
        elif name in ("start_date", "end_date"):
            data[name] = dt.date.fromisoformat(default) if default else None
        else:
            data[name] = default
    return data
