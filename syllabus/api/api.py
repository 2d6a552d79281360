"""The v1 REST API: one NinjaAPI that mounts each app's router (``<app>/api.py: router``).

Conventions every operation follows (docs/api.md, README "The API"):

- errors are RFC 9457 problem details (``application/problem+json``) with our ``rule`` member:
  no credentials → 401, not allowed → 403, not visible → 404, invalid input → 422, broken rule →
  4xx with the rule id (``syllabus.api.problems``);
- an unknown path or a wrong method under ``/api/`` is a problem too (``ApiProblemMiddleware``);
- lists page with ``limit``/``offset`` and answer ``{items, count, next}`` (``syllabus.core.pagination``);
- operation ids come from the method and path (``get_courses_course_id``) unless the operation
  names one (``operation_id=``), never from Python module paths;
- every operation documents its error responses (added here, so no router has to repeat them);
- every creating POST (one that answers 201) accepts ``Idempotency-Key`` (``syllabus.api.idempotency``);
- lists and citations answer ``ETag`` and honour ``If-Match`` on their edits
  (``syllabus.api.preconditions``, declared by the router on the operations concerned).
"""
from __future__ import annotations

import importlib
import importlib.util
import logging
import re
from typing import Any

from django.db import DataError
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError

from syllabus.core.errors import RuleViolation

from . import idempotency, problems
from .auth import AUTH

# The error responses every operation may give, documented on each (RuleViolation carries
# its own status, so any operation can refuse with 400/403/404/409).
STANDARD_ERRORS: dict[int, str] = {
    400: "A product rule refused the request (`rule` names it).",
    401: "No credentials, or credentials that are not valid.",
    403: "You may not do this.",
    404: "No such object, or not visible to you.",
    409: "The request conflicts with the object's current state.",
    422: "An input does not match the schema (`errors` lists them).",
    429: "Too many requests (`RATE-LIMIT`: `RATE_LIMIT_API` per token, or the operation's own rule); "
         "`Retry-After` gives the seconds to wait.",
}


class SyllabusAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation) -> str:
        """``<method>_<path>``: as stable as the path itself (``get_courses_course_id_history``)."""
        method = operation.methods[0].lower()
        path = re.sub(r"[{}]", "", operation.path).strip("/")
        return f"{method}_{re.sub(r'[^A-Za-z0-9]+', '_', path)}".rstrip("_")

    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: dict | None = None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        return document_errors(schema)


def _problem_content() -> dict[str, Any]:
    return {problems.MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}


def document_errors(schema) -> Any:
    """Give every operation its error responses, as ``application/problem+json``."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    problem_schema = problems.Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    components["Problem"] = problem_schema
    components.pop("Error", None)
    for item in schema.get("paths", {}).values():
        for method, op in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = op.setdefault("responses", {})
            public = not op.get("security")
            declared = {int(k) for k in responses}
            for status, description in STANDARD_ERRORS.items():
                if (status in {401, 429} and public) or status in declared:
                    continue
                responses[status] = {"description": description}
            for status, response in responses.items():
                if int(status) >= 400:
                    response["content"] = _problem_content()
                    if not response.get("description") or response["description"] in {"Bad Request", "Error"}:
                        response["description"] = STANDARD_ERRORS.get(int(status), "Error")
    return schema


api = SyllabusAPI(
    title="Syllabus API",
    version="1",
    description="Course resource lists and library services. Authenticate with `Authorization: Bearer <token>` "
    "(create one with `syllabus token create USERNAME`). Errors are RFC 9457 problem details "
    "(`application/problem+json`) with a `rule` member; lists page with `limit`/`offset` and answer "
    "`{items, count, next}`.",
    auth=AUTH,
    urls_namespace="api-v1",
    docs_url="/docs",
)


@api.exception_handler(RuleViolation)
def _rule_violation(request, exc: RuleViolation):
    return problems.response(exc.status, exc.detail, rule=exc.rule, field=exc.field, headers=getattr(exc, "headers", None))


@api.exception_handler(Throttled)
def _throttled(request, exc: Throttled):
    """A ninja throttle refused (``syllabus.org.ratelimit.Throttle``): its RATE-LIMIT refusal."""
    refused = getattr(request, "rate_limited", None)
    if refused is None:
        return problems.response(429, "too many requests; try again later", rule="RATE-LIMIT")
    return _rule_violation(request, refused)


@api.exception_handler(DataError)
def _data_error(request, exc: DataError):
    """The last line of defence (never a 500): a value the database refuses (a text longer than its
    column, on PostgreSQL) that no schema or service refused first.  The service's transaction is
    already rolled back; the missing ceiling is a bug, so it is logged."""
    logging.getLogger("syllabus.api").error("a value reached the database unrefused: %s", exc, exc_info=exc)
    return problems.response(400, "a value is too long or out of range for where it is kept", rule="API-VALUE")


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return problems.response(401, "authentication required: send a bearer token or sign in", rule="AUTH",
                             headers={"WWW-Authenticate": "Bearer"})


def _jsonable(errors: list[dict]) -> list[dict]:
    out = []
    for err in errors:
        entry = {"loc": [str(p) for p in err.get("loc", ())], "msg": str(err.get("msg", "")),
                 "type": str(err.get("type", ""))}
        out.append(entry)
    return out


@api.exception_handler(ValidationError)
def _invalid(request, exc: ValidationError):
    parts, fields = [], []
    for err in exc.errors:
        loc = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "payload", "form", "file"))
        parts.append(f"{loc}: {err.get('msg')}" if loc else str(err.get("msg")))
        if loc:
            fields.append(loc)
    return problems.response(422, "; ".join(parts), rule="VALIDATION", errors=_jsonable(exc.errors),
                             field=fields[0] if len(fields) == 1 else None)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return problems.response(404, str(exc) or "not found", rule="NOT-FOUND")


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    return problems.response(exc.status_code, str(exc), rule="HTTP")


# Routers, in the order their tags appear in the docs.  An app joins the API by having
# an ``api.py`` with a ``router``; nothing else needs to change here.
ROUTER_MODULES = [
    "syllabus.api.meta",
    "syllabus.org.api",
    "syllabus.courses.api",
    "syllabus.lists.api",
    "syllabus.catalog.api",
    "syllabus.discussion.api",
    "syllabus.notify.api",
    "syllabus.fulfillment.api",
    "syllabus.acquisitions.api",
    "syllabus.lending.api",
    "syllabus.circulation.api",
    "syllabus.analytics.api",
    "syllabus.consortium.api",
]

for module_name in ROUTER_MODULES:
    if importlib.util.find_spec(module_name) is not None:
        api.add_router("", importlib.import_module(module_name).router)

idempotency.install(api)
