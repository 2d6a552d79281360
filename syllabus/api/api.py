"""The v1 REST API: one NinjaAPI that mounts each app's router (``<app>/api.py: router``).

Errors are JSON ``{"rule": ..., "detail": ...}``: no credentials → 401, not allowed → 403,
not visible → 404, broken rule → 4xx with the rule id.
"""
from __future__ import annotations

import importlib
import importlib.util

from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from syllabus.core.errors import RuleViolation

from .auth import AUTH

api = NinjaAPI(
    title="Syllabus API",
    version="1",
    description="Course resource lists and library services. Authenticate with `Authorization: Bearer <token>` "
    "(create one with `syllabus token create USERNAME`).",
    auth=AUTH,
    urls_namespace="api-v1",
    docs_url="/docs",
)


@api.exception_handler(RuleViolation)
def _rule_violation(request, exc: RuleViolation):
    return api.create_response(request, exc.as_dict(), status=exc.status)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return api.create_response(request, {"rule": "AUTH", "detail": "authentication required: send a bearer token or sign in"}, status=401)


@api.exception_handler(ValidationError)
def _invalid(request, exc: ValidationError):
    parts = []
    for err in exc.errors:
        loc = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "payload"))
        parts.append(f"{loc}: {err.get('msg')}" if loc else str(err.get("msg")))
    return api.create_response(request, {"rule": "VALIDATION", "detail": "; ".join(parts), "errors": exc.errors}, status=422)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return api.create_response(request, {"rule": "NOT-FOUND", "detail": str(exc) or "not found"}, status=404)


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    return api.create_response(request, {"rule": "HTTP", "detail": str(exc)}, status=exc.status_code)


# Routers, in the order their tags appear in the docs.  An app joins the API by having
# an ``api.py`` with a ``router``; nothing else needs to change here.
ROUTER_MODULES = [
    "syllabus.org.api",
    "syllabus.courses.api",
    "syllabus.lists.api",
    "syllabus.catalog.api",
    "syllabus.discussion.api",
    "syllabus.notify.api",
    "syllabus.fulfillment.api",
    "syllabus.lending.api",
    "syllabus.circulation.api",
]

for module_name in ROUTER_MODULES:
    if importlib.util.find_spec(module_name) is not None:
        api.add_router("", importlib.import_module(module_name).router)
