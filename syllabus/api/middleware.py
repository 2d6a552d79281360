"""Under ``/api/``, every error is JSON problem details — also the ones Django answers before
the API sees the request (no such path: 404; a path without this method: 405; a crash: 500).

The same middleware refuses control characters (NUL, ESC, ...) anywhere in an API request —
path, query, form fields, JSON body — with a 422 that names the field (issue 18, item 4), so
that no service, database or export ever sees them."""
from __future__ import annotations

from typing import Any

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent, TooManyFilesSent
from django.http.multipartparser import MultiPartParserError

from syllabus.core.text import find_control
from syllabus.core import jsondata

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
        if request.path.startswith("/api/"):
            try:
                refused = _control_characters(request) or _over_long_header(request)
            except SuspiciousOperation as e:  # Django refused to read the body (session 20: an HTML 400 page)
                refused = _unreadable_body(e)
            except MultiPartParserError as e:  # a multipart body without its boundary (session 24: an HTML 400
                # page and a logged traceback, found by schemathesis against the live demo)
                refused = problems.response(400, f"the multipart body could not be read: {e}", rule="HTTP",
                                            field="Content-Type")
            if refused is not None:
                return refused
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


def _unreadable_body(error: SuspiciousOperation):
    """A body Django will not read — more files or form fields than it parses, or over its size
    ceiling — as problem details naming the bound (Django itself answers an HTML 400 page)."""
    from django.conf import settings

    if isinstance(error, TooManyFilesSent):
        detail = f"at most {settings.DATA_UPLOAD_MAX_NUMBER_FILES} files in one request"
        return problems.response(422, f"files: {detail}", rule="VALIDATION", field="files",
                                 errors=[{"loc": ["body", "files"], "type": "too_long", "msg": detail}])
    if isinstance(error, TooManyFieldsSent):
        detail = f"at most {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} form fields in one request"
        return problems.response(422, detail, rule="VALIDATION",
                                 errors=[{"loc": ["body"], "type": "too_long", "msg": detail}])
    if isinstance(error, RequestDataTooBig):
        megabytes = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)
        return problems.response(413, f"the request body is over {megabytes} MB (files aside)", rule="HTTP")
    return problems.response(400, "the request could not be read", rule="HTTP")


def _over_long_header(request):
    """``If-Match`` longer than its ceiling (a few ETags): refused naming it, before any work."""
    from .preconditions import IF_MATCH_CHARS, RULE

    if len(request.headers.get("If-Match", "")) > IF_MATCH_CHARS:
        return problems.response(400, f"If-Match: at most {IF_MATCH_CHARS} characters", rule=RULE, field="If-Match")
    return None


def _find(value: Any, loc: tuple, errors: list) -> None:
    if isinstance(value, str):
        bad = find_control(value)
        if bad:
            errors.append({"loc": [str(p) for p in loc], "type": "control_character",
                           "msg": f"control character {bad} is not allowed (only tab and line breaks are)"})
    elif isinstance(value, dict):
        for key, item in value.items():
            _find(key, loc, errors)
            _find(item, (*loc, key), errors)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _find(item, (*loc, i), errors)


def _control_characters(request):
    errors: list = []
    _find(request.path, ("path",), errors)
    for key in request.GET:
        _find(key, ("query",), errors)
        for value in request.GET.getlist(key):
            _find(value, ("query", key), errors)
    content_type = request.META.get("CONTENT_TYPE", "")
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        if content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
            for key in request.POST:
                _find(key, ("form",), errors)
                for value in request.POST.getlist(key):
                    _find(value, ("form", key), errors)
        elif request.body:
            try:
                data = jsondata.loads(request.body)
            except jsondata.TooDeep as exc:   # session 20: before, a RecursionError (500) without an account
                return problems.response(422, f"body: {exc}", rule="VALIDATION", field="body",
                                         errors=[{"loc": ["body"], "msg": str(exc), "type": "value_error"}])
            except ValueError:
                data = None  # the API answers its own error for a body that is not JSON
            if content_type.startswith("application/json") and data is not None and not isinstance(data, dict):
                # every JSON body of the API is an object; Ninja would read "AAA" or [1] as {} (a PATCH
                # changing nothing, answered 200), so it is refused here (session 20, schemathesis)
                kind = {str: "string", list: "array", bool: "boolean"}.get(type(data), "number")
                msg = f"the body must be a JSON object, not a JSON {kind}"
                return problems.response(422, f"body: {msg}", rule="VALIDATION",
                                         errors=[{"loc": ["body"], "type": "model_type", "msg": msg}])
            _find(data, ("body",), errors)
    if not errors:
        return None
    fields = [".".join(e["loc"][1:]) or e["loc"][0] for e in errors]
    detail = "; ".join(f"{f}: {e['msg']}" for f, e in zip(fields, errors))
    return problems.response(422, detail, rule="VALIDATION", errors=errors, field=fields[0] if len(fields) == 1 else None)
