"""Digitization on the catalog's record page (DIG-5), through the catalog's request-options seam:
"Digitization" and "General digitization" appear when offered and not hidden by display logic."""
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from syllabus.catalog.actions import register

from .models import Service


def _offered(service):
    def when(record, user):
        from .services import services_for_record

        if not getattr(user, "is_authenticated", False) or user.institution_id != record.institution_id:
            return False
        return any(s["service"] == service and s["available"] for s in services_for_record(user, record))

    return when


def _url(record, user):
    return reverse("fulfillment:record", args=[record.pk])


register(Service.DIGITIZATION, _("Request digitization"), _url, when=_offered(Service.DIGITIZATION), order=20)
register(Service.GENERAL_DIGITIZATION, _("General digitization request"), _url,
         when=_offered(Service.GENERAL_DIGITIZATION), order=21)
