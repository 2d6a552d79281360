"""DIG-3: which copyright statuses a list's editors may set themselves.

The institution's copyright options live with digitization and copyright clearance (the
fulfillment app, above this one); it registers the answer here at start-up, so that the lists
app asks without importing it::

    from syllabus.lists.copyright_policy import register_editor_statuses
    register_editor_statuses(lambda institution: {"", "fair_use"})

Unregistered, editors may choose the statuses that need no clearance.
"""
from __future__ import annotations

from collections.abc import Callable

from .models import CopyrightStatus

NO_CLEARANCE_NEEDED = frozenset({CopyrightStatus.NOT_DETERMINED, CopyrightStatus.SELF_DECLARED,
                                 CopyrightStatus.FAIR_USE, CopyrightStatus.CREATIVE_COMMONS})

_provider: Callable[[object], set[str]] | None = None


def register_editor_statuses(provider: Callable[[object], set[str]]) -> Callable[[object], set[str]]:
    global _provider
    _provider = provider
    return provider


def editor_statuses(institution) -> set[str]:
    return set(_provider(institution)) if _provider is not None else set(NO_CLEARANCE_NEEDED)
