"""Request options on a record page (seam): other apps add what a patron may ask for —
a hold (SRV-5), a digitization request (DIG-5), a digital loan (LDL-3) — without editing
the catalog's templates.

    from syllabus.catalog.actions import register

    register("hold", _("Place a hold"), lambda record, user: reverse("fulfillment:hold", args=[record.pk]),
             when=lambda record, user: any(i.status == "in_place" for i in record.items.all()), order=10)

``url`` returns the link (or None to hide it); ``when`` decides whether it shows at all.
``record.items`` / ``record.representations`` are prefetched on the record page.

Badges on search results (same seam, same ``record_actions`` modules): an app adds a status
to each result row — the digital loan availability for staff (LDL-14) — computed once per page:

    register_result_badges("loan", lambda records, user: {record.pk: ("available", _("Available"))})

Next steps on the link resolver's Find it page (DSV-6, same seam, same modules): what a reader
can do when no library of the consortium has the title — suggest a purchase (SRV-3):

    register_next_step("suggest", _("Suggest the library buy it"), lambda result, user: url, when=..)

``result`` is the :class:`catalog.resolver.Resolution` (``result.kev`` is the OpenURL of the
citation); ``when`` is asked only when nothing is held (:func:`held`) — unless the step says
``when_held=True``: the consortium's inter-library loan request is offered when the reader's own
institution has no copy available, whoever else holds it, and decides that in its ``when``.
A step with ``advice=True`` stands for the page's "ask your library" advice, which then goes.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable

from django.utils.module_loading import autodiscover_modules

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RecordAction:
    code: str
    label: object
    url: Callable
    when: Callable
    order: int = 50


ACTIONS: dict[str, RecordAction] = {}
_loaded = False


def register(code: str, label, url: Callable, *, when: Callable = lambda record, user: True, order: int = 50) -> RecordAction:
    action = RecordAction(code, label, url, when, order)
    ACTIONS[code] = action
    return action


#: code → ``badges(records, user) -> {record_id: (css_class, label)}``, called once per page of results
RESULT_BADGES: dict[str, Callable] = {}


def register_result_badges(code: str, badges: Callable) -> None:
    RESULT_BADGES[code] = badges


def _discover() -> None:
    global _loaded
    if not _loaded:
        autodiscover_modules("record_actions")
        _loaded = True


def decorate_results(records: list, user) -> None:
    """Set ``record.result_badges`` (``[{"code", "css", "label"}]``) on a page of search results."""
    _discover()
    for record in records:
        record.result_badges = []
    for code in sorted(RESULT_BADGES):
        try:
            found = RESULT_BADGES[code](records, user) if records else {}
        except Exception:  # a broken badge must not break the search page
            log.exception("result badges %s failed", code)
            continue
        for record in records:
            if record.pk in found:
                css, label = found[record.pk]
                record.result_badges.append({"code": code, "css": css, "label": label})


@dataclass(frozen=True)
class NextStep:
    code: str
    label: object
    url: Callable
    when: Callable
    hint: object = ""
    order: int = 50
    when_held: bool = False
    advice: bool = False


NEXT_STEPS: dict[str, NextStep] = {}


def register_next_step(code: str, label, url: Callable, *, hint="", when: Callable = lambda result, user: True,
                       order: int = 50, when_held: bool = False, advice: bool = False) -> NextStep:
    step = NextStep(code, label, url, when, hint, order, when_held, advice)
    NEXT_STEPS[code] = step
    return step


def held(result) -> bool:
    """Some library of the consortium has the title: a copy on a shelf, an e-resource or a
    digital representation (a DOI or a web address alone is nobody's holding)."""
    return bool(result.holdings) or any(link.kind in ("eresource", "representation") for link in result.fulltext)


def _offered(options: dict, subject, user) -> list[tuple]:
    """(option, url) for each registered option that applies to ``subject`` for ``user``, in order;
    a broken option is logged and left out, never breaking the page that offers it."""
    _discover()
    out = []
    for option in sorted(options.values(), key=lambda o: (o.order, o.code)):
        try:
            url = option.url(subject, user) if option.when(subject, user) else None
        except Exception:
            log.exception("option %s failed", option.code)
            continue
        if url:
            out.append((option, url))
    return out


def next_steps_for(result, user) -> list[dict]:
    """The next steps a reader is offered on Find it when no library holds the title (DSV-6), and
    those that decide for themselves when a library does (``when_held``)."""
    steps = NEXT_STEPS if not held(result) else {c: s for c, s in NEXT_STEPS.items() if s.when_held}
    return [{"code": s.code, "label": s.label, "url": url, "hint": s.hint, "advice": s.advice}
            for s, url in _offered(steps, result, user)]


def next_step(code: str, result, user) -> str | None:
    """The address of the next step ``code`` when Find it would offer it to ``user`` for ``result``
    (a :class:`~syllabus.catalog.resolver.Resolution`), else None: another page offers the same step
    (acquisitions' *My purchase requests* offers a declined suggestion's inter-library loan)."""
    _discover()
    step = NEXT_STEPS.get(code)
    if step is None or (held(result) and not step.when_held):
        return None
    offered = _offered({code: step}, result, user)
    return offered[0][1] if offered else None


def actions_for(record, user) -> list[dict]:
    return [{"code": a.code, "label": a.label, "url": url} for a, url in _offered(ACTIONS, record, user)]
