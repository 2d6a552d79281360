"""Servers and readers that nobody on this project wrote, for the interoperability tests (docs/interop.md):
panva's ``oidc-provider`` and ``samlify`` (npm, pinned by scripts/interop/package-lock.json and
installed by ``make install``) and ``lti1p3platform`` (PyPI, pinned by requirements.lock).
Each runs as its own process; a missing install fails the test (never skips)."""
from __future__ import annotations

import os
import random
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]
INTEROP = ROOT / "scripts" / "interop"


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port() -> int:
    """A port for a test server to listen on, chosen below the kernel's ephemeral range (Linux:
    32768–60999). A port the kernel hands out for a bind to port 0 is in that range, and between
    the test picking it and the server binding it any process's outgoing connection may take it —
    two suites at once made a test IdP die of EADDRINUSE. Below the range only another test that
    chose the same port can hold it: chosen at random (SystemRandom, never a seeded sequence shared
    by xdist workers) and checked free by binding it."""
    pick = random.SystemRandom()
    top = max(min(_ephemeral_low(), 32768), 12000)
    for _ in range(500):
        port = pick.randrange(10000, top)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port below the ephemeral range for a test server")


def wait_ready(proc: subprocess.Popen, url: str, name: str, log, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"{name} exited: {log.read().decode()[-3000:]}")
        try:
            if requests.get(url, timeout=2).ok:
                return
        except requests.RequestException:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"{name} did not answer at {url}")


def start(argv: list[str], ready_url: str, name: str, env: dict | None = None) -> subprocess.Popen:
    log = open(Path(tempfile.gettempdir()) / f"syllabus-interop-{name}-{os.getpid()}.log", "w+b")  # noqa: SIM115
    proc = subprocess.Popen(argv, cwd=ROOT, env={**os.environ, **(env or {})}, stdout=log, stderr=subprocess.STDOUT)
    proc.log = log  # type: ignore[attr-defined]
    wait_ready(proc, ready_url, name, log)
    return proc


def node_script(script: str, *args: str, ready_path: str, port: int, env: dict | None = None) -> subprocess.Popen:
    node = shutil.which("node")
    if not node:
        pytest.fail("node not found: the interoperability tests run npm packages (Node.js 20+)")
    if not (INTEROP / "node_modules" / ".package-lock.json").exists():
        pytest.fail("scripts/interop/node_modules is missing: run `make interop` (npm ci --prefix scripts/interop; `make test` does it)")
    return start([node, str(INTEROP / script), str(port), *args], f"http://127.0.0.1:{port}{ready_path}", script, env=env)


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def run_node(script: str, *args: str, timeout: float = 120) -> str:
    """Run an npm-backed script of scripts/interop to completion; its standard output."""
    node = shutil.which("node")
    if not node:
        pytest.fail("node not found: the interoperability tests run npm packages (Node.js 20+)")
    if not (INTEROP / "node_modules" / ".package-lock.json").exists():
        pytest.fail("scripts/interop/node_modules is missing: run `make interop` (npm ci --prefix scripts/interop; `make test` does it)")
    done = subprocess.run([node, str(INTEROP / script), *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    if done.returncode:
        pytest.fail(f"{script} failed: {done.stderr[-3000:]}")
    return done.stdout
