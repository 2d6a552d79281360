"""Forms of the pages: a POST is read by a Django form, never by hand (issue 17).

A :class:`RuleForm` names the rule it enforces; :meth:`RuleForm.parse` answers the cleaned data
or raises :class:`~syllabus.core.errors.RuleViolation` ``"RULE: field: message"`` (with the
field), which the page-error layer (:mod:`syllabus.web.errors`) shows like any other refusal.
Numbers are bounded (``max_value``): no form takes an unbounded integer; texts too (``max_length``, from
the column they land in: ``text(column(ResourceList, "title"))``), and repeated fields (``max_items``) —
a text longer than its column would be an error on PostgreSQL (tests/web/test_form_sizes.py)."""
from __future__ import annotations

import contextlib
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.utils import translation

from .dates import typed_date
from .errors import RuleViolation
from .limits import ITEMS, TERM

MAX_ID = 2**63 - 1  # the largest primary key SQLite and PostgreSQL (bigint) hold


class RuleForm(forms.Form):
    rule = "WEB-1"
    rules: dict[str, str] = {}  # field → its own rule, when it differs from ``rule``

    def __init__(self, *args, more: dict[str, forms.Field] | None = None, **kwargs):
        """``more``: fields known only at the request (one per user group, per form field ...)."""
        super().__init__(*args, **kwargs)
        self.fields.update(more or {})
        for field in self.fields.values():
            if isinstance(field, forms.ChoiceField):   # the value cut short, and what the form offers
                field.error_messages["invalid_choice"] = "%(value).40s is not one of " + _offered(field)

    @classmethod
    def parse(cls, data, files=None, **kwargs) -> dict:
        """The cleaned data of ``data`` (``request.POST``), or the refusal naming the rule."""
        form = cls(data, files, **kwargs)
        with translation.override("en"):  # a refusal's wording stays English, with its rule id
            if form.is_valid():
                return form.cleaned_data
            name, errors = next(iter(form.errors.as_data().items()))
            message = errors[0].messages[0]
        if name == NON_FIELD_ERRORS:
            raise RuleViolation(cls.rule, message)
        raise RuleViolation(cls.rules.get(name, cls.rule), f"{name.replace('_', ' ')}: {message}", field=name)


def _offered(field: Any) -> str:
    """The values a choice field offers, as a refusal names them ("preview, apply")."""
    return ", ".join(str(value) for value, _label in field.choices if value != "")


def id_field(**kwargs) -> forms.IntegerField:
    """A row's id typed in a form: 1 .. MAX_ID."""
    return forms.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


class IdList(forms.Field):
    """Every value of a repeated field (``getlist``) as ids, at most ``max_items`` of them; values
    that are no id are dropped (a checkbox list's unchecked or stale entries)."""

    widget = forms.SelectMultiple

    def __init__(self, *, max_items: int = ITEMS, **kwargs):
        super().__init__(**kwargs)
        self.max_items = max_items

    def to_python(self, value) -> list[int]:
        if len(value or []) > self.max_items:
            raise forms.ValidationError(f"at most {self.max_items} values ({len(value)} given)")
        ids = []
        for v in value or []:
            try:
                n = int(v)
            except (TypeError, ValueError):
                continue
            if 1 <= n <= MAX_ID:
                ids.append(n)
        return ids


class DateText(forms.CharField):
    """A date typed as ``YYYY-MM-DD``; ``None`` when empty."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", TERM)
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        super().run_validators(value)  # its length first: a refusal never quotes a page of text back
        try:
            return typed_date(value)
        except ValueError:
            raise forms.ValidationError(f"{value.strip()!r} is not a date (YYYY-MM-DD)") from None

    def run_validators(self, value):
        """The validators (the length) ran on the text in ``to_python``; the date needs none."""


def text(max_length: int, **kwargs) -> forms.CharField:
    """Free text as typed (blanks kept: the service trims), empty when left out, of at most
    ``max_length`` characters (the column's: ``text(column(Model, "field"))``)."""
    return forms.CharField(required=False, strip=False, max_length=max_length, **kwargs)


class TextList(forms.Field):
    """Every value of a repeated field (``getlist``: checkboxes, a multiple select) as text — at
    most ``max_items`` values of at most ``max_length`` characters; the service checks them against
    its vocabulary."""

    widget = forms.SelectMultiple

    def __init__(self, *, max_items: int = ITEMS, max_length: int = TERM, **kwargs):
        super().__init__(**kwargs)
        self.max_items, self.max_length = max_items, max_length

    def to_python(self, value) -> list[str]:
        values = [str(v) for v in value or []]
        if len(values) > self.max_items:
            raise forms.ValidationError(f"at most {self.max_items} values ({len(values)} given)")
        for v in values:
            if len(v) > self.max_length:
                raise forms.ValidationError(f"a value is longer than {self.max_length} characters")
        return values


@contextlib.contextmanager
def refusals_as_errors():
    """Inside a form's ``clean``: a service's :class:`RuleViolation` becomes the form's error
    ("RULE: detail"), as the admin and the pages show it."""
    try:
        yield
    except RuleViolation as exc:
        raise forms.ValidationError(str(exc)) from None


class Checked(forms.Field):
    """A checkbox as the pages send it: checked when its value is ``on`` — any other value
    (``off`` from a switch's hidden field) or none is unchecked."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value) -> bool:
        return value == "on"


class _Presence(forms.Widget):
    def value_from_datadict(self, data, files, name):
        return name in data


class Sent(forms.Field):
    """Whether the form sent the field at all (a hidden ``has_enabled`` marks the switch shown)."""

    widget = _Presence

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value) -> bool:
        return bool(value)


class BoundedJSONField(forms.JSONField):
    """Django's JSON form field reading its text with :func:`syllabus.core.jsondata.loads`: JSON
    nested deeper than ``JSON_MAX_DEPTH`` is the field's "Enter a valid JSON" error naming the
    nesting, not a ``RecursionError`` (a 500) — in ``to_python`` and in ``bound_data`` (the form
    shown again with the typed text).  Every JSON field of the admin is one (session 21:
    ``CoreConfig.ready`` makes it the admin's default for ``models.JSONField``)."""

    def to_python(self, value):
        from .jsondata import TooDeep, loads

        if isinstance(value, str) and not self.disabled and value not in self.empty_values:
            try:
                loads(value)
            except TooDeep as exc:
                raise forms.ValidationError(f"{self.error_messages['invalid']} ({exc})", code="invalid") from None
            except ValueError:
                pass  # Django's own message below
        return super().to_python(value)

    def bound_data(self, data, initial):
        from .jsondata import TooDeep, loads

        if isinstance(data, str) and not self.disabled:
            try:
                loads(data)
            except TooDeep:
                return forms.fields.InvalidJSONInput(data)
            except ValueError:
                pass
        return super().bound_data(data, initial)
