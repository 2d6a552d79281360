"""In-process CPU and queries of the bench's student view (issue 19), warm cache, no HTTP:
``.venv/bin/python bench/view_inprocess.py`` (``DATABASE_URL`` for PostgreSQL; ``N`` requests,
``PROF=cumulative`` for a cProfile of 100 more (``PROFCLOCK=cpu``: of CPU time), ``SHOWQ=1`` to print one request's SQL).
CPU time (time.process_time) per view is what to compare on a loaded machine."""
import cProfile
import os
import pstats
import sys
import time

sys.path.insert(0, os.getcwd())
os.environ.setdefault("SYLLABUS_DATA_DIR", "/tmp/syllabus-view-inprocess")

from bench.common import setup_django  # noqa: E402

setup_django("view_inprocess")

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from bench.bench_http import _fixture  # noqa: E402
from syllabus.org.models import User  # noqa: E402

settings.ALLOWED_HOSTS = ["*"]
data = _fixture()
client = Client()
client.force_login(User.objects.get(pk=data["student"]))
url = f"/lists/{data['view41']}/"
for _ in range(5):
    assert client.get(url).status_code == 200
n = int(os.environ.get("N", "300"))
statements: list[str] = []


def _count(execute, sql, params, many, context):
    statements.append(sql)
    return execute(sql, params, many, context)


with connection.execute_wrapper(_count):
    size = len(client.get(url).content)
if os.environ.get("SHOWQ"):
    for sql in statements:
        print(sql[:300])
start, wall = time.process_time(), time.perf_counter()
for _ in range(n):
    client.get(url)
cpu = (time.process_time() - start) / n * 1000
wall = (time.perf_counter() - wall) / n * 1000
print(f"{connection.vendor}: {cpu:.2f} ms CPU/view, {wall:.2f} ms wall/view, {len(statements)} queries/view, {size} bytes, "
      f"load average {os.getloadavg()[0]:.2f}")
if os.environ.get("PROF"):
    # PROFCLOCK=cpu: the profile counts CPU time (time.process_time), not time waiting for the database
    profile = cProfile.Profile(time.process_time) if os.environ.get("PROFCLOCK") == "cpu" else cProfile.Profile()
    profile.enable()
    for _ in range(100):
        client.get(url)
    profile.disable()
    pstats.Stats(profile).sort_stats(os.environ["PROF"]).print_stats(45)
