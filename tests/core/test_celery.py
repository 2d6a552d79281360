"""At scale, timers run on Celery: the `tick` task goes through a real Redis broker to a worker."""
import os
import socket
import time
import urllib.parse

import pytest
from kombu import Connection
from celery.contrib.testing.worker import start_worker

from syllabus.celery import app
from syllabus.core import tasks

REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _require_redis():
    u = urllib.parse.urlparse(REDIS)
    try:
        socket.create_connection((u.hostname, u.port or 6379), timeout=3).close()
    except OSError as exc:
        pytest.fail(f"this test needs Redis at {u.hostname}:{u.port or 6379} (TEST_REDIS_URL): {exc}")


@pytest.mark.django_db(transaction=True)
def test_tick_runs_on_a_celery_worker_through_redis():
    _require_redis()
    seen = []
    tasks.periodic("celery-probe")(lambda now: seen.append(now) or 3)
    app.conf.update(broker_url=REDIS, task_always_eager=False, broker_connection_retry_on_startup=False)
    app._pool = None  # forget a producer pool made for the memory broker
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING"):
            # publish on a connection of our own: a producer pool cached by an earlier test of this
            # process may still point at the in-memory broker
            with Connection(REDIS) as connection:
                app.send_task("syllabus.core.tasks.tick", connection=connection)
            deadline = time.monotonic() + 120  # a correctness check, not a timing one: a loaded CI machine is slow
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
