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
