"""At scale, ``CACHE_URL`` shares one cache between worker processes (Django's Redis backend), so a
rendering of the student view made by one worker serves every worker; without it, each process
keeps its own in-memory cache. A wrong URL stops the start with a message naming the setting."""
import os
import subprocess
import sys
import uuid

from tests.core.test_celery import REDIS, _require_redis

PROBE = """
import django, sys
django.setup()
from django.conf import settings
from django.core.cache import cache
print(settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1])
key = sys.argv[2]
if sys.argv[1] == "set":
    cache.set(key, "rendered by another worker", 60)
else:
    print(cache.get(key, "missing"))
"""


def _run(step: str, key: str, cache_url: str | None):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "syllabus.settings"}
    env.pop("CACHE_URL", None)
    if cache_url is not None:
        env["CACHE_URL"] = cache_url
    return subprocess.run([sys.executable, "-c", PROBE, step, key], env=env, capture_output=True, text=True, timeout=120)


def test_workers_share_the_cache_through_redis():
    _require_redis()
    key = f"probe-{uuid.uuid4().hex}"
    first = _run("set", key, REDIS)
    assert first.returncode == 0, first.stderr
    second = _run("get", key, REDIS)
    assert second.returncode == 0, second.stderr
    assert second.stdout.split()[0] == "RedisCache"
    assert "rendered by another worker" in second.stdout


def test_without_cache_url_each_process_keeps_its_own():
    key = f"probe-{uuid.uuid4().hex}"
    assert _run("set", key, None).returncode == 0
    second = _run("get", key, None)
    assert second.stdout.split() == ["LocMemCache", "missing"]


def test_a_wrong_cache_url_is_refused_by_name():
    result = _run("get", "k", "memcached://127.0.0.1:11211")
    assert result.returncode != 0 and "CACHE_URL must be a redis://" in result.stderr
