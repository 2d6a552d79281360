"""Attack class: server-side request forgery, holding a worker.  The deadline of an outbound fetch
(``syllabus.core.outbound``) covers the whole fetch — every redirect hop and every name lookup —
not each hop on its own: before, a chain of five redirects each answering just inside the deadline
held the worker six deadlines long, and a resolver that did not answer was not bounded at all.

The chain is a real local server whose every hop drips its status line and headers a byte at a
time, each hop well inside the deadline on its own."""
import contextlib
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from syllabus.core import outbound

pytestmark = pytest.mark.django_db

HOP_SECONDS = 0.6   # each hop alone is well inside the 1-second deadline


@pytest.fixture
def chain(settings):
    """``/hop/N`` drips ``302 Location: /hop/N+1`` over HOP_SECONDS; ``/hop/5`` answers 200 at once."""
    settings.OUTBOUND_PRIVATE_HOSTS = ["127.0.0.1", "slow.example"]
    served: list[str] = []

    class Hop(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            served.append(self.path)
            number = int(self.path.rsplit("/", 1)[1])
            if number >= 5:
                body = b'{"done": true}'
                self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
                                 b"Connection: close\r\n\r\n%s" % (len(body), body))
                return
            head = (f"HTTP/1.1 302 Found\r\nLocation: /hop/{number + 1}\r\nContent-Length: 0\r\n"
                    "Connection: close\r\n\r\n").encode()
            with contextlib.suppress(OSError):   # cut off by the client: the hop is over
                for byte in head:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(HOP_SECONDS / len(head))

        log_message = staticmethod(lambda *args: None)   # quiet

    with ThreadingHTTPServer(("127.0.0.1", 0), Hop) as httpd:
        httpd.daemon_threads, httpd.served = True, served
        worker = threading.Thread(target=httpd.serve_forever, daemon=True)
        worker.start()
        yield httpd
        httpd.shutdown()


def test_the_deadline_covers_every_redirect_hop_together(chain):
    """Five hops of 0.6 s each: each is inside the 1-second deadline, the fetch is not — cut at
    about 1 s (504, naming the rule), where before it came back with the last hop after ~3 s."""
    started = time.monotonic()
    with pytest.raises(outbound.TooSlow) as slow:
        outbound.session(rule="X-1", deadline=1.0).get(f"http://127.0.0.1:{chain.server_address[1]}/hop/0", timeout=5)
    elapsed = time.monotonic() - started
    assert slow.value.rule == "X-1" and slow.value.status == 504
    assert elapsed < 1.8, elapsed
    assert len(chain.served) <= 2   # the third hop is never asked for


def test_a_chain_inside_the_deadline_is_followed_to_its_end(chain):
    """The same chain with room for all of it: five redirects followed, the last answer read."""
    answer = outbound.session(rule="X-1", deadline=8.0).get(f"http://127.0.0.1:{chain.server_address[1]}/hop/0", timeout=5)
    assert answer.status_code == 200 and answer.json() == {"done": True} and len(answer.history) == 5


@pytest.fixture
def slow_resolver(monkeypatch):
    """The system's resolver, except that ``slow.example`` takes 3 s to answer 127.0.0.1 (a name
    server that does not answer); the same seam as ``test_ssrf.rebinding_dns``."""
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host == "slow.example":
            time.sleep(3)
            return real("127.0.0.1", port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def test_a_name_lookup_counts_against_the_deadline(chain, slow_resolver):
    """A redirect to a name whose lookup hangs: the fetch ends at its deadline, not when the
    resolver gives up (before, the lookup had no bound at all)."""
    port = chain.server_address[1]
    started = time.monotonic()
    with pytest.raises(outbound.TooSlow) as slow:
        outbound.session(rule="X-1", deadline=1.0).get(f"http://slow.example:{port}/hop/4", timeout=5)
    assert time.monotonic() - started < 1.8
    assert "slow.example" in slow.value.detail and slow.value.status == 504


@pytest.fixture
def hanging_resolver(monkeypatch):
    """``hang.example`` never answers until the test lets it go (a name server that is down and a
    resolver that has not yet given up); every other name goes to the system's resolver."""
    release = threading.Event()
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host == "hang.example":
            release.wait(30)
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield release
    release.set()


def _lookup_threads() -> int:
    return sum(1 for t in threading.enumerate() if t.name.startswith("outbound-resolve"))


def test_hung_lookups_cannot_pile_up_threads(settings, hanging_resolver):
    """Twenty fetches to a name whose lookup hangs: at most OUTBOUND_LOOKUP_THREADS (here 3) lookup
    threads ever exist; once they are all taken a fetch fails at once (504, naming the rule and
    saying why) without starting another thread — before, each fetch left one more thread behind
    until the resolver gave up.  When the resolver answers, the slots come back."""
    settings.OUTBOUND_LOOKUP_THREADS = 3
    before = _lookup_threads()
    timed_out, refused = 0, []
    for _ in range(20):
        started = time.monotonic()
        try:
            outbound.session(rule="X-1", deadline=0.2).get("http://hang.example/", timeout=5)
        except outbound.TooSlow as exc:
            if "still waiting" in exc.detail:
                refused.append(exc)
                assert time.monotonic() - started < 0.1   # at once, not after the deadline
            else:
                timed_out += 1
        assert _lookup_threads() - before <= 3
    assert timed_out == 3 and len(refused) == 17
    assert refused[0].rule == "X-1" and refused[0].status == 504 and "hang.example" in refused[0].detail
    hanging_resolver.set()   # the resolver gives up: the threads end and free their slots
    for _ in range(100):
        if _lookup_threads() == before:
            break
        time.sleep(0.02)
    assert _lookup_threads() == before
    with pytest.raises(outbound.RuleViolation) as after:   # a lookup is tried again (and fails on its own)
        outbound.session(rule="X-1", deadline=1.0).get("http://hang.example/", timeout=5)
    assert after.value.status == 502 and "cannot find the host" in after.value.detail
