"""Schemas shared by several routers."""
from __future__ import annotations

from ninja import Schema


class Error(Schema):
    rule: str
    detail: str


class InstitutionRef(Schema):
    code: str
    name: str
