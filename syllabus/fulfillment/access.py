"""Digitization's side of who may open a catalog representation's files (DIG-4, DIG-9).

A scan delivered "into digital inventory" is an active, discoverable representation of the
catalog, so ``/catalog/representations/<id>/file/`` would serve it to every signed-in member of
the consortium.  When the scan was made for a course (an instructor's request from a reading
list) or for a date range (a copyright approval limited in time), the catalog applies the
request's own download rule instead: the approved date range for students, nothing for
strangers — except the digital inventory operators and fulfillment staff who manage it.
"""
from __future__ import annotations

from django.db.models import Q

from syllabus.catalog import access
from syllabus.catalog.services import can_manage_representations
from syllabus.core import clock

from .models import DigitizationRequest, Source


def _governing_request(representation) -> DigitizationRequest | None:
    return (DigitizationRequest.objects.select_related("institution", "representation", "course")
            .filter(representation_id=representation.pk)
            .filter(Q(source=Source.COURSE) | Q(start_date__isnull=False) | Q(end_date__isnull=False))
            .order_by("-id").first())


@access.register
def within_the_approved_range(user, representation) -> None:
    req = _governing_request(representation)
    if req is None:
        return
    from . import permissions, services

    if can_manage_representations(user, representation.record.institution) or permissions.is_fulfillment_staff(user, req.institution):
        return
    if req.source == Source.COURSE:
        services.file_access(user, req)  # the course's instructors; its students inside the range; else 404
    else:
        services._window_check(req, clock.today())
