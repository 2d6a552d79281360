"""Hooks: how a lower app lets higher apps plug in without importing them (docs/DEVELOPING.md,
"Every registry an app plugs into").

The lower app declares ``CHECKS: Hooks[Check] = Hooks()`` and calls the hooks where it needs them;
a higher app adds its own from its ``AppConfig.ready`` (or a module the lower app loads) with
``CHECKS.register``, which also serves as a decorator.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

F = TypeVar("F", bound=Callable)


class Hooks(list[F], Generic[F]):
    """The callables higher apps registered, in the order they did."""

    def register(self, hook: F) -> F:
        """Add ``hook`` once (a ``ready()`` run twice adds nothing) and give it back."""
        if hook not in self:
            self.append(hook)
        return hook
