from __future__ import annotations

from django.conf import settings

from syllabus.org.models import Institution

from .nav import entries_for


def shell(request) -> dict:
    user = getattr(request, "user", None)
    institution = None
    if user is not None and user.is_authenticated and user.institution_id:
        institution = user.institution
    elif not hasattr(request, "_syllabus_branding"):
        institution = Institution.objects.order_by("pk").first()
    authenticated = user is not None and user.is_authenticated
    return {
        "branding": institution,
        "nav_lists": entries_for(user, "lists") if authenticated else [],
        "nav_back_office": entries_for(user, "back_office") if authenticated and user.is_back_office else [],
        "LANGUAGES": settings.LANGUAGES,
    }
