"""Under ``/api/``, every error is JSON problem details — also the ones Django answers before
the API sees the request (no such path: 404; a path without this method: 405; a crash: 500)."""
from __future__ import annotations

from . import problems

_RULES = {404: "NO-ROUTE", 405: "METHOD", 500: "SERVER"}
_DETAILS = {
    404: "no API operation has this path; see /api/v1/openapi.json",
    405: "this path does not accept {method}; it accepts {allow}",
    500: "the server failed; the error was logged",
}


class ApiProblemMiddleware:
    """Turn a non-JSON error response to an ``/api/`` request into problem details."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith("/api/") or response.status_code < 400:
            return response
        content_type = response.get("Content-Type", "")
        if content_type.startswith(("application/json", problems.MEDIA_TYPE)):
            return response
        status = response.status_code
        allow = response.get("Allow", "")
        detail = _DETAILS.get(status, "the request failed").format(method=request.method, allow=allow or "nothing")
        new = problems.response(status, detail, rule=_RULES.get(status, "HTTP"),
                                type="about:blank" if status in (404, 405) else None)
        if allow:
            new["Allow"] = allow
        for header in ("Retry-After", "WWW-Authenticate", "Vary"):
            if header in response:
                new[header] = response[header]
        return new
