"""Redirect targets that come from the request (a ``next`` field, the Referer) are followed only
when they stay on this site (issue 18 item 6: no open redirect).  Every view that redirects to a
target it did not build itself goes through ``safe_next``::

    return redirect(safe_next(request, request.POST.get("next"), fallback=reverse("lists:mine")))
"""
from __future__ import annotations

from django.utils.http import url_has_allowed_host_and_scheme


def is_safe(request, url: str | None) -> bool:
    """True for a relative path or an absolute URL of this very host (https when we are)."""
    if not url or not isinstance(url, str):
        return False
    return url_has_allowed_host_and_scheme(url.strip(), allowed_hosts={request.get_host()}, require_https=request.is_secure())


def safe_next(request, *candidates: str | None, fallback: str) -> str:
    """The first candidate that stays on this site, else ``fallback`` (which the view built)."""
    for url in candidates:
        if url and is_safe(request, url):
            return url.strip()
    return fallback
