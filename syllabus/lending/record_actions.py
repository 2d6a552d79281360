"""LDL-14 in the catalog's search results: for lending staff, each title under long-term
digital loan shows whether a copy is free — through the catalog's result-badge seam, one
:func:`selectors.record_loan_availability` call for the whole page (a few queries, not one per row)."""
from django.utils.translation import gettext as _

from syllabus.catalog.actions import register_result_badges

from . import permissions, selectors


def _availability(records, user) -> dict:
    if not permissions.is_lending_staff(user):
        return {}
    ids = [r.pk for r in records if user.is_superuser or r.institution_id == user.institution_id]
    out = {}
    for record_id, value in selectors.record_loan_availability(ids).items():
        if value == selectors.AVAILABLE:
            out[record_id] = ("available ldl-available", _("Digital loan availability: %(state)s") % {"state": _("Available")})
        elif value == selectors.NOT_AVAILABLE:
            out[record_id] = ("unavailable ldl-unavailable", _("Digital loan availability: %(state)s") % {"state": _("Not available")})
    return out


register_result_badges("loan_availability", _availability)
