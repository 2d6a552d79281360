"""Schemas shared by several routers."""
from __future__ import annotations

from ninja import Schema

from .problems import Problem

# Routers declare ``response={404: Error}``; every error is RFC 9457 problem details.
Error = Problem


class InstitutionRef(Schema):
    code: str
    name: str
