"""Content-Security-Policy with a per-request nonce on every response (issue 18 item 8).

The policy is strict: scripts only from our own origin or carrying this response's nonce (no
inline event handlers, no ``eval``), ``<style>`` elements likewise (style attributes stay
allowed), no plugins, forms post only to us, and no one frames our pages but ourselves.
htmx works under it (it is a file of ours, and gets the nonce for the indicator style it
injects through ``<meta name="htmx-config">`` in ``web/base.html``).  A template that needs an
inline script or style writes ``nonce="{{ request.csp_nonce }}"``.

Other apps widen it without editing this file:

- for every page: ``csp.register("form-action", "https://idp.example.org")``;
- for one response (in the view): ``csp.extend(request, "img-src", "https://covers.example")``;
- to be framed by other sites (an LTI launch in the LMS):
  ``csp.allow_framing(request, "https://lms.example.edu")`` — sets ``frame-ancestors`` to those
  origins and drops ``X-Frame-Options`` from that response.

A response that sets its own Content-Security-Policy (the sandbox of an uploaded file,
``syllabus.core.files``) keeps it; only a ``frame-ancestors`` allowed by ``allow_framing`` is
merged into it, so that a file opened inside the LMS frame still shows.
"""
from __future__ import annotations

import secrets

BASE_POLICY: dict[str, list[str]] = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "style-src-attr": ["'unsafe-inline'"],
    "img-src": ["'self'", "data:", "https:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "media-src": ["'self'"],
    "frame-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'self'"],
}
# directive -> sources that other apps add for every response
EXTRA: dict[str, list[str]] = {}


def register(directive: str, *sources: str) -> None:
    """Add ``sources`` to ``directive`` on every response (e.g. an identity provider's origin)."""
    bucket = EXTRA.setdefault(directive, [])
    bucket.extend(s for s in sources if s not in bucket)


def extend(request, directive: str, *sources: str) -> None:
    """Add ``sources`` to ``directive`` on this request's response only."""
    extra = request.__dict__.setdefault("csp_extra", {})
    bucket = extra.setdefault(directive, [])
    bucket.extend(s for s in sources if s not in bucket)


def allow_framing(request, *origins: str, include_self: bool = True) -> None:
    """Let ``origins`` frame this response (``frame-ancestors``), without X-Frame-Options;
    ``include_self=False``: those origins only, not our own pages either."""
    request.csp_frame_ancestors = ["'self'", *origins] if include_self else (list(origins) or ["'none'"])


def policy_for(request) -> str:
    nonce = getattr(request, "csp_nonce", "")
    directives = {name: list(sources) for name, sources in BASE_POLICY.items()}
    for extra in (EXTRA, getattr(request, "csp_extra", {})):
        for name, sources in extra.items():
            bucket = directives.setdefault(name, [])
            bucket.extend(s for s in sources if s not in bucket)
    if nonce:
        directives["script-src"].append(f"'nonce-{nonce}'")
        directives["style-src"].append(f"'nonce-{nonce}'")
    framing = getattr(request, "csp_frame_ancestors", None)
    if framing:
        directives["frame-ancestors"] = list(dict.fromkeys(framing))
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


def with_frame_ancestors(policy: str, sources: list[str]) -> str:
    """``policy`` with its ``frame-ancestors`` directive replaced by ``sources`` (added if
    absent); every other directive is kept in its place."""
    directives = [d.strip() for d in (policy or "").split(";") if d.strip()]
    kept = [d for d in directives if d.split()[0].lower() != "frame-ancestors"]
    return "; ".join([*kept, "frame-ancestors " + " ".join(dict.fromkeys(sources))])


class ContentSecurityPolicyMiddleware:
    """Give each request a nonce (``request.csp_nonce``) and each response the policy.  Placed
    right after SecurityMiddleware, so it sees every response last."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.csp_nonce = secrets.token_urlsafe(18)
        response = self.get_response(request)
        framing = getattr(request, "csp_frame_ancestors", None)
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy_for(request)
        elif framing:
            response["Content-Security-Policy"] = with_frame_ancestors(response["Content-Security-Policy"], framing)
        if framing and "X-Frame-Options" in response:
            del response["X-Frame-Options"]
        return response
