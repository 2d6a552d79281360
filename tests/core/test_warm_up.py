"""Session 24: a worker of ``syllabus serve`` loads, before it takes its first connection, what its first
requests would otherwise load — the URL configuration (every view module and the API's pydantic
schemas: ~75 % of a fresh worker's first student view), the names' reverse tables, the translation
catalogs and the templates (``core.wsgi.warm_up``, called by syllabus/wsgi.py).  The first student of a
new worker then waits ~0.4 s of CPU instead of ~2.8 s (BENCHMARKS.md, session 24).  Checked in a fresh
process, as a worker is one."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

PROBE = r"""
import json, sys, time
import django
django.setup()
from syllabus.core.wsgi import warm_up
warm = sys.argv[1] == "warm"
loaded = warm_up() if warm else {}
before = set(sys.modules)
from django.template import engines
from django.urls import reverse
from django.utils import translation
engine = engines["django"].engine
loader = engine.template_loaders[0]
compiled = len(loader.get_template_cache)
with translation.override("fr"):
    url = reverse("lists:view", args=[7])
engine.get_template("lists/view.html")
engine.get_template("circulation/_item_access.html")
print(json.dumps({"loaded": loaded, "url": url, "new_modules": sorted(set(sys.modules) - before),
                  "templates_compiled": len(loader.get_template_cache) - compiled}))
"""


def _probe(step: str) -> dict:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "syllabus.settings"}
    env.pop("SYLLABUS_WEB_WORKER", None)
    out = subprocess.run([sys.executable, "-c", PROBE, step], env=env, capture_output=True, text=True, timeout=300,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_a_warmed_worker_loads_no_module_and_compiles_no_template_for_the_student_view():
    cold, warm = _probe("cold"), _probe("warm")
    # without the warm-up, the first reverse imports the URL configuration and its views; the
    # student view's templates are compiled on the request
    assert "syllabus.urls" in cold["new_modules"] and "syllabus.api.api" in cold["new_modules"]
    assert cold["templates_compiled"] == 2
    assert warm["new_modules"] == [] and warm["templates_compiled"] == 0
    assert warm["url"] == cold["url"] == "/lists/7/"
    assert warm["loaded"]["languages"] == 2 and warm["loaded"]["url_patterns"] > 10
    assert warm["loaded"]["templates"] > 150  # every template of every app (the student view's among them)


WORKER = r"""
import json, os, sys
import syllabus.wsgi
print(json.dumps({"urls": "syllabus.urls" in sys.modules}), flush=True)
os._exit(0)  # (a worker's delivery thread would keep the probe alive)
"""


def test_a_web_worker_warms_up_when_it_loads_the_application_and_nothing_else_does():
    root = Path(__file__).resolve().parents[2]
    seen = {}
    for worker in ("1", ""):
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "syllabus.settings", "SYLLABUS_WEB_WORKER": worker}
        out = subprocess.run([sys.executable, "-c", WORKER], env=env, capture_output=True, text=True, timeout=300, cwd=root)
        assert out.returncode == 0, out.stderr[-3000:]
        seen[worker] = json.loads(out.stdout.strip().splitlines()[-1])["urls"]
    assert seen == {"1": True, "": False}  # a management command or a test loads what it needs, when it needs it
