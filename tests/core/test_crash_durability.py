"""Issue 18 (§12 "nothing is lost"): kill the server process (SIGKILL, no clean shutdown) during a
burst of writes; after a restart every write the server acknowledged is there, and nothing is
half-written.  Runs on the suite's database — SQLite (WAL) in one CI run, PostgreSQL in the other.

Each write is ``POST /api/v1/courses``: the course row, its instructor link and its audit entry in
one transaction.  "Half-written" would be a course without its instructor or its audit entry."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest
from django.db import connection

from syllabus.core import audit
from syllabus.courses.models import Course
from syllabus.org.services import create_api_token
from tests.independent import free_port as _free_port  # below the ephemeral range

pytestmark = pytest.mark.django_db(transaction=True)
WRITERS = 6
KILL_AFTER = 30  # acknowledged writes before the kill


def _server_env(tmp_path) -> dict:
    """The subprocess serves the very database this test uses."""
    db = connection.settings_dict
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(SYLLABUS_DATA_DIR=str(tmp_path), IN_PROCESS_RUNNER="0", WEB_THREADS=str(WRITERS), LOG_LEVEL="ERROR")
    if connection.vendor == "postgresql":
        auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
        env["DATABASE_URL"] = f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    else:
        env["SQLITE_PATH"] = str(db["NAME"])
    return env


def _start(env, port) -> subprocess.Popen:
    syllabus = os.path.join(os.path.dirname(sys.executable), "syllabus")
    server = subprocess.Popen([syllabus, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                if json.loads(r.read())["status"] == "ok":
                    return server
        except OSError:
            pass
        if server.poll() is not None:
            raise AssertionError(f"the server stopped: {server.stderr.read().decode()[-2000:]}")
        if time.monotonic() > deadline:
            server.kill()
            raise AssertionError("the server did not answer /healthz")
        time.sleep(0.3)


def _call(port, token, method, path, body=None):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method,
                                 data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.status, json.loads(r.read())


def test_killing_the_server_mid_burst_loses_no_acknowledged_write(tmp_path, librarian, instructor):
    _, token = create_api_token(librarian)
    env, port = _server_env(tmp_path), _free_port()
    server = _start(env, port)
    acknowledged: dict[str, int] = {}
    lock = threading.Lock()
    killed = threading.Event()

    def writer(n: int):
        for i in range(10_000):
            code = f"CRASH{n}-{i}"
            try:
                status, body = _call(port, token, "POST", "/api/v1/courses",
                                     {"code": code, "name": f"Burst {n}.{i}", "term": "2026F", "instructors": ["instructor"]})
            except (OSError, urllib.error.URLError):
                return  # the server is gone: the write was never acknowledged
            assert status == 201
            with lock:
                acknowledged[code] = body["id"]

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for t in threads:
        t.start()
    try:
        deadline = time.monotonic() + 120
        while len(acknowledged) < KILL_AFTER and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(server.pid, signal.SIGKILL)  # mid-burst: the writers are still sending
        killed.set()
        server.wait(timeout=10)
    finally:
        if server.poll() is None:
            server.kill()
        for t in threads:
            t.join(timeout=60)
    assert len(acknowledged) >= KILL_AFTER, "the burst did not get going"

    server = _start(env, port)  # restart on the same database
    try:
        for code, course_id in sorted(acknowledged.items()):
            status, course = _call(port, token, "GET", f"/api/v1/courses/{course_id}")
            assert status == 200 and course["code"] == code, code
        connection.close()  # read what the restarted server sees, on a fresh connection
        written = list(Course.objects.filter(code__startswith="CRASH").prefetch_related("instructors"))
        assert {c.code for c in written} >= set(acknowledged)
        for course in written:  # acknowledged or not: complete or absent, never half
            assert [u.username for u in course.instructors.all()] == ["instructor"], course.code
            assert audit.trail(course).filter(action="created").exists(), course.code
    finally:
        server.terminate()  # gunicorn stops gracefully (up to its 20 s graceful timeout)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            raise
