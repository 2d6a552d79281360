"""The usage port (ANL-1): where a lower app says "a reader did this", without knowing who keeps it.

A page or service of any app calls :func:`record` (``record("file_download", user,
citation_id=c.pk, list_id=c.resource_list_id)``); until a recorder is provided it does nothing.
The analytics app provides one from its ``AppConfig.ready`` (``provide(fn)``) that buffers the
events of a request and writes them in one INSERT after the response (ANL-1: recording never
slows a page).  Kinds: ``list_view``, ``item_open``, ``file_download``, ``findit_click``,
``marked_done``.
"""
from __future__ import annotations

from collections.abc import Callable

_recorder: Callable | None = None


def provide(recorder: Callable | None) -> None:
    """Install ``recorder(kind, user, **attributes)`` (``None`` removes it)."""
    global _recorder
    _recorder = recorder


def record(kind: str, user, **attributes) -> None:
    """Report one usage event; a no-op when no recorder is installed."""
    if _recorder is not None:
        _recorder(kind, user, **attributes)
