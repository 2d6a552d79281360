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


def test_after_an_upgrade_no_worker_reads_the_previous_codes_pages(tmp_path):
    """A page kept in Redis by one version of the code is not served by a worker running another:
    the shared caches' prefix carries the code's digest (a changed template gives another)."""
    from pathlib import Path

    import syllabus
    from syllabus.codeversion import code_digest

    package = Path(syllabus.__file__).parent
    templates = tmp_path / "syllabus" / "templates"
    templates.mkdir(parents=True)
    (templates / "view.html").write_text("<p>{{ list.title }}</p>")
    (tmp_path / "syllabus" / "models.py").write_text("X = 1\n")
    before = code_digest(tmp_path / "syllabus")
    (templates / "view.html").write_text("<p class=title>{{ list.title }}</p>")
    assert code_digest(tmp_path / "syllabus") != before
    (templates / "view.html").write_text("<p>{{ list.title }}</p>")
    assert code_digest(tmp_path / "syllabus") == before  # same code, same prefix: workers share
    (tmp_path / "syllabus" / "__pycache__").mkdir()
    (tmp_path / "syllabus" / "__pycache__" / "models.cpython-311.pyc").write_bytes(b"\0compiled")
    assert code_digest(tmp_path / "syllabus") == before  # byte-compiling does not change the version

    probe = "import django; django.setup(); from django.conf import settings; " \
            "print(settings.CACHES['default']['KEY_PREFIX'], settings.CACHES['pages']['KEY_PREFIX'])"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "syllabus.settings", "CACHE_URL": REDIS}
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    digest = code_digest(package)
    assert out.stdout.split() == [f"syllabus-{digest}", f"syllabus-pages-{digest}"]
