"""The usage port (ANL-1): where a lower app says "a reader did this", without knowing who keeps it.

A page or service of any app calls :func:`record` (``record(Kind.FILE_DOWNLOAD, user,
citation_id=c.pk, list_id=c.resource_list_id)``); until a recorder is provided it does nothing.
The analytics app provides one from its ``AppConfig.ready`` (``provide(fn)``) that buffers the
events of a request and writes them in one INSERT after the response (ANL-1: recording never
slows a page).  The kinds of action are the port's own vocabulary, :class:`Kind`: the callers
below analytics name them as members (checked by mypy), analytics stores them.
"""
from __future__ import annotations

from collections.abc import Callable

from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    """The reader actions ANL-1 counts."""

    LIST_VIEW = "list_view", _("List viewed")
    ITEM_OPEN = "item_open", _("Item opened")
    FILE_DOWNLOAD = "file_download", _("File downloaded")
    FINDIT_CLICK = "findit_click", _("Find it clicked")
    MARKED_DONE = "marked_done", _("Marked as done")


_recorder: Callable | None = None


def provide(recorder: Callable | None) -> None:
    """Install ``recorder(kind, user, **attributes)`` (``None`` removes it)."""
    global _recorder
    _recorder = recorder


def record(kind: Kind, user, **attributes) -> None:
    """Report one usage event; a no-op when no recorder is installed."""
    if _recorder is not None:
        _recorder(kind, user, **attributes)
