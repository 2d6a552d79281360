"""Django's caches on the Redis of TEST_REDIS_URL, as several web workers share them at scale: the
tests of what must be seen by every worker (sessions, RATE-LIMIT counts).  A missing Redis fails
the test, never skips it."""
from __future__ import annotations

import os
from contextlib import contextmanager
from urllib.parse import urlparse

import pytest
from django.test import override_settings

REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@contextmanager
def shared_redis_cache(prefix: str, **settings):
    """Both cache aliases on Redis (keys under ``prefix`` and this process), cleared before and after;
    ``settings`` are overridden with them."""
    import redis

    u = urlparse(REDIS)
    try:
        redis.Redis(host=u.hostname, port=u.port or 6379, socket_connect_timeout=2).ping()
    except Exception as exc:  # noqa: BLE001
        pytest.fail(f"this test needs Redis at {u.hostname}:{u.port or 6379} (TEST_REDIS_URL): {exc}")
    caches = {alias: {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS,
                      "KEY_PREFIX": f"{prefix}-{alias}-{os.getpid()}"} for alias in ("default", "pages")}
    with override_settings(CACHES=caches, **settings):
        from django.core.cache import caches as handler

        handler["default"].clear()
        yield
        handler["default"].clear()
