"""CPU of the parts of a warm student view (issue 19, session 12), without a profiler: cProfile
overstates many small calls 4–5×, so each part is timed with ``time.process_time`` around it,
in process, on the bench's list (``bench/view_inprocess.py``'s set-up)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_syl SYLLABUS_WEB_WORKER=1 .venv/bin/python bench/view_parts.py

``N`` views (2,000).  A part's time includes the parts it calls (they are listed too); a part
that calls itself again would be counted again, so none such is listed."""
from __future__ import annotations

import functools
import importlib
import os
import sys
import time

sys.path.insert(0, os.getcwd())
os.environ.setdefault("SYLLABUS_DATA_DIR", "/tmp/syllabus-view-inprocess")

from bench.common import setup_django  # noqa: E402

setup_django("view_inprocess")

from django.conf import settings  # noqa: E402
from django.test import Client  # noqa: E402

from bench.bench_http import _fixture  # noqa: E402
from syllabus.org.models import User  # noqa: E402

#: (module, attribute — ``Class.method`` for a method): the parts timed
PARTS = [
    ("django.core.handlers.base", "BaseHandler.get_response"),
    ("syllabus.core.sessions", "PreparedRead._get_session_from_db"),
    ("django.contrib.sessions.backends.base", "SessionBase.decode"),
    ("syllabus.web.middleware", "InstitutionLanguageMiddleware._choose"),
    ("syllabus.lists.selectors", "reader_list"),
    ("syllabus.lists.item_access", "stamps"),
    ("syllabus.lists.item_access", "stamp_values"),
    ("syllabus.core.prepared", "Prepared.bind"),
    ("syllabus.core.statements", "execute"),
    ("syllabus.lists.views", "_stamped_key"),
    ("syllabus.lists.views", "config_digest"),
    ("syllabus.lists.services", "view_settings"),
    ("syllabus.lists.templatetags.lists_tags", "reader_page_key"),
    ("syllabus.web.context_processors", "_menu"),
    ("syllabus.web.templatetags.web_tags", "menu_key"),
    ("syllabus.lists.templatetags.lists_tags", "reader_page"),
    ("syllabus.lists.templatetags.lists_tags", "fill_reader_page"),
    ("syllabus.core.usage", "record"),
    ("django.middleware.csrf", "CsrfViewMiddleware.process_response"),
]
spent: dict[str, float] = {}


def _timed(name: str, fn):
    @functools.wraps(fn)
    def timed(*args, **kwargs):
        start = time.process_time()
        try:
            return fn(*args, **kwargs)
        finally:
            spent[name] = spent.get(name, 0.0) + time.process_time() - start
    return timed


def _wrap(module: str, attr: str) -> None:
    owner = importlib.import_module(module)
    *path, last = attr.split(".")
    for name in path:
        owner = getattr(owner, name)
    setattr(owner, last, _timed(attr, getattr(owner, last)))


def main() -> None:
    settings.ALLOWED_HOSTS = ["*"]
    data = _fixture()
    client = Client()
    client.force_login(User.objects.get(pk=data["student"]))
    url = f"/lists/{data['view41']}/"
    for module, attr in PARTS:
        _wrap(module, attr)
    for _ in range(20):
        assert client.get(url).status_code == 200
    spent.clear()
    n = int(os.environ.get("N", "2000"))
    start = time.process_time()
    for _ in range(n):
        client.get(url)
    total = time.process_time() - start
    print(f"{n} views, {total / n * 1000:.3f} ms CPU per view (test client included), load average {os.getloadavg()[0]:.2f}")
    for name, seconds in sorted(spent.items(), key=lambda kv: -kv[1]):
        print(f"  {name:<45} {seconds / n * 1000:.3f} ms")


if __name__ == "__main__":
    main()
