"""Celery application: at scale, background jobs and timers run here (``BROKER_URL``).

Without a broker, ``task_always_eager`` is on and the in-process runner
(``syllabus.core.runner``) calls the same task functions on a timer thread.
"""
from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "syllabus.settings")

app = Celery("syllabus")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def _schedule_periodic(sender, **kwargs):
    from django.conf import settings

    sender.add_periodic_task(settings.TICK_SECONDS, sender.signature("syllabus.core.tasks.tick"), name="tick")
