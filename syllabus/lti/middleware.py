"""Pages inside the LMS frame (LMS-1).

For a session that came through an LTI launch (and for the LTI pages themselves), the answer
may be framed by the launching platform: the middleware asks the one policy of the site
(``syllabus.web.csp.allow_framing``) for ``frame-ancestors 'self' <platform origins>``, which
also drops ``X-Frame-Options``.  In a secure context (HTTPS, or ``http://localhost`` which browsers
treat as secure) the session and CSRF cookies of such a session, and the ``lti1p3-…`` state
cookie of a login, are sent ``SameSite=None; Secure; Partitioned`` (CHIPS): ``SameSite=None``
so that the browser sends them inside a third-party iframe, ``Partitioned`` so that a browser
that blocks third-party cookies (Chrome with the setting on, incognito) still keeps them — in
a jar of their own for this LMS, never shared with another site.  Django 5.2's ``set_cookie``
knows no ``Partitioned``: :func:`partition` adds it here, in one place, for every view.
Place it inside the CSP middleware and outside the session middleware (it reads the session
after the view ran and sees the cookies the session middleware set).

The administration (``/admin/``) is never framed, not even in such a session: nothing of it
belongs inside the LMS, and its one-click actions (delete, unlock, change roles) are what a
page framing it would trick an administrator into (clickjacking).  A view that chose who frames
it (``csp.allow_framing`` in the view: an OpenID provider's front-channel logout frame) keeps its
choice in such a session too.
"""
from __future__ import annotations

from http.cookies import Morsel

from django.conf import settings

from syllabus.web import csp

STATE_COOKIE_PREFIX = "lti1p3-"   # pylti1p3's state cookie: lti1p3-<state>


class LtiFrameMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if _never_framed(request.path) or getattr(request, "csp_frame_ancestors", None) is not None:
            return response   # the admin; or a view that chose who frames it (an OpenID provider's logout frame, LMS-3)
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
        if secure_context(request):
            framed = bool(lti or getattr(request, "lti_frame_origins", None))
            for name in list(response.cookies):
                if name.startswith(STATE_COOKIE_PREFIX) or (framed and name in (settings.SESSION_COOKIE_NAME,
                                                                                settings.CSRF_COOKIE_NAME)):
                    partition(response, name)
        return response


def secure_context(request) -> bool:
    """Will the browser keep a ``Secure`` cookie of this answer?  Over HTTPS (directly or as
    SECURE_PROXY_SSL_HEADER says); and on ``http://localhost`` (and ``*.localhost``), which
    browsers treat as a secure context — development and the browser tests."""
    if request.is_secure():
        return True
    host = request.get_host().rsplit(":", 1)[0].lower() if request.get_host() else ""
    return host == "localhost" or host.endswith(".localhost")


class PartitionedMorsel(Morsel):
    """A cookie written with the ``Partitioned`` attribute (CHIPS), which Python's http.cookies
    learns only in 3.14."""

    def OutputString(self, attrs=None):  # noqa: N802 (Morsel's name)
        return super().OutputString(attrs) + "; Partitioned"


def partition(response, name: str) -> None:
    """Make the response's cookie ``name`` ``SameSite=None; Secure; Partitioned`` (a deleted
    cookie too: it must be deleted in the jar it lives in)."""
    morsel = response.cookies[name]
    morsel["samesite"] = "None"
    morsel["secure"] = True
    if "partitioned" in getattr(Morsel, "_reserved", {}):  # Python ≥ 3.14 writes the attribute itself
        morsel["partitioned"] = True
        return
    if isinstance(morsel, PartitionedMorsel):
        return
    copy = PartitionedMorsel()
    copy.set(morsel.key, morsel.value, morsel.coded_value)
    copy.update(morsel)
    response.cookies[name] = copy


_ADMIN: dict[tuple, str] = {}


def _never_framed(path: str) -> bool:
    """The administration's pages (its root reversed once per URL configuration and prefix)."""
    from django.urls import get_script_prefix, get_urlconf, reverse

    key = (get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())
    root = _ADMIN.get(key)
    if root is None:
        root = _ADMIN[key] = reverse("admin:index")
    return path.startswith(root)
