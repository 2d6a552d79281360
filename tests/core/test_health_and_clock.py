import datetime as dt
from unittest import mock

from django.db.utils import OperationalError

from syllabus.core import clock as clock_module


def test_healthz_ok(client, db):
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok", "database": "ok"}


def test_healthz_503_when_the_database_is_down(client, db):
    with mock.patch("django.db.backends.utils.CursorWrapper.execute", side_effect=OperationalError("down")):
        r = client.get("/healthz")
    assert r.status_code == 503 and r.json()["database"] == "error"


def test_the_clock_can_be_moved(clock):
    start = clock.now()
    clock.advance(dt.timedelta(days=2))
    assert clock.now() - start == dt.timedelta(days=2)
    with clock_module.travel(dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc)):
        assert clock.now().year == 2030
    assert clock.now() - start == dt.timedelta(days=2)


def test_tick_runs_every_registered_sweep(clock):
    from syllabus.core import tasks

    seen = []
    tasks.periodic("test-sweep")(lambda now: seen.append(now) or 1)
    try:
        assert tasks.run_tick()["test-sweep"] == 1
        assert seen == [clock.now()]
    finally:
        tasks._SWEEPS.pop("test-sweep")


def test_postgresql_connections_give_up_after_a_timeout_so_healthz_can_answer_503():
    """A PostgreSQL server that drops packets must not hang /healthz (and the worker) forever."""
    import json
    import os
    import subprocess
    import sys

    env = {**os.environ, "DATABASE_URL": "postgres://u@db.example:5432/x", "DJANGO_SETTINGS_MODULE": "syllabus.settings"}
    out = subprocess.run([sys.executable, "-c", "import json; from django.conf import settings; "
                          "print(json.dumps(settings.DATABASES['default']['OPTIONS']))"],
                         env=env, capture_output=True, text=True, check=True).stdout
    assert json.loads(out)["connect_timeout"] == 5
