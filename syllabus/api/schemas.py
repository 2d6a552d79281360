"""Schemas shared by several routers."""
from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema

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
