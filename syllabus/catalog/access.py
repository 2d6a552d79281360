"""Who may open a digital representation's files (DSV-1, seam for LDL).

The catalog's own rule: an *active*, *discoverable* representation is readable by signed-in
members of the consortium; an inactive one, or a document-delivery scan made for one person
(not discoverable: its digitization request opens it), only by the institution's digital
inventory operators.  Other
apps add rules with :func:`register` — the long-term digital loans app, for instance, lets
only the patron with an active loan read a representation under a loan policy:

    from syllabus.catalog import access

    @access.register
    def loan_needed(user, representation):
        if under_loan_policy(representation) and not has_active_loan(user, representation):
            raise PermissionDenied("LDL-3", "borrow this item first")

A check returns nothing to allow, or raises ``PermissionDenied`` / ``NotFound`` to refuse.

An app that serves some representations through its own page (the loan viewer) registers a
*home*: ``home(representation) -> url | None``; the catalog's representation page sends the
reader there instead of showing the file links.
"""
from __future__ import annotations

from typing import Callable

from syllabus.core.errors import NotFound, PermissionDenied
from syllabus.core.registry import Hooks

from .models import Representation
from .services import can_manage_representations

CHECKS: Hooks[Callable] = Hooks()
HOMES: Hooks[Callable] = Hooks()
register = CHECKS.register
register_home = HOMES.register


def home_url(rep: Representation) -> str | None:
    """Where another app serves this representation (e.g. its loan page), or None."""
    for home in HOMES:
        url = home(rep)
        if url:
            return url
    return None


def ensure_can_read(user, rep: Representation) -> None:
    if not user or not user.is_authenticated:
        raise PermissionDenied("DSV-1", "sign in to open digital content")
    institution = rep.record.institution
    if user.institution_id is None and not user.is_superuser:
        raise NotFound("DSV-1", "no such representation")
    if user.institution_id is not None and institution.consortium_id != user.institution.consortium_id:
        raise NotFound("DSV-1", "no such representation")
    if (not rep.active or not rep.discoverable) and not can_manage_representations(user, institution):
        raise NotFound("DSV-1", "no such representation")
    for check in CHECKS:
        check(user, rep)
