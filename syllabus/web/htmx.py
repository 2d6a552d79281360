"""The one htmx layer of the pages (django-htmx).

``HtmxMiddleware`` gives every request ``request.htmx`` (django-htmx's details: ``bool()`` is
"this is an htmx request", plus ``target``, ``trigger``, ``current_url`` ...). A response whose
content depended on it — any view that asked ``bool(request.htmx)``, e.g. to answer with a
fragment instead of the page — says ``Vary: HX-Request``, so that no cache hands the fragment
to a full page load or the reverse. Views ask :func:`is_htmx`; nothing reads the header by hand.
"""
from __future__ import annotations

from django.utils.cache import patch_vary_headers
from django_htmx.middleware import HtmxDetails


class _Details(HtmxDetails):
    consulted = False

    def __bool__(self) -> bool:
        self.consulted = True
        return super().__bool__()


class HtmxMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.htmx = details = _Details(request)
        response = self.get_response(request)
        if details.consulted:
            patch_vary_headers(response, ("HX-Request",))
        return response


def is_htmx(request) -> bool:
    """Did htmx send this request? (The response then says ``Vary: HX-Request``.)"""
    return bool(request.htmx)
