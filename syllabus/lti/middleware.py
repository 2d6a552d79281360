"""Pages inside the LMS frame (LMS-1).

For a session that came through an LTI launch (and for the LTI pages themselves), the answer
may be framed by the launching platform: ``frame-ancestors 'self' <platform origins>`` is
merged into the Content-Security-Policy header (added if there is none, the directive replaced
if there is one, every other directive kept) and ``X-Frame-Options`` is dropped.  Over HTTPS
the session and CSRF cookies of such a session are sent ``SameSite=None; Secure`` so that the
browser keeps them inside a third-party iframe.  Place it before (outside) the session
middleware and any middleware that sets X-Frame-Options or a Content-Security-Policy.
"""
from __future__ import annotations

from django.conf import settings


def merge_frame_ancestors(policy: str, sources: list[str]) -> str:
    directives = [d.strip() for d in (policy or "").split(";") if d.strip()]
    kept = [d for d in directives if d.split()[0].lower() != "frame-ancestors"]
    return "; ".join(kept + ["frame-ancestors " + " ".join(["'self'", *sources])])


class LtiFrameMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
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
        for header in ("Content-Security-Policy", "Content-Security-Policy-Report-Only"):
            if header in response or header == "Content-Security-Policy":
                if header == "Content-Security-Policy-Report-Only" and header not in response:
                    continue
                response[header] = merge_frame_ancestors(response.get(header, ""), origins)
        if "X-Frame-Options" in response:
            del response["X-Frame-Options"]
        response.xframe_options_exempt = True
        if request.is_secure() and (lti or getattr(request, "lti_frame_origins", None)):
            for name in (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME):
                if name in response.cookies:
                    response.cookies[name]["samesite"] = "None"
                    response.cookies[name]["secure"] = True
        return response
