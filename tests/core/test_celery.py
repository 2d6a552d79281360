"""At scale, timers run on Celery: the `tick` task goes through a real Redis broker to a worker."""
import time

import pytest
from celery.contrib.testing.worker import start_worker

from syllabus.celery import app
from syllabus.core import tasks

REDIS = "redis://127.0.0.1:6379/15"


@pytest.mark.django_db(transaction=True)
def test_tick_runs_on_a_celery_worker_through_redis():
    seen = []
    tasks.periodic("celery-probe")(lambda now: seen.append(now) or 3)
    app.conf.update(broker_url=REDIS, task_always_eager=False, broker_connection_retry_on_startup=False)
    app._pool = None  # forget a producer pool made for the memory broker
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING"):
            app.send_task("syllabus.core.tasks.tick")
            deadline = time.monotonic() + 20
            while not seen and time.monotonic() < deadline:
                time.sleep(0.1)
        assert len(seen) == 1, "the worker did not run the tick task from the Redis queue"
    finally:
        tasks._SWEEPS.pop("celery-probe")
        app.conf.update(broker_url="memory://", task_always_eager=True)


def test_the_beat_schedule_sweeps_every_tick_seconds(settings):
    app.finalize()
    entries = {e["task"] if isinstance(e, dict) else e.task: e for e in app.conf.beat_schedule.values()}
    assert "syllabus.core.tasks.tick" in entries
