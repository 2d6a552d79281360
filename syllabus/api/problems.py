"""Errors as RFC 9457 problem details (``application/problem+json``).

Every error the API answers has the standard members ``type``, ``title``, ``status`` and
``detail``, plus our own ``rule`` (the product rule that refused the request, e.g. ``LST-1``,
or one of the generic rules below) and, where one input is at fault, ``field``.  Validation
errors also carry ``errors`` (one entry per invalid input).

``type`` is ``about:blank`` for a plain HTTP error (no such path, wrong method) and otherwise
the relative URI ``/api/v1/problems/<rule>``, which the API serves (a short description).
"""
from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from ninja import Schema

MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "/api/v1/problems/"

# Generic rules (not product rules): what each means, for /api/v1/problems/<rule>.
GENERIC_RULES: dict[str, str] = {
    "AUTH": "No credentials, or credentials that are not valid: send `Authorization: Bearer <token>` or sign in.",
    "VALIDATION": "An input does not match the operation's schema; `errors` lists each invalid input and `detail` "
                  "names it.",
    "NOT-FOUND": "The object does not exist, or you may not know that it does.",
    "NO-ROUTE": "No API operation has this path.",
    "METHOD": "The path exists but does not accept this method; `Allow` lists the methods it does accept.",
    # syllabus.api.preconditions
    "API-ETAG": "`If-Match` names a version of the list or citation that is no longer current: someone changed it "
                "since you read it. GET it again (its `ETag` header is the current version), apply your change, and "
                "retry. Without `If-Match` a change is made whatever the current version.",
    # syllabus.api.idempotency
    "API-IDEMPOTENCY": "An `Idempotency-Key` was sent again with a different method, path or body than its first "
                       "request (a key stands for one request: use a new key for a new request), or is not 1 to "
                       "255 visible ASCII characters.",
    "API-VALUE": "A value is too long or out of range for where it is kept, and nothing refused it before the "
                 "database did; nothing was changed. Every input has a documented ceiling (`maxLength`, `maxItems`, "
                 "`maximum`): keep to it.",
    "HTTP": "A generic HTTP error.",
    "SERVER": "The server failed; the error was logged.",
}


class Problem(Schema):
    """RFC 9457 problem details; ``rule`` names the rule that refused the request."""

    type: str
    title: str
    status: int
    detail: str
    rule: str
    field: str | None = None
    errors: list[dict[str, Any]] | None = None


def type_for(rule: str | None) -> str:
    return f"{PROBLEM_BASE}{rule}" if rule else "about:blank"


def body(status: int, detail: str, *, rule: str, type: str | None = None, title: str | None = None,
         **extra: Any) -> dict[str, Any]:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    out: dict[str, Any] = {
        "type": type or type_for(rule),
        "title": title or phrase,
        "status": status,
        "detail": detail,
        "rule": rule,
    }
    out.update({k: v for k, v in extra.items() if v is not None})
    return out


def response(status: int, detail: str, *, rule: str, headers: dict[str, str] | None = None, **kw: Any) -> HttpResponse:
    """An ``application/problem+json`` response."""
    content = json.dumps(body(status, detail, rule=rule, **kw), cls=DjangoJSONEncoder)
    resp = HttpResponse(content, status=status, content_type=MEDIA_TYPE)
    for name, value in (headers or {}).items():
        resp[name] = value
    return resp
