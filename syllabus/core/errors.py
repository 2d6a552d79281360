"""Rule violations: every refusal names the rule it enforces (``DIG-1: at most 10 page ranges``)."""
from __future__ import annotations


class RuleViolation(Exception):
    """A request broke a product rule.  ``status`` is the HTTP status the API answers with."""

    status = 400

    def __init__(self, rule: str, detail: str, *, status: int | None = None, field: str | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(f"{rule}: {detail}")
        self.rule = rule
        self.detail = detail
        self.field = field
        self.headers = headers or {}   # sent with the answer (a 429's Retry-After)
        if status is not None:
            self.status = status

    def as_dict(self) -> dict:
        body = {"rule": self.rule, "detail": self.detail}
        if self.field:
            body["field"] = self.field
        return body

    def __str__(self) -> str:
        return f"{self.rule}: {self.detail}"


class PermissionDenied(RuleViolation):
    """The user is known but may not do this (HTTP 403)."""

    status = 403

    def __init__(self, rule: str = "ORG-3", detail: str = "you do not have the role this needs", **kw):
        super().__init__(rule, detail, **kw)


class NotFound(RuleViolation):
    """The object does not exist *or the user may not know that it does* (HTTP 404)."""

    status = 404

    def __init__(self, rule: str = "NOT-FOUND", detail: str = "not found", **kw):
        super().__init__(rule, detail, **kw)


def refuse_too_big(rule: str, **values) -> None:
    """Refuse (``rule``, naming the field) a JSON value longer than ``core.limits.JSON_CHARS``
    characters once serialised (CSL-JSON metadata a page sends as text)."""
    from .limits import JSON_CHARS, bounded_json

    for name, value in values.items():
        try:
            bounded_json(value)
        except ValueError:
            raise RuleViolation(rule, f"{name} is longer than {JSON_CHARS} characters as JSON", field=name) from None


def refuse_too_long(rule: str, model, **values) -> None:
    """Refuse (``rule``, naming the field) a text longer than its column of ``model`` holds, before
    the database would: PostgreSQL answers an error (a 500), SQLite stores the text whole.  A column
    without a length (a TextField) holds ``core.limits.TEXT`` characters of free text."""
    from django.db import models

    from .limits import TEXT

    for name, value in values.items():
        field = model._meta.get_field(name)
        limit = field.max_length or (TEXT if isinstance(field, models.TextField) else None)
        if limit is not None and isinstance(value, str) and len(value) > limit:
            raise RuleViolation(rule, f"{name} is longer than {limit} characters", field=name)
