"""Pages inside the LMS frame (LMS-1).

For a session that came through an LTI launch (and for the LTI pages themselves), the answer
may be framed by the launching platform: the middleware asks the one policy of the site
(``syllabus.web.csp.allow_framing``) for ``frame-ancestors 'self' <platform origins>``, which
also drops ``X-Frame-Options``.  Over HTTPS the session and CSRF cookies of such a session are
sent ``SameSite=None; Secure`` so that the browser keeps them inside a third-party iframe.
Place it inside the CSP middleware and outside the session middleware (it reads the session
after the view ran and sees the cookies the session middleware set).

The administration (``/admin/``) is never framed, not even in such a session: nothing of it
belongs inside the LMS, and its one-click actions (delete, unlock, change roles) are what a
page framing it would trick an administrator into (clickjacking).
"""
from __future__ import annotations

from django.conf import settings

from syllabus.web import csp


class LtiFrameMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if _never_framed(request.path):
            return response
        origins = getattr(request, "lti_frame_origins", None)
        session = getattr(request, "session", None)
        lti = session.get("lti") if session is not None else None
        if origins is None and lti:
            origins = lti.get("origins") or []
        if origins is None and request.path.startswith("/lti/"):
            from .services import all_frame_origins

            origins = all_frame_origins()
        if origins is None:
            return response
        csp.allow_framing(request, *origins)
        if "X-Frame-Options" in response:
            del response["X-Frame-Options"]
        response.xframe_options_exempt = True
        if request.is_secure() and (lti or getattr(request, "lti_frame_origins", None)):
            for name in (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME):
                if name in response.cookies:
                    response.cookies[name]["samesite"] = "None"
                    response.cookies[name]["secure"] = True
        return response


_ADMIN: dict[tuple, str] = {}


def _never_framed(path: str) -> bool:
    """The administration's pages (its root reversed once per URL configuration and prefix)."""
    from django.urls import get_script_prefix, get_urlconf, reverse

    key = (get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())
    root = _ADMIN.get(key)
    if root is None:
        root = _ADMIN[key] = reverse("admin:index")
    return path.startswith(root)
