"""``Idempotency-Key`` on creating POSTs: a retried request creates nothing twice (issue 17,
rule API-IDEMPOTENCY).

Every ``POST`` that answers **201** accepts the header (``install`` applies it to them all, so
no router repeats it), and so does a ``POST`` marked :func:`creating` that creates without a 201 —
the list import, which answers its report (200) or its background import (202): a retried upload
added every entry twice (session 24).  For one user and one key:

- the first request runs as usual; if it succeeds (2xx) its status, body, ``Location`` and
  ``ETag`` are stored (``api.IdempotencyKey``) until ``API_IDEMPOTENCY_HOURS`` (default 24)
  have passed; a request that fails (4xx, 5xx) stores nothing, so it can be corrected and
  retried with the same key;
- a repeat with the same method, path and body answers the stored status and body again
  (header ``Idempotent-Replayed: true``) and creates nothing;
- a repeat with another method, path or body answers **422** problem details with rule
  ``API-IDEMPOTENCY`` (field ``Idempotency-Key``) and creates nothing.

Concurrency: the key's row is inserted in the same transaction as the creation, under a unique
constraint on (user, key).  A second request with the key waits for the first to commit
(PostgreSQL blocks on the unique index, SQLite on its write lock) and then replays its answer;
if the first failed, the second runs.  Expired keys are deleted by the ``api_idempotency_keys``
timer sweep (``syllabus tick``).  The keys of anonymous requests are ignored (every creating
operation requires authentication anyway).
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from ninja.decorators import _apply_decorators

from syllabus.core import clock
from syllabus.core.errors import RuleViolation
from syllabus.core import jsondata

from . import problems

RULE = "API-IDEMPOTENCY"
HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,255}$")  # visible ASCII, as in a UUID or a ULID
KEPT_HEADERS = ("Location", "ETag")
_ATTR = "_syllabus_idempotency"



def ttl() -> dt.timedelta:
    return dt.timedelta(hours=float(getattr(settings, "API_IDEMPOTENCY_HOURS", 24)))


class _Claim:
    def __init__(self, key: str):
        self.key = key
        self.row_id: int | None = None


def _canonical_body(request) -> bytes:
    content_type = request.META.get("CONTENT_TYPE", "")
    if content_type.startswith("multipart/form-data"):
        # the stream is already parsed; the boundary differs between two sends of one form
        h = hashlib.sha256()
        for key in sorted(request.POST):
            h.update(json.dumps([key, request.POST.getlist(key)]).encode())
        for key in sorted(request.FILES):
            for f in request.FILES.getlist(key):
                h.update(json.dumps([key, f.name, f.size]).encode())
                for chunk in f.chunks():
                    h.update(chunk)
                f.seek(0)
        return h.hexdigest().encode()
    body = request.body
    if content_type.startswith("application/json"):
        try:
            return json.dumps(jsondata.loads(body), sort_keys=True, separators=(",", ":")).encode()
        except ValueError:
            return body
    return body


def fingerprint(request) -> str:
    h = hashlib.sha256()
    h.update(request.method.encode() + b" " + request.get_full_path().encode() + b"\n")
    h.update(_canonical_body(request))
    return h.hexdigest()


def _replay(row) -> HttpResponse:
    response = HttpResponse(bytes(row.body), status=row.status, content_type=row.content_type or None)
    for name, value in (row.headers or {}).items():
        response[name] = value
    response[REPLAYED] = "true"
    return response


def _claim_or_replay(request, claim: _Claim) -> HttpResponse | None:
    """Insert the key's row (None: go on and create), or the stored answer to replay."""
    from .models import IdempotencyKey

    fp = fingerprint(request)
    for _ in range(3):
        now = clock.now()
        try:
            with transaction.atomic():
                row = IdempotencyKey.objects.create(user=request.user, key=claim.key, fingerprint=fp, status=0,
                                                    created_at=now, expires_at=now + ttl())
        except IntegrityError:
            kept = IdempotencyKey.objects.filter(user=request.user, key=claim.key).first()
            if kept is None:  # its first request failed meanwhile and released the key
                continue
            if kept.expires_at <= now:
                kept.delete()
                continue
            if kept.fingerprint != fp:
                raise RuleViolation(RULE, f"this {HEADER} was first sent with another request "
                                          f"({kept.created_at:%Y-%m-%d %H:%M} UTC); use a new key for a new request",
                                    status=422, field=HEADER) from None
            return _replay(kept)
        claim.row_id = row.pk
        return None
    raise RuleViolation(RULE, f"this {HEADER} is in use by a request that keeps failing; retry", status=409, field=HEADER)


def _view(view: Callable) -> Callable:
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        claim = getattr(request, _ATTR, None)
        if claim is not None and request.user.is_authenticated:
            replay = _claim_or_replay(request, claim)
            if replay is not None:
                return replay
        return view(request, *args, **kwargs)

    return wrapper


def _run(run: Callable) -> Callable:
    @functools.wraps(run)
    def wrapper(request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return run(request, *args, **kwargs)
        if not KEY_PATTERN.match(key):
            return problems.response(422, f"{HEADER} must be 1 to 255 visible ASCII characters (a UUID will do)",
                                     rule=RULE, field=HEADER)
        from .models import IdempotencyKey

        claim = _Claim(key)
        setattr(request, _ATTR, claim)
        with transaction.atomic():
            response = run(request, *args, **kwargs)
            if claim.row_id is not None:
                if 200 <= response.status_code < 300 and not getattr(response, "streaming", False):
                    IdempotencyKey.objects.filter(pk=claim.row_id).update(
                        status=response.status_code, body=response.content,
                        content_type=response.get("Content-Type", ""),
                        headers={h: response[h] for h in KEPT_HEADERS if h in response})
                else:
                    IdempotencyKey.objects.filter(pk=claim.row_id).delete()
        return response

    return wrapper


def _document(operation) -> None:
    extra: dict[str, Any] = dict(operation.openapi_extra or {})
    extra["parameters"] = [*extra.get("parameters", []), {
        "in": "header", "name": HEADER, "required": False,
        "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": KEY_PATTERN.pattern},
        "description": "A key you choose (a UUID) for this one request: sending it again with the same body answers "
                       "the first answer again and creates nothing; with another body, 422 (API-IDEMPOTENCY). Kept "
                       "for API_IDEMPOTENCY_HOURS (default 24).",
    }]
    responses = dict(extra.get("responses", {}))
    responses[422] = {"description": "An input does not match the schema (`errors` lists them), or the "
                                     "`Idempotency-Key` was first sent with another request (API-IDEMPOTENCY)."}
    extra["responses"] = responses
    operation.openapi_extra = extra


def creating(view: Callable) -> Callable:
    """Mark an API view that creates objects without answering 201 (put it under ``@router.post``)."""
    view._syllabus_creates = True  # type: ignore[attr-defined]
    return view


def creates(operation) -> bool:
    return "POST" in operation.methods and (201 in operation.response_models
                                            or getattr(operation.view_func, "_syllabus_creates", False))


def install(api) -> int:
    """Give every creating POST (a POST that answers 201, or marked :func:`creating`) of ``api`` the
    ``Idempotency-Key``."""
    done = 0
    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                if not creates(operation) or getattr(operation, "_syllabus_idempotent", False):
                    continue
                operation.view_func = _view(operation.view_func)
                _apply_decorators((_run,), operation)
                _document(operation)
                operation._syllabus_idempotent = True
                done += 1
    return done
