"""Acceptance: `syllabus demo` then `syllabus serve` (what `make demo` runs) answers /healthz."""
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

# The subprocesses always use the embedded default (a fresh SQLite file in tmp_path),
# whatever database the rest of the suite runs on: this is what `make demo` does on a new machine.


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_demo_then_serve_answers_healthz(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env["SYLLABUS_DATA_DIR"] = str(tmp_path)
    bin_dir = os.path.dirname(sys.executable)
    syllabus = os.path.join(bin_dir, "syllabus")
    demo = subprocess.run([syllabus, "demo"], env=env, capture_output=True, text=True, timeout=300)
    assert demo.returncode == 0, demo.stderr
    assert "librarian" in demo.stdout
    port = free_port()
    env["PORT"] = str(port)
    server = subprocess.Popen([syllabus, "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    assert json.loads(r.read()) == {"status": "ok", "database": "ok"}
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise AssertionError("server did not answer /healthz")
                time.sleep(0.3)
    finally:
        server.terminate()  # gunicorn stops gracefully (up to its 20 s graceful timeout)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            raise
