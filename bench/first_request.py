"""One fresh process's first request (session 24): run by bench_term_start as a subprocess, a new worker
each time — ``python -m bench.first_request URL USERNAME [--warm]``.  Django set up as a worker of
``syllabus serve`` loads it (the application built), then, with ``--warm``, ``core.wsgi.warm_up`` as the
worker calls it before it takes a connection; the reader signed in (not timed); then the first request
and a second one with every cache emptied (a cold page in a worker that has served before).  Prints one
JSON line: CPU and wall milliseconds of the warm-up and of both requests, statements, bytes."""
from __future__ import annotations

import json
import sys
import time


def main(argv: list[str]) -> None:
    url, username, warm = argv[0], argv[1], "--warm" in argv
    from bench.common import setup_django, statements

    setup_django("term_start")
    from django.conf import settings
    from django.core.cache import caches
    from django.test import Client

    from syllabus.core.wsgi import get_wsgi_application, warm_up
    from syllabus.org.models import User

    settings.ALLOWED_HOSTS = ["*"]
    get_wsgi_application()
    out: dict = {"warm": warm}
    c0, w0 = time.process_time(), time.perf_counter()
    if warm:
        warm_up()
    out["warm_up_cpu_ms"], out["warm_up_wall_ms"] = (time.process_time() - c0) * 1000, (time.perf_counter() - w0) * 1000
    client = Client()
    client.force_login(User.objects.get(username=username))
    for name in caches:
        caches[name].clear()
    for label in ("first", "again_cold"):
        c0, w0 = time.process_time(), time.perf_counter()
        with statements() as seen:
            response = client.get(url)
        out[f"{label}_cpu_ms"], out[f"{label}_wall_ms"] = (time.process_time() - c0) * 1000, (time.perf_counter() - w0) * 1000
        out[f"{label}_queries"], out["bytes"] = len(seen), len(response.content)
        assert response.status_code == 200, (url, response.status_code)
        for name in caches:
            caches[name].clear()
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
