"""Take the README's screenshots: start a demo server on a fresh data dir, sign in as each
demo user and capture the main pages in Chromium.

    .venv/bin/python tools/screenshots.py            # writes docs/screenshots/*.png
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"

# (file name, user, path, CSS selector of what must show: scrolled to the middle of the window, "" for the top)
SHOTS = [
    ("login", None, "/login/", ""),
    ("home-instructor", "instructor", "/", ""),
    ("courses", "instructor", "/courses/?q=history", ""),
]
EXTRA = Path(__file__).with_name("screenshots.txt")  # more shots, one "name user path [selector]" per line


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    shots = list(SHOTS)
    if EXTRA.exists():
        for raw in EXTRA.read_text().splitlines():
            if raw.strip() and not raw.startswith("#"):
                name, user, path, *show = raw.split(maxsplit=3)
                shots.append((name, None if user == "-" else user, path, show[0] if show else ""))
    OUT.mkdir(parents=True, exist_ok=True)
    data = tempfile.mkdtemp(prefix="syllabus-shots-")
    env = {**os.environ, "SYLLABUS_DATA_DIR": data, "PORT": str(free_port())}
    env.pop("DATABASE_URL", None)
    bin_dir = Path(sys.executable).parent
    subprocess.run([bin_dir / "syllabus", "demo"], env=env, check=True, stdout=subprocess.DEVNULL)
    server = subprocess.Popen([bin_dir / "syllabus", "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{env['PORT']}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            sessions: dict = {}
            for name, user, path, show in shots:
                if user not in sessions:
                    ctx = browser.new_context(base_url=base, viewport={"width": 1280, "height": 860})
                    page = ctx.new_page()
                    if user:
                        page.goto("/login/")
                        page.fill("#id_username", user)
                        page.fill("#id_password", "demo")
                        page.click("button[type=submit]")
                        page.wait_for_load_state()
                    sessions[user] = page
                page = sessions[user]
                page.goto(path)
                page.wait_for_load_state("networkidle")
                if show:  # below the fold: bring it to the middle of the window
                    page.locator(show).first.evaluate("e => e.scrollIntoView({block: 'center'})")
                page.screenshot(path=str(OUT / f"{name}.png"), full_page=False)
                print(f"{name}.png  ({user or 'anonymous'} {path})")
            browser.close()
    finally:
        server.terminate()  # the server stops its workers and its timer process first: on a busy machine, give it time
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
