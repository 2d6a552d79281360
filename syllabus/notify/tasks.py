"""Background entry points of the outbox.

- ``deliver_outbox`` — the Celery task (at scale: sent on commit of every transaction that
  queued letters, see :func:`syllabus.notify.delivery.kick`);
- the ``deliver_outbox`` sweep — run by every tick (Celery beat, the in-process runner,
  ``syllabus tick``): catches retries whose backoff has passed and leases that ran out.
Both are idempotent and safe to run concurrently.
"""
from __future__ import annotations

from celery import shared_task

from syllabus.core.tasks import periodic

from .delivery import deliver_due


@shared_task(name="syllabus.notify.tasks.deliver_outbox")
def deliver_outbox() -> dict:
    return deliver_due().as_dict()


@periodic("deliver_outbox")
def sweep(now) -> int:
    return deliver_due(now).sent
