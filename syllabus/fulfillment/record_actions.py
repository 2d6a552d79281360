"""Digitization on the catalog's record page (DIG-5), through the catalog's request-options seam:
"Digitization" and "General digitization" appear when offered and not hidden by display logic."""
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from syllabus.catalog.actions import register


def _offered(service):
    def when(record, user):
        from .services import services_for_record

        if not getattr(user, "is_authenticated", False) or user.institution_id != record.institution_id:
            return False
        return any(s["service"] == service and s["available"] for s in services_for_record(user, record))

    return when


def _url(record, user):
    return reverse("fulfillment:record", args=[record.pk])


register("digitization", _("Request digitization"), _url, when=_offered("digitization"), order=20)
register("general_digitization", _("General digitization request"), _url, when=_offered("general_digitization"), order=21)
