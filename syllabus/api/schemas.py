"""Schemas shared by several routers."""
from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

from ninja import Schema
from pydantic import create_model

from .problems import Problem

# Routers declare ``response={404: Error}``; every error is RFC 9457 problem details.
Error = Problem

#: The errors any operation of a router may answer, for routers that declare them all at once
#: (``response={200: ..., **ANSWERED_ERRORS}``): a rule (400), a refusal (403), an unknown or hidden
#: object (404), a state conflict (409), a stale ``If-Match`` (412), a body or file too large (413)
#: or of a refused type (415), a schema mismatch (422), a bound on work waiting (429).  Only what the
#: API answers, so that a generated client has no branch for 402 or 418; 401 is added to every
#: operation that needs credentials (``syllabus.api.api.document_errors``).
ANSWERED_ERRORS: dict[int, type[Problem]] = {code: Error for code in (400, 403, 404, 409, 412, 413, 415, 422, 429)}


class InstitutionRef(Schema):
    code: str
    name: str


class AuditOut(Schema):
    """One entry of an object's audit trail (ORG-6)."""

    at: dt.datetime
    actor: str | None
    action: str
    changes: dict[str, Any]
    note: str


def audit_out(e) -> dict[str, Any]:
    return {"at": e.at, "actor": e.actor.username if e.actor_id else None, "action": e.action,
            "changes": e.changes, "note": e.note}


S = TypeVar("S", bound=Schema)


def patch_of(schema: type[Schema]) -> Callable[[type[S]], type[S]]:
    """Decorate an empty ``class XPatch(Schema)``: it becomes the PATCH body of ``schema`` (the POST
    body) — every field may be left out, none may be null unless its type says so (null clears
    it), each keeps its type and bounds.  Handlers read the fields sent
    (``payload.dict(exclude_unset=True)``)."""

    def make(cls: type[S]) -> type[S]:
        fields: dict[str, Any] = {}
        for name, info in schema.model_fields.items():
            patched = copy.copy(info)
            patched.default, patched.default_factory = None, None
            fields[name] = (info.annotation, patched)
        return create_model(cls.__name__, __base__=cls, __module__=cls.__module__, __doc__=cls.__doc__, **fields)

    return make
