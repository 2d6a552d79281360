"""Request options on a record page (seam): other apps add what a patron may ask for —
a hold (SRV-5), a digitization request (DIG-5), a digital loan (LDL-3) — without editing
the catalog's templates.

    from syllabus.catalog.actions import register

    register("hold", _("Place a hold"), lambda record, user: reverse("fulfillment:hold", args=[record.pk]),
             when=lambda record, user: any(i.status == "in_place" for i in record.items.all()), order=10)

``url`` returns the link (or None to hide it); ``when`` decides whether it shows at all.
``record.items`` / ``record.representations`` are prefetched on the record page.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from django.utils.module_loading import autodiscover_modules


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


def actions_for(record, user) -> list[dict]:
    global _loaded
    if not _loaded:
        autodiscover_modules("record_actions")
        _loaded = True
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
