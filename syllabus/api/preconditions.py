"""``ETag`` and ``If-Match``: no lost update on a list or a citation (issue 17, rule API-ETAG).

A *versioned resource* is something with a GET representation (a list, a citation).  Its
``ETag`` is a hash of that representation as the caller sees it, so any change a client could
notice — a title, a note, a citation added, moved or removed — gives a new ETag.

- ``@resource.tagged()`` on an operation whose 2xx body *is* the representation (its GET, and
  the writes that answer the changed object) answers ``ETag``.
- ``@resource.guarded(param)`` on an operation that changes the resource: if the request sends
  ``If-Match``, the resource's row is locked, its current ETag computed and compared; a stale
  one answers **412** problem details with rule ``API-ETAG`` and nothing is changed.  The check
  and the write are one transaction, so two clients holding the same ETag cannot both write.
  Without ``If-Match`` the operation behaves as before (last write wins).  ``If-Match: *``
  matches any current version.

Both document themselves in the OpenAPI (the ``If-Match`` parameter, the ``ETag`` header and
the 412 answer); nothing needs to be repeated per endpoint.
"""
from __future__ import annotations

import functools
import hashlib
import inspect
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.http import HttpResponse
from ninja.decorators import _apply_decorators
from ninja.responses import Status
from ninja.utils import contribute_operation_callback

from syllabus.core.errors import RuleViolation


RULE = "API-ETAG"
_ETAG_ATTR = "_syllabus_etag"

IF_MATCH_CHARS = 200  # a few ETags (``"l1-…"``, comma-separated) at most; longer: 400 API-ETAG (api.middleware)
ETAG_HEADER = {"ETag": {"description": "The version of the returned list or citation; send it as `If-Match` "
                                       "to change it only if nobody else has (API-ETAG).",
                        "schema": {"type": "string"}}}


def etag_of(representation: Any) -> str:
    """A strong ETag of a JSON representation (the same data always gives the same tag)."""
    raw = json.dumps(representation, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder)
    return '"' + hashlib.sha256(raw.encode()).hexdigest()[:32] + '"'


def _matches(header: str, current: str) -> bool:
    """RFC 9110 §13.1.1: strong comparison; ``*`` matches any current representation."""
    tags = [t.strip() for t in header.split(",") if t.strip()]
    return "*" in tags or current in tags


def _set_etag(run: Callable) -> Callable:
    """Copy the ETag an inner view recorded onto the final 2xx response."""

    @functools.wraps(run)
    def wrapper(request, *args, **kwargs):
        response = run(request, *args, **kwargs)
        tag = getattr(request, _ETAG_ATTR, None)
        if tag and isinstance(response, HttpResponse) and 200 <= response.status_code < 300 and response.status_code != 204:
            response["ETag"] = tag
        return response

    return wrapper


def _document(operation, extra: dict) -> None:
    merged = dict(operation.openapi_extra or {})
    for key, value in extra.items():
        if key == "parameters":
            merged["parameters"] = [*merged.get("parameters", []), *value]
        elif key == "responses":
            merged["responses"] = {**merged.get("responses", {}), **value}
        else:
            merged[key] = value
    operation.openapi_extra = merged


def _on_operation(view: Callable, wrapper: Callable, callback: Callable) -> Callable:
    """Make ``wrapper`` stand for ``view`` to ninja: the view's signature with its annotations
    resolved in the view's module (the router's ``Id``, schemas...), plus ``callback`` run on the
    operation it becomes."""
    functools.update_wrapper(wrapper, view)
    wrapper.__signature__ = inspect.signature(view, eval_str=True)  # type: ignore[attr-defined]
    contribute_operation_callback(wrapper, callback)
    return wrapper


@dataclass(frozen=True)
class Versioned:
    """A resource with a GET representation that clients may edit conditionally."""

    name: str  # "list", "citation"
    render: Callable[[Any, int], Any]  # (user, pk) → the GET representation (what the client sees)
    lock: Callable[[int], Any]  # pk → lock the rows its edits touch (``select_for_update``)

    def tag(self, user, pk: int) -> str:
        return etag_of(self.render(user, pk))

    def tagged(self) -> Callable[[Callable], Callable]:
        """The operation's 2xx body is this resource's representation: answer its ``ETag``."""

        def decorator(view: Callable) -> Callable:
            def wrapper(request, *args, **kwargs):
                result = view(request, *args, **kwargs)
                value = result.value if isinstance(result, Status) else result
                if not isinstance(value, HttpResponse) and value is not None:
                    setattr(request, _ETAG_ATTR, etag_of(value))
                return result

            def contribute(operation) -> None:
                if _set_etag not in getattr(operation, "_run_decorators", []):
                    _apply_decorators((_set_etag,), operation)
                codes = [c for c in operation.response_models if 200 <= c < 300 and c != 204]
                _document(operation, {"responses": {c: {"headers": ETAG_HEADER} for c in codes}})

            return _on_operation(view, wrapper, contribute)

        return decorator

    def guarded(self, param: str, resolve: Callable[[int], int | None] | None = None) -> Callable[[Callable], Callable]:
        """The operation changes this resource: honour ``If-Match`` (412 API-ETAG when stale).

        ``param`` names the path parameter; ``resolve`` maps its value to the resource's pk
        (a section id to its list), ``None`` when there is no such object (the view answers 404).
        """

        def decorator(view: Callable) -> Callable:
            def wrapper(request, *args, **kwargs):
                expected = request.headers.get("If-Match")
                if expected is None:
                    return view(request, *args, **kwargs)
                pk = kwargs[param] if resolve is None else resolve(kwargs[param])
                if pk is None:
                    return view(request, *args, **kwargs)
                with transaction.atomic():
                    self.lock(pk)
                    current = self.tag(request.user, pk)  # 404/403 as the GET would answer
                    if not _matches(expected, current):
                        raise RuleViolation(
                            RULE, f"this {self.name} changed since you read it (If-Match {expected.strip()}, "
                                  f"current ETag {current}): GET it again and retry", status=412)
                    return view(request, *args, **kwargs)

            def contribute(operation) -> None:
                _document(operation, {
                    "parameters": [{
                        "in": "header", "name": "If-Match", "required": False,
                        "schema": {"type": "string", "maxLength": IF_MATCH_CHARS},
                        "description": f"The `ETag` of the {self.name} as you last read it: the change is made only "
                                       f"if it is still current, otherwise 412 (API-ETAG). Without it, the change "
                                       f"is made whatever the current version (last write wins).",
                    }],
                    "responses": {412: {"description": f"`If-Match` is not the {self.name}'s current `ETag` "
                                                       f"(API-ETAG): nothing was changed."}},
                })

            return _on_operation(view, wrapper, contribute)

        return decorator
