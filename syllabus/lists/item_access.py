"""Where each item of a list leads (SRV-1, SRV-5, DSV-6): the ``access`` of a citation, put
together by the apps that know — physical copies and e-resources (catalog, through the
circulation app), delivered scans (fulfillment), long-term digital loans (lending), holds and
personal copies (circulation).  The lists app only gathers the parts; it knows none of them.

A provider is called **once per page** with every citation shown, and answers in a constant
number of queries::

    from syllabus.lists.item_access import register

    def scans(user, citations) -> dict[int, dict]:
        ...   # {citation_id: {"online": [...]}}
    register("scans", scans, order=30)

Parts merge per citation: lists are concatenated (``physical``, ``online``), other keys are
set (the first provider to set one wins).  Providers live in ``<app>/item_access.py``
(discovered on first use).  What a provider returns must be the same for every person who
sees the list; what belongs to one person (their hold, their place in a queue, their done
mark) goes under ``"mine"`` — pages render that part separately, outside any shared cache.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.module_loading import autodiscover_modules

LIST_KEYS = ("physical", "online")


@dataclass(frozen=True)
class Provider:
    name: str
    fn: Callable  # (user, citations) -> {citation_id: dict}
    order: int = 50


PROVIDERS: dict[str, Provider] = {}
_loaded = False


def register(name: str, fn: Callable, *, order: int = 50) -> Provider:
    provider = Provider(name, fn, order)
    PROVIDERS[name] = provider
    return provider


def providers() -> list[Provider]:
    global _loaded
    if not _loaded:
        autodiscover_modules("item_access")
        _loaded = True
    return sorted(PROVIDERS.values(), key=lambda p: (p.order, p.name))


def empty() -> dict:
    return {"physical": [], "online": [], "mine": {}}


def access_for(user, citations) -> dict[int, dict]:
    """``{citation_id: access}`` for every citation, each provider called once."""
    citations = list(citations)
    out = {c.pk: empty() for c in citations}
    if not citations:
        return out
    for provider in providers():
        for pk, part in (provider.fn(user, citations) or {}).items():
            target = out.get(pk)
            if target is None:
                continue
            for key, value in part.items():
                if key in LIST_KEYS:
                    target[key].extend(value)
                elif key == "mine":
                    target["mine"].update(value)
                else:
                    target.setdefault(key, value)
    return out


def attach(user, citations) -> None:
    """Set ``citation.item_access`` on each citation (pages)."""
    citations = list(citations)
    found = access_for(user, citations)
    for c in citations:
        c.item_access = found.get(c.pk) or empty()
