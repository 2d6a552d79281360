"""Steps on one object, declared as table rows (issue 17: one way per concern).

Most writing operations of the API have one shape: find the object named by the path (404 or
403 as its GET would answer), call one service with the caller, the object and the request's
inputs, and answer the object as a fresh GET would.  A :class:`Resource` holds what is
particular to one kind of object (its path parameter, how to find it, how it answers, the
decorators its edits carry, such as ``ETag``/``If-Match``); :meth:`Resource.step` declares one
operation from a row: method, path, name, summary, the service call and its inputs.

The operation is an ordinary ninja view: its id and URL come from the method and path, its
summary from the row, its parameters from ``inputs`` — the OpenAPI is what the hand-written
view gave.
"""
from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ninja import Router, Status

from .fields import Id


def view(name: str, run: Callable[..., Any], params: dict[str, Any]) -> Callable[..., Any]:
    """A view called ``name`` that ninja reads as ``(request, <params>)`` and that calls
    ``run(request, **params)``; ``params`` maps a parameter to its annotation, or to
    ``(annotation, default)``."""

    def operation(request, **kwargs):
        return run(request, **kwargs)

    parameters = [inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    for key, spec in params.items():
        annotation, default = spec if isinstance(spec, tuple) else (spec, inspect.Parameter.empty)
        parameters.append(inspect.Parameter(key, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                            annotation=annotation, default=default))
    operation.__name__ = operation.__qualname__ = name
    operation.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    return operation


@dataclass(frozen=True)
class Resource:
    """A kind of object the API changes by id: ``/lists/{list_id}``, ``/citations/{citation_id}``."""

    router: Router
    param: str                                    # the path parameter, "list_id"
    find: Callable[[Any, int], Any]               # (user, pk) → the object; raises NotFound / PermissionDenied
    render: Callable[[Any, int], Any]             # (user, pk) → its representation after the step
    response: Any                                 # the representation's schema
    errors: dict[int, Any] = field(default_factory=dict)  # declared error responses, as the router declares them
    edits: Sequence[Callable[[Callable], Callable]] = ()  # decorators of every step, outermost first
    answers: Sequence[Callable[[Callable], Callable]] = ()  # decorators of the steps that answer the object

    def read(self, path: str, *, name: str, summary: str) -> Callable[..., Any]:
        """Declare ``GET path``: the object's representation."""
        return self._declare("get", path, name, summary, lambda request, **kwargs: self.render(request.user, kwargs[self.param]),
                             {}, self.answers, {200: self.response})

    def step(self, method: str, path: str, *, name: str, summary: str,
             act: Callable[..., Any], inputs: dict[str, Any] | None = None, empty: bool = False) -> Callable[..., Any]:
        """Declare ``method path``: find the object, ``act(user, obj, **inputs)``, answer the object
        (or ``204`` with no body when ``empty``)."""

        def run(request, **kwargs):
            pk = kwargs.pop(self.param)
            act(request.user, self.find(request.user, pk), **kwargs)
            return Status(204, None) if empty else self.render(request.user, pk)

        if empty:
            return self._declare(method, path, name, summary, run, inputs or {}, self.edits, {204: None})
        return self._declare(method, path, name, summary, run, inputs or {}, [*self.answers, *self.edits], {200: self.response})

    def _declare(self, method: str, path: str, name: str, summary: str, run: Callable[..., Any], inputs: dict[str, Any],
                 decorators: Sequence[Callable[[Callable], Callable]], response: dict[int, Any]) -> Callable[..., Any]:
        operation = view(name, run, {self.param: Id, **inputs})
        for decorate in reversed(decorators):  # the first one outermost, as when written above a view
            operation = decorate(operation)
        declared: Any = {**response, **self.errors} if self.errors or 204 in response else response[200]
        return getattr(self.router, method)(path, response=declared, summary=summary)(operation)
