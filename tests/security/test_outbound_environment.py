"""Attack class: server-side request forgery, session 16 — what the one outbound client
(``syllabus.core.outbound``) must not take from the process environment, and the deadline on the
whole exchange.

- ``~/.netrc``: requests (``trust_env``) adds the credentials it lists for a host to any request
  to that host — an institution's administrator who sets a "metadata URL" or a "key set URL" on
  the host the operator keeps credentials for would have them sent to a path they choose (and see
  them in an error page or the log of a server they run there).
- ``HTTP_PROXY``/``HTTPS_PROXY``: a variable set for another program would send every fetch through
  that proxy; only ``OUTBOUND_PROXY`` (the operator's choice for this client) counts.
- A server that drips its status line and headers a byte at a time, each byte inside the read
  timeout, held a worker for as long as it liked: the deadline now covers connecting and the
  headers, not only the body.

The servers are real sockets on 127.0.0.1 that record what they receive."""
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from syllabus.core import outbound

pytestmark = pytest.mark.django_db


class Recorder:
    """An HTTP server that records the path (a proxy: the absolute URL) and the Authorization header
    of every request (None when absent), and answers ``body``; ``/moved`` redirects to ``/doc``."""

    def __init__(self, body: bytes = b'{"issuer": "x"}'):
        seen = self.seen = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                seen.append((self.path, self.headers.get("Authorization")))
                if self.path == "/moved":
                    self.send_response(302)
                    self.send_header("Location", "/doc")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def recorder(settings):
    settings.OUTBOUND_PRIVATE_HOSTS = ["127.0.0.1"]   # the operator's intranet host, as in a real deployment
    server = Recorder()
    yield server
    server.close()


@pytest.fixture
def netrc_home(tmp_path, monkeypatch):
    """A real home directory whose ~/.netrc holds credentials for 127.0.0.1."""
    netrc = tmp_path / ".netrc"
    netrc.write_text("machine 127.0.0.1\n  login alice\n  password s3cret-from-netrc\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("NETRC", raising=False)
    return netrc


def test_netrc_credentials_are_never_sent_by_an_outbound_fetch(netrc_home, recorder):
    """Before: every outbound fetch (here the OIDC discovery document an administrator names, and
    its redirect hop) carried ``Authorization: Basic alice:s3cret-from-netrc``."""
    from syllabus.sso import oidc

    # the environment is real: plain requests does send the netrc credentials
    requests.get(recorder.url + "/control", timeout=5)
    assert recorder.seen[-1] == ("/control", "Basic YWxpY2U6czNjcmV0LWZyb20tbmV0cmM=")

    assert oidc._get_json(recorder.url + "/doc", "discovery document") == {"issuer": "x"}
    assert oidc._get_json(recorder.url + "/moved", "discovery document") == {"issuer": "x"}
    session = outbound.guard(requests.Session(), rule="X-1")   # a library's session (Authlib, pylti1p3)
    assert session.get(recorder.url + "/moved", timeout=5).json() == {"issuer": "x"}
    assert recorder.seen[1:] == [("/doc", None), ("/moved", None), ("/doc", None), ("/moved", None), ("/doc", None)]


def test_proxies_from_the_environment_are_ignored_unless_the_operator_configures_one(recorder, monkeypatch, settings):
    """Before: HTTP_PROXY in the environment routed (and exposed) every fetch.  Now only
    OUTBOUND_PROXY does."""
    from syllabus.sso import oidc

    proxy = Recorder(body=b'{"via": "proxy"}')
    try:
        for name in ("NO_PROXY", "no_proxy"):
            monkeypatch.delenv(name, raising=False)
        for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
            monkeypatch.setenv(name, proxy.url)
        settings.OUTBOUND_PROXY = ""
        assert oidc._get_json(recorder.url + "/doc", "discovery document") == {"issuer": "x"}
        assert proxy.seen == [] and recorder.seen == [("/doc", None)]
        settings.OUTBOUND_PROXY = proxy.url   # the operator's egress proxy
        assert oidc._get_json(recorder.url + "/doc", "discovery document") == {"via": "proxy"}
        assert proxy.seen == [(recorder.url + "/doc", None)] and len(recorder.seen) == 1
    finally:
        proxy.close()


# --- the deadline covers the status line and the headers ---------------------------------------------

class HeaderDrip:
    """A raw socket server that sends an HTTP answer one byte every 0.2 s from its first byte
    (``head`` bytes at once first), for at most ``seconds``; it records when it stopped."""

    ANSWER = b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-Drip-%d: %s\r\n" % (i, b"z" * 20) for i in range(10)) + \
        b"Content-Length: 2\r\n\r\n{}"

    def __init__(self, head: int, seconds: float = 12.0):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(5)
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.cut_after: list[float] = []
        threading.Thread(target=self._serve, args=(head, seconds), daemon=True).start()

    def _serve(self, head: int, seconds: float):
        try:
            conn, _ = self.listener.accept()
        except OSError:
            return
        started = time.monotonic()
        with conn:
            conn.recv(65536)
            try:
                conn.sendall(self.ANSWER[:head])
                for i in range(head, len(self.ANSWER)):
                    if time.monotonic() - started > seconds:
                        break
                    conn.sendall(self.ANSWER[i:i + 1])
                    time.sleep(0.2)
            except OSError:
                pass
            self.cut_after.append(time.monotonic() - started)

    def close(self):
        self.listener.close()


@pytest.mark.parametrize("head", [0, 30], ids=["from-the-status-line", "mid-headers"])
def test_a_server_dripping_its_headers_is_cut_at_the_deadline(settings, head):
    """Before: the read timeout (5 s here) restarted with every byte, so the headers alone took
    as long as the server liked (here 12 s, then it gave up); a shut-down socket in the middle of
    the headers could also read as a complete, empty answer."""
    settings.OUTBOUND_PRIVATE_HOSTS = ["127.0.0.1"]
    server = HeaderDrip(head)
    try:
        started = time.monotonic()
        with pytest.raises(outbound.TooSlow) as slow:
            outbound.session(rule="X-1", deadline=1.0).get(server.url + "/doc", timeout=5)
        took = time.monotonic() - started
        assert slow.value.rule == "X-1" and slow.value.status == 504 and "longer than 1 seconds" in slow.value.detail
        assert took < 3, took
    finally:
        server.close()



def test_a_proxy_dripping_its_headers_is_cut_at_the_deadline_too(settings):
    """The connection to the operator's egress proxy is watched by the same deadline."""
    settings.OUTBOUND_PRIVATE_HOSTS = ["127.0.0.1"]
    proxy = HeaderDrip(0)
    settings.OUTBOUND_PROXY = proxy.url
    try:
        started = time.monotonic()
        with pytest.raises(outbound.TooSlow):
            outbound.session(rule="X-1", deadline=1.0).get("http://127.0.0.1:9/doc", timeout=5)
        assert time.monotonic() - started < 3
    finally:
        proxy.close()
