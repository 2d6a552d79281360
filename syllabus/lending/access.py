"""The lending side of who may open a representation's files (LDL-3, LDL-15).

A representation under a long-term digital loan policy is lent copy by copy through its
waitlist: its file is served only by the loan viewer (``lending:content``), to the patron
whose session runs.  The catalog's own file links (``/catalog/representations/<id>/file/``)
must not become a way around the waitlist, so they refuse it here — except for the digital
inventory operators who manage the files.
"""
from __future__ import annotations

from django.urls import reverse

from syllabus.catalog import access
from syllabus.catalog.services import can_manage_representations
from syllabus.core.errors import PermissionDenied

from .models import LoanSettings


def _lent(representation) -> bool:
    settings = LoanSettings.objects.select_related("policy").filter(representation_id=representation.pk).first()
    return settings is not None and settings.is_long_term_loan


@access.register_home
def loan_page(representation) -> str | None:
    return reverse("lending:title", args=[representation.pk]) if _lent(representation) else None


@access.register
def lent_through_the_waitlist(user, representation) -> None:
    if not _lent(representation):
        return
    if can_manage_representations(user, representation.record.institution):
        return
    raise PermissionDenied("LDL-3", "this title is lent through its waitlist: borrow it from its page, "
                                    "and read it in the loan viewer while your session runs")
