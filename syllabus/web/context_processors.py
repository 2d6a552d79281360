from __future__ import annotations

from django.conf import settings

from syllabus.org.models import Institution

from .nav import entries_for, menu_for, nav_memo


class _Lazy:
    """Computed when the template first iterates it (the badges cost queries)."""

    def __init__(self, compute):
        self.compute, self.value = compute, None

    def __iter__(self):
        if self.value is None:
            self.value = self.compute()
        return iter(self.value)


def _menu(user) -> list[dict]:
    """The menu, computed once per request: the context processor runs for every template rendered
    with the request, and the user object is the request's (loaded again on the next one)."""
    memo = nav_memo(user)
    if "menu" not in memo:
        memo["menu"] = menu_for(user, back_office=user.is_back_office)
    return memo["menu"]


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
        "nav_lists": _Lazy(lambda: entries_for(user, "lists")) if authenticated else [],
        "nav_back_office": _Lazy(lambda: entries_for(user, "back_office")) if authenticated and user.is_back_office else [],
        "nav_menu": _Lazy(lambda: _menu(user)) if authenticated else [],
        "LANGUAGES": settings.LANGUAGES,
    }
