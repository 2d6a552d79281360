"""The one page-error layer: a refused request becomes a page (or an htmx fragment) naming the rule.

- :class:`~syllabus.core.errors.NotFound` → 404 (what the user may not know of);
- :class:`~syllabus.core.errors.PermissionDenied` → 403, another
  :class:`~syllabus.core.errors.RuleViolation` → its status (400, 409 ...), on
  ``web/refused.html``: the rule id and the detail, and a way back.

Apps decorate their views with :func:`rule_errors`; an htmx request may get a fragment of the
app's choosing instead (``htmx=lambda request, exc: response``; :func:`refusal_fragment` for a
status element beside the button).  A plain POST action that
redirects back uses :func:`flash_refusals`: the refusal becomes a message ("SRV-5: ...") on the
page it returns to.
"""
from __future__ import annotations

import functools
import logging
from collections.abc import Callable

from django.contrib import messages
from django.db import DataError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render

from syllabus.core.encryption import SecretUnreadable
from syllabus.core.errors import NotFound, PermissionDenied, RuleViolation
from syllabus.core.limits import KEV

from .htmx import is_htmx


def refusal(request, exc: RuleViolation, *, back_url: str = "", back_label: str = "", base: str = "web/base.html",
            status: int | None = None, heading: str = "", advice: tuple[str, ...] = (), testid: str = "",
            context: dict | None = None) -> HttpResponse:
    """The refusal page of ``exc`` (raises Http404 for a NotFound): titled "Not allowed" for a 401
    or 403 and "This could not be done" for any other refusal (a bad value is no missing right,
    session 21), or ``heading``; each line of ``advice`` is a paragraph under the rule, ``back_url``
    the way back."""
    if isinstance(exc, NotFound):
        raise Http404(exc.detail)
    status = status or exc.status
    return render(request, "web/refused.html", {"error": exc, "back_url": back_url, "back_label": back_label,
                                                "base_template": base, "heading": heading, "advice": advice,
                                                "testid": testid, "refused_status": status, **(context or {})},
                  status=status)


def refusal_fragment(request, exc: RuleViolation) -> HttpResponse:
    """An htmx request refused where the page keeps a status element beside the button for the
    answer (its ``hx-target``): the rule and the detail, said the one way (``{% rule_error %}``),
    in a line — answered 200 so that htmx swaps it in by its default configuration.  NotFound is a 404."""
    if isinstance(exc, NotFound):
        raise Http404(exc.detail)
    return render(request, "web/_refusal_inline.html", {"error": exc})


def _on_refusal(answer: Callable, catch: type[RuleViolation] = RuleViolation):
    """A decorator: the view's NotFound is a 404, any other ``catch`` (a :class:`RuleViolation`)
    becomes ``answer(request, exc, *args, **kwargs)``."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            try:
                return view(request, *args, **kwargs)
            except NotFound:
                raise Http404 from None
            except catch as exc:
                return answer(request, exc, *args, **kwargs)

        return wrapper

    return decorate


def rule_errors(view: Callable | None = None, *, htmx: Callable | None = None,
                catch: type[RuleViolation] = RuleViolation, flash: Callable[..., str] | None = None,
                **refusal_options):
    """Decorate a view: a :class:`RuleViolation` it raises (``catch``: only those of this kind)
    becomes :func:`refusal` (or, for an htmx request and when given, ``htmx(request, exc)``).
    With ``flash`` (a plain form post that goes back to a page): a refusal other than a missing
    right becomes the message "RULE: detail" and a redirect to ``flash(request, *args, **kwargs)``;
    a :class:`PermissionDenied` stays the refusal page (the page it would go back to refuses too)."""

    def answer(request, exc, *args, **kwargs):
        if htmx is not None and is_htmx(request):
            return htmx(request, exc)
        if flash is not None and not isinstance(exc, PermissionDenied):
            messages.error(request, str(exc))
            return redirect(flash(request, *args, **kwargs))
        return refusal(request, exc, **refusal_options)

    decorate = _on_refusal(answer, catch)
    return decorate(view) if view is not None else decorate


def not_found_is_404(view: Callable) -> Callable:
    """Decorate a view: a :class:`NotFound` it raises (the object is absent or hidden) is a 404;
    any other refusal goes on up."""

    def reraise(request, exc, *args, **kwargs):
        raise exc

    return _on_refusal(reraise, catch=NotFound)(view)


def flash_refusals(back: Callable[..., str]):
    """Decorate a POST action that answers with a redirect: a :class:`RuleViolation` becomes the
    message "RULE: detail" and a redirect to ``back(request, *args, **kwargs)``; NotFound a 404."""

    def answer(request, exc, *args, **kwargs):
        messages.error(request, str(exc))
        return redirect(back(request, *args, **kwargs))

    return _on_refusal(answer)


class DataErrorMiddleware:
    """The last line of defence of the pages (never a 500): a value the database refuses (a text
    longer than its column, on PostgreSQL) that no form or service refused first is a refusal page
    naming ``WEB-VALUE`` (400), not a server error; a stored secret that none of the configured keys
    opens is a ``SEC-KEY`` page (503) naming ``SYLLABUS_ENCRYPTION_KEYS``.  The transaction it broke is already rolled back;
    the missing ceiling is a bug, so it is logged.  The API answers its own problem (``API-VALUE``)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exc):
        if isinstance(exc, SecretUnreadable):   # SEC-KEY: a stored secret whose key the server lacks
            logging.getLogger("syllabus.web").error("%s", exc, exc_info=exc)
            if request.path.startswith("/api/"):
                from syllabus.api import problems

                return problems.response(exc.status, exc.detail, rule=exc.rule)
            return refusal(request, exc)
        if not isinstance(exc, DataError) or request.path.startswith("/api/"):
            return None
        logging.getLogger("syllabus.web").error("a value reached the database unrefused: %s", exc, exc_info=exc)
        return refusal(request, RuleViolation("WEB-VALUE", "a value is too long or out of range for where it is kept; "
                                                           "nothing was changed"), status=400)


def query_ceiling(chars: int):
    """Decorate a page (outermost) whose query values may be longer than KEV characters: an LTI
    login's ``lti_message_hint`` is a JWT of a few thousand.  The view bounds them itself."""

    def decorate(view):
        view.query_ceiling = chars
        return view

    return decorate


class QueryCeilingMiddleware:
    """Every value of a page's query string has a ceiling (the "never a 500" audit of session 10):
    at most KEV characters (1,000: the longest a page reads is an OpenURL title; a page says more
    with :func:`query_ceiling`) and no NUL character (PostgreSQL stores none), else a refusal page
    naming ``WEB-QUERY`` and the parameter (400) before the view runs.  A view's own tighter rule (DSV-6 for an OpenURL) applies under it;
    Django bounds how many values one request brings (``DATA_UPLOAD_MAX_NUMBER_FIELDS``).  The API
    declares each parameter's ceiling itself."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view, args, kwargs):
        if request.path.startswith("/api/"):
            return None
        ceiling = getattr(view, "query_ceiling", KEV)
        for key, values in request.GET.lists():
            if len(key) > ceiling or any(len(v) > ceiling for v in values):
                return refusal(request, RuleViolation("WEB-QUERY", f"{key[:40]}: at most {ceiling} characters",
                                                      field=key[:40]), status=400)
            if "\x00" in key or any("\x00" in v for v in values):   # no text holds one; PostgreSQL refuses it
                return refusal(request, RuleViolation("WEB-QUERY", f"{key[:40]!r}: a NUL character is not text",
                                                      field=key[:40]), status=400)
        return None
