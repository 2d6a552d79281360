"""Timers and background jobs.

Timers are data: a due time on a row.  Each app registers an idempotent sweep with
:func:`periodic` (several at once: :func:`register_sweeps`); ``tick(now)`` runs every sweep once.  At scale Celery beat calls the
``syllabus.core.tasks.tick`` task every ``TICK_SECONDS``; in the embedded default the
in-process runner (:mod:`syllabus.core.runner`) does, and ``syllabus tick`` does by hand.

Background jobs use :func:`enqueue`: after the current transaction commits, the Celery task
is sent to the broker (or, without a broker, run eagerly in-process).
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from celery import shared_task
from django.db import transaction
from django.utils.module_loading import autodiscover_modules

from . import clock

log = logging.getLogger("syllabus.tick")
_SWEEPS: dict[str, Callable] = {}
_discovered = False


def periodic(name: str):
    """Register ``func(now) -> int`` (number of things it moved) as a timer sweep."""

    def decorator(func: Callable) -> Callable:
        _SWEEPS[name] = func
        return func

    return decorator


def register_sweeps(table: dict[str, Callable]) -> None:
    """Register several sweeps at once, ``{name: func(now) -> int}``: an app whose sweeps are its
    services' own functions names them in one table instead of wrapping each in a function."""
    for name, func in table.items():
        periodic(name)(func)


def sweeps() -> dict[str, Callable]:
    global _discovered
    if not _discovered:
        autodiscover_modules("tasks")
        _discovered = True
    return dict(_SWEEPS)


def run_tick(now=None) -> dict[str, int]:
    """Run every registered sweep once at ``now``; returns how much each one moved."""
    now = now or clock.now()
    moved: dict[str, int] = {}
    for name, sweep in sorted(sweeps().items()):
        try:
            moved[name] = int(sweep(now) or 0)
        except Exception:  # one broken sweep must not stop the others
            log.exception("sweep %s failed", name)
            moved[name] = -1
    return moved


@shared_task(name="syllabus.core.tasks.tick")
def tick() -> dict[str, int]:
    return run_tick()


def enqueue(task, *args, **kwargs) -> None:
    """Send a Celery task once the surrounding transaction has committed."""
    transaction.on_commit(lambda: task.delay(*args, **kwargs))
