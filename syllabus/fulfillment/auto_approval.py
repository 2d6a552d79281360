"""Checks that may stop the automatic approval of a digitization or copyright request (DIG-9).

Digitization sits below the apps that know about licences (acquisitions' CLA check, SRV-2), so
it declares this registry and those apps fill it at start-up::

    from syllabus.fulfillment.auto_approval import register
    register(lambda req: "CLA: scanning not permitted" if ... else None)

A check gets the unsaved request (its ``record``, ``citation``, ``institution`` and ``kind`` are
set) and returns a reason to stop auto-approval, or None.  A stopped request waits for a
Fulfillment Services Manager like a request under a blocking rule, with its copyright task pending."""
from __future__ import annotations

from collections.abc import Callable

from syllabus.core.registry import Hooks

CHECKS: Hooks[Callable] = Hooks()
register = CHECKS.register


def blocked(req) -> str | None:
    for check in CHECKS:
        reason = check(req)
        if reason:
            return str(reason)
    return None
