"""Checks that other apps add to the download of a citation's file, without this app knowing
them (e.g. digitization's copyright clearance windows, DIG-3/DIG-4)::

    from syllabus.lists.file_guards import register_file_guard
    register_file_guard(lambda user, citation: None)   # raise PermissionDenied to refuse;
                                                        # return a text to warn the reader
"""
from __future__ import annotations

from collections.abc import Callable

from syllabus.core.registry import Hooks

GUARDS: Hooks[Callable] = Hooks()
register_file_guard = GUARDS.register


def check(user, citation) -> str:
    """Run every guard (each may refuse by raising); the warnings they return, joined."""
    warnings = [w for w in (guard(user, citation) for guard in GUARDS) if w]
    return " ".join(warnings)
