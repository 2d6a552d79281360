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


def actions_for(record, user) -> list[dict]:
    _discover()
    out = []
    for action in sorted(ACTIONS.values(), key=lambda a: (a.order, a.code)):
        try:
            if not action.when(record, user):
                continue
            url = action.url(record, user)
        except Exception:  # a broken option must not break the record page
            continue
        if url:
            out.append({"code": action.code, "label": action.label, "url": url})
    return out
