"""The one way the server fetches a URL that a person gave it (server-side request forgery).

Cite it's page address (DSV-4), an institution's permissions service and editions feed
(``cla_service_url``, ``editions_feed_url``), an identity provider's discovery document, key set,
token and userinfo endpoints and SAML metadata URL (LMS-3), an LTI platform's key set, token
endpoint and roster (LMS-1/2) and an ILL partner's ISO 18626 address (CON-2) all come from a user,
a library's staff or an institution's administrator, not from the platform operator.  So every such request goes through :func:`session`:

- only ``http``/``https``;
- the host must resolve to public (global unicast) addresses only: not private, loopback,
  link-local (cloud metadata at 169.254.169.254), shared/carrier-grade NAT (100.64.0.0/10: some
  clouds' metadata, 100.100.100.200), reserved, multicast or unspecified — nor an IPv6 address
  that carries such an IPv4 one (IPv4-mapped ``::ffff:a.b.c.d``, 6to4 ``2002::/16``, Teredo,
  NAT64 ``64:ff9b::/96``) — checked on every request the session sends, so a redirect to an
  internal address is refused too (at most ``MAX_REDIRECTS``);
- the connection goes to the very address that was checked: the connection class resolves the
  name once, vets every address it got, and connects to a vetted one, while the Host header and
  TLS (SNI, certificate check) keep the host name.  A name that answers a public address to a
  check and 127.0.0.1 to the next lookup (DNS rebinding) never reaches the local address;
- a timeout on every request (the caller's, else ``DEFAULT_TIMEOUT``: between two bytes), a
  deadline on the whole answer (``deadline`` seconds from sending, else ``DEFAULT_DEADLINE``: a
  server that drips one byte just inside the timeout is cut off) and a ceiling on every answer
  (``max_bytes``, else ``DEFAULT_MAX_BYTES``), counted after HTTP decoding while it is read — also
  when a library (pylti1p3, Authlib) reads ``response.content`` or ``.json()`` itself; the caller
  may read the body with :func:`read` and a lower ceiling.

Only the platform operator may let an intranet host through: ``OUTBOUND_PRIVATE_HOSTS`` (a list of
host names, or ``*`` for all; a comma-separated string from the environment), e.g. an IdP on the
campus network.  A service whose address the operator sets in settings (Open Library and
Crossref for the ISBN/DOI look-up, the SMS gateway) passes its host as ``operator_hosts``: that host may be on
the intranet (a local mirror), a redirect from it to another internal host is still refused.

Nothing comes from the process environment: the sessions do not read ``~/.netrc`` (requests
would send its credentials for a host to whatever URL names that host — an administrator's
"metadata URL" pointing at the operator's intranet or a public host would collect them), nor
``HTTP_PROXY``/``HTTPS_PROXY``/``ALL_PROXY`` (a variable set for another program would route, and
show, every fetch to that proxy).  An egress proxy is configured for this client only:
``OUTBOUND_PROXY`` (a setting, or the environment variable of that name: one ``http://`` URL for
http and https).  Behind it the connection goes to the proxy, not to the target: the target's name
is resolved and every address vetted *before* anything is sent to the proxy, on every hop, so the
proxy never sees a request for an internal address.  The proxy resolves the name again itself: a
name that rebinds between the two look-ups is the proxy's to refuse (as it is for every client
behind it).  A private CA bundle is still read from ``REQUESTS_CA_BUNDLE`` (it only narrows or
widens whom TLS trusts, which is the operator's choice).

The deadline covers the whole fetch — the first request and every redirect hop together (not
``deadline`` per hop: five hops that each stay just inside it would take six times as long), and in
each of them resolving the name, connecting, the TLS handshake, the status line and headers, and
the body: a watchdog shuts the connection's socket down when it passes, so a server that drips its
headers a byte at a time (each byte inside the read timeout) is cut off like one that drips its
body.  The name is resolved by the system's resolver in a worker thread given what is left of the
deadline: a resolver that does not answer in time ends the fetch (the lookup itself cannot be
interrupted; its thread ends when the resolver gives up).  Those threads are bounded: at most
``OUTBOUND_LOOKUP_THREADS`` (16) lookups run at once for all fetches together, a hung one keeping
its slot until the resolver gives up; with every slot taken a fetch fails at once (504) rather
than pile up threads behind a name server that does not answer.
"""
from __future__ import annotations

import functools
import ipaddress
import os
import socket
import sys
import threading
import time
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from requests.utils import stream_decode_response_unicode
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from urllib3.util.timeout import _DEFAULT_TIMEOUT

from syllabus.core.errors import RuleViolation

MAX_REDIRECTS = 5
DEFAULT_TIMEOUT = 20.0   # seconds, for a library that calls without one (pylti1p3's key set fetch)
DEFAULT_MAX_BYTES = 10_000_000   # an answer read by a library (token, key set, roster page) without its own ceiling
DEFAULT_DEADLINE = 60.0   # seconds from sending a request to the end of its answer
NAT64 = ipaddress.ip_network("64:ff9b::/96")


class TooLarge(RuleViolation):
    """An answer past the session's ceiling (502: the other server's fault, not the user's)."""


def private_hosts_allowed() -> set[str]:
    value = getattr(settings, "OUTBOUND_PRIVATE_HOSTS", None)
    if value is None:
        value = os.environ.get("OUTBOUND_PRIVATE_HOSTS", "")
    if isinstance(value, str):
        value = value.split(",")
    return {str(v).strip().lower() for v in value if str(v).strip()}


def _embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 one carries to a router or translator on the way."""
    found = [a for a in (address.ipv4_mapped, address.sixtofour) if a is not None]
    if address.teredo is not None:
        found += list(address.teredo)
    return found


def refused_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether the server must not connect to ``address``: anything but public unicast.  A NAT64
    address (DNS64 on an IPv6-only network) is judged by the IPv4 address it translates to."""
    if isinstance(address, ipaddress.IPv6Address):
        if address in NAT64:
            return refused_address(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
        if any(refused_address(a) for a in _embedded_ipv4(address)):
            return True
    return (not address.is_global or address.is_private or address.is_loopback or address.is_link_local
            or address.is_reserved or address.is_multicast or address.is_unspecified)


def _may_be_private(host: str, allow_private: bool, operator_hosts: frozenset[str] = frozenset()) -> bool:
    allowed = private_hosts_allowed()
    return allow_private or "*" in allowed or host.lower() in allowed or host.lower() in operator_hosts


DEFAULT_LOOKUP_THREADS = 16   # name lookups under way at once in worker threads, all fetches together
_slots: dict[int, threading.BoundedSemaphore] = {}
_slots_lock = threading.Lock()


def _lookup_thread_limit() -> int:
    return max(1, int(getattr(settings, "OUTBOUND_LOOKUP_THREADS", DEFAULT_LOOKUP_THREADS)))


def _lookup_slots() -> threading.BoundedSemaphore:
    """The one shared bound on lookup threads (``OUTBOUND_LOOKUP_THREADS``): a lookup the resolver
    never answers keeps its thread, and its slot, until the resolver gives up — so many fetches to
    a hanging name server cannot pile up threads; once every slot is taken a fetch fails at once."""
    limit = _lookup_thread_limit()
    with _slots_lock:
        return _slots.setdefault(limit, threading.BoundedSemaphore(limit))


def _lookup(host: str, port: int, deadline: float | None, rule: str) -> list[tuple]:
    """``getaddrinfo`` (the system's resolver), given at most until ``deadline`` (a
    ``time.monotonic()`` value) when there is one: it runs in a worker thread, and a lookup not
    done in time refuses the fetch (``TooSlow``) — the thread is left to finish on its own, holding one
    of the ``OUTBOUND_LOOKUP_THREADS`` slots until then; with none free the fetch is refused at
    once (``TooSlow``, 504, like a lookup past its deadline: a caller that retries a
    slow fetch retries this too) instead of starting another thread."""
    def look() -> list[tuple]:
        return socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP, type=socket.SOCK_STREAM)

    if deadline is None:
        return look()
    slots = _lookup_slots()
    if not slots.acquire(blocking=False):
        raise TooSlow(rule, f"cannot look up the host {host} now: all {_lookup_thread_limit()} name lookups the "
                            "server runs at once are still waiting for the name server; try again later", status=504)
    box: dict[str, Any] = {}

    def worker() -> None:
        try:
            box["infos"] = look()
        except BaseException as exc:  # noqa: BLE001 — handed to the waiting thread
            box["error"] = exc
        finally:
            slots.release()   # only when the resolver is done: a hung lookup keeps its slot

    thread = threading.Thread(target=worker, name=f"outbound-resolve {host[:60]}", daemon=True)
    try:
        thread.start()
    except BaseException:
        slots.release()
        raise
    thread.join(max(0.0, deadline - time.monotonic()))
    if thread.is_alive():
        raise TooSlow(rule, f"looking up the host {host} did not finish before the fetch's deadline", status=504)
    if "error" in box:
        raise box["error"]
    return box["infos"]


def resolve(host: str, port: int, *, rule: str, field: str = "url", allow_private: bool = False,
            operator_hosts: frozenset[str] = frozenset(), deadline: float | None = None) -> list[tuple]:
    """The addresses of ``host`` (``getaddrinfo`` rows, TCP), resolved once, every one vetted:
    refused (``rule``) if any is private or local and the operator has not allowed the host.
    ``deadline`` (``time.monotonic()``): the lookup must be done by then (``TooSlow``)."""
    try:
        infos = _lookup(host, port, deadline, rule)
    except (socket.gaierror, UnicodeError, ValueError):
        raise RuleViolation(rule, f"cannot find the host {host}", field=field, status=502) from None
    if not _may_be_private(host, allow_private, operator_hosts):
        for info in infos:
            address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
            if refused_address(address):
                raise RuleViolation(rule, f"{host} is a private or local network address ({address}): the server does not "
                                          "fetch it (the platform operator may list the host in OUTBOUND_PRIVATE_HOSTS)",
                                    field=field)
    return infos


def check_url(url: str, *, rule: str, field: str = "url", allow_private: bool = False,
              operator_hosts: frozenset[str] = frozenset(), deadline: float | None = None) -> None:
    """Refuse (``rule``) an address the server must not fetch; see the module docstring."""
    parts = urlsplit(url or "")
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        raise RuleViolation(rule, f"only http(s) addresses are fetched, not {url[:200]!r}", field=field)
    if _may_be_private(host, allow_private, operator_hosts):
        return
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise RuleViolation(rule, f"bad port in {url[:200]!r}", field=field) from None
    resolve(host, port, rule=rule, field=field, operator_hosts=operator_hosts, deadline=deadline)


# --- connections pinned to the vetted address (DNS rebinding) -------------------------------------

class _Policy(NamedTuple):
    rule: str
    field: str
    allow_private: bool
    operator_hosts: frozenset[str] = frozenset()


class _Exchange:
    """One request's deadline, from connecting to the last header (the body has its own watchdog in
    :class:`_BoundedResponse`): when it passes, every socket the request uses is shut down, which
    wakes a read blocked on a server that drips.  It watches duplicates of the sockets' descriptors,
    closed when the request is over, so a late shutdown never reaches a descriptor reused since."""

    def __init__(self, deadline: float):
        self.deadline = deadline
        self.expired = threading.Event()
        self._lock = threading.Lock()
        self._watched: list[socket.socket] = []
        self._over = False

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def watch(self, sock: Any) -> None:
        try:
            copy = socket.socket(fileno=os.dup(sock.fileno()))
        except (OSError, ValueError, AttributeError):   # already closed
            return
        with self._lock:
            if self._over:
                copy.close()
                return
            self._watched.append(copy)
            if self.expired.is_set():
                self._shut(copy)

    @staticmethod
    def _shut(sock: socket.socket) -> None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:   # not connected (yet, or any more)
            pass

    def expire(self) -> None:
        with self._lock:
            self.expired.set()
            for sock in self._watched:
                self._shut(sock)

    def end(self) -> None:
        with self._lock:
            self._over = True
            for sock in self._watched:
                sock.close()
            self._watched.clear()


_current = threading.local()   # the exchange of the request this thread is sending


def _exchange() -> _Exchange | None:
    return getattr(_current, "exchange", None)


class _PinnedConnection:
    """urllib3's connection, but the socket goes to an address :func:`resolve` vetted in this very
    lookup (no second resolution); ``self.host`` stays the name, for Host, SNI and the certificate."""

    outbound_policy: _Policy

    def _new_conn(self) -> socket.socket:
        conn: Any = self
        policy = self.outbound_policy
        exchange = _exchange()
        infos = resolve(conn._dns_host, conn.port, rule=policy.rule, field=policy.field,
                        allow_private=policy.allow_private, operator_hosts=policy.operator_hosts,
                        deadline=exchange.deadline if exchange is not None else None)
        error: Exception | None = None
        for family, socktype, proto, _name, address in infos:
            sock = None
            try:
                sock = socket.socket(family, socktype, proto)
                for option in conn.socket_options or ():
                    sock.setsockopt(*option)
                timeout = None if conn.timeout is _DEFAULT_TIMEOUT else conn.timeout
                if exchange is not None:   # connecting counts against the deadline too
                    exchange.watch(sock)
                    left = max(exchange.remaining(), 0.001)
                    sock.settimeout(left if timeout is None else min(timeout, left))
                elif timeout is not None:
                    sock.settimeout(timeout)
                if conn.source_address:
                    sock.bind(conn.source_address)
                sock.connect(address)
                if exchange is not None:
                    sock.settimeout(timeout if timeout is not None else socket.getdefaulttimeout())
            except TimeoutError as exc:
                error = ConnectTimeoutError(conn, f"Connection to {conn.host} timed out. (connect timeout={conn.timeout})")
                error.__cause__ = exc
            except OSError as exc:
                error = NewConnectionError(conn, f"Failed to establish a new connection: {exc}")
                error.__cause__ = exc
            else:
                sys.audit("http.client.connect", conn, conn.host, conn.port)
                return sock
            if sock is not None:
                sock.close()
        raise error or NewConnectionError(conn, f"no address for {conn.host}")

    def request(self, *args, **kwargs):
        """A connection kept alive from an earlier request is watched by this one's deadline too."""
        exchange = _exchange()
        sock = getattr(self, "sock", None)
        if exchange is not None and sock is not None:
            exchange.watch(sock)
        return super().request(*args, **kwargs)


def _pool_classes(policy: _Policy) -> dict[str, type]:
    connection = type("PinnedHTTPConnection", (_PinnedConnection, HTTPConnection), {"outbound_policy": policy})
    tls = type("PinnedHTTPSConnection", (_PinnedConnection, HTTPSConnection), {"outbound_policy": policy})
    return {"http": type("PinnedHTTPConnectionPool", (HTTPConnectionPool,), {"ConnectionCls": connection}),
            "https": type("PinnedHTTPSConnectionPool", (HTTPSConnectionPool,), {"ConnectionCls": tls})}


class TooSlow(RuleViolation):
    """An answer not complete by the session's deadline (504: the other server's fault)."""


class _BoundedResponse(requests.Response):
    """A response whose body is refused past ``outbound_limit`` bytes or its deadline (a
    ``time.monotonic()`` value), however it is read."""

    outbound_limit: tuple[int, str, float, float]

    def iter_content(self, chunk_size=1, decode_unicode=False):
        limit, rule, deadline, seconds = self.outbound_limit
        chunks = super().iter_content(chunk_size, decode_unicode=False)

        expired = threading.Event()

        def expire():   # a read blocked on a dripping server wakes up: its socket is shut down
            expired.set()
            try:
                self.raw.shutdown()
            except (AttributeError, ValueError, RuntimeError, OSError):   # already released or closed
                pass

        def too_slow() -> TooSlow:
            self.close()
            return TooSlow(rule, f"the answer from {urlsplit(self.url or '').hostname} took longer than "
                                 f"{seconds:g} seconds", status=504)

        def bounded():
            total = 0
            timer = threading.Timer(max(0.0, deadline - time.monotonic()), expire)
            timer.daemon = True
            timer.start()
            try:
                for chunk in chunks:
                    total += len(chunk)
                    if total > limit:
                        self.close()
                        raise TooLarge(rule, f"the answer from {urlsplit(self.url or '').hostname} is larger than "
                                             f"{limit:,} bytes", status=502)
                    if expired.is_set() or time.monotonic() > deadline:
                        raise too_slow()
                    yield chunk
            except (requests.RequestException, OSError):
                if expired.is_set():
                    raise too_slow() from None
                raise
            finally:
                timer.cancel()
            if expired.is_set():   # a shut-down socket may also read as a plain end of the answer
                raise too_slow()

        return stream_decode_response_unicode(bounded(), self) if decode_unicode else bounded()


class _GuardedAdapter(HTTPAdapter):
    def __init__(self, rule: str, field: str, allow_private: bool, max_bytes: int, deadline: float,
                 operator_hosts: frozenset[str]):
        self.policy = _Policy(rule, field, allow_private, operator_hosts)
        self.max_bytes = max_bytes
        self.deadline = deadline
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _pool_classes(self.policy)

    def proxy_manager_for(self, proxy, **proxy_kwargs):
        """The connection to the operator's proxy is made by the same class, so the deadline watches
        it too; the proxy may be on the intranet (the target was vetted in :meth:`send`)."""
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        manager.pool_classes_by_scheme = _pool_classes(self.policy._replace(allow_private=True))
        return manager

    def send(self, request, *args, **kwargs):  # every request, redirects included, with or without a proxy
        # the fetch's deadline (set by the session for the first request and all its redirect hops),
        # else this request's own — the adapter used without a guarded session
        deadline = _fetch_deadline() or time.monotonic() + self.deadline
        if time.monotonic() >= deadline:
            raise self._too_slow(request.url)
        check_url(request.url, rule=self.policy.rule, field=self.policy.field, allow_private=self.policy.allow_private,
                  operator_hosts=self.policy.operator_hosts, deadline=deadline)
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = DEFAULT_TIMEOUT
        exchange = _Exchange(deadline)
        request.outbound_deadline = exchange.deadline
        watchdog = threading.Timer(max(0.0, exchange.remaining()), exchange.expire)   # connect, TLS, status line, headers
        watchdog.daemon = True
        previous, _current.exchange = _exchange(), exchange
        watchdog.start()
        try:
            response = super().send(request, *args, **kwargs)
        except (requests.RequestException, OSError):
            if exchange.expired.is_set():
                raise self._too_slow(request.url) from None
            raise
        finally:
            watchdog.cancel()
            _current.exchange = previous
            exchange.end()
        if exchange.expired.is_set():   # a shut-down socket may read as the end of the headers
            response.close()
            raise self._too_slow(request.url)
        return response

    def _too_slow(self, url: str) -> TooSlow:
        return TooSlow(self.policy.rule, f"the answer from {urlsplit(url or '').hostname} took longer than "
                                         f"{self.deadline:g} seconds", status=504)

    def build_response(self, req, resp):
        response = super().build_response(req, resp)
        response.__class__ = _BoundedResponse
        deadline = getattr(req, "outbound_deadline", time.monotonic() + self.deadline)
        response.outbound_limit = (self.max_bytes, self.policy.rule, deadline, self.deadline)
        return response


_fetch = threading.local()   # the deadline (time.monotonic()) of the fetch this thread is sending


def _fetch_deadline() -> float | None:
    return getattr(_fetch, "deadline", None)


def _whole_fetch(send, seconds: float):
    """``Session.send``, with one deadline for the request and every redirect hop it follows: requests
    sends each hop through ``session.send`` again, inside the first call, so the outermost call sets
    the deadline and the hops inherit it."""
    @functools.wraps(send)
    def send_within(request, **kwargs):
        if _fetch_deadline() is not None:   # a redirect hop of the fetch under way
            return send(request, **kwargs)
        _fetch.deadline = time.monotonic() + seconds
        try:
            return send(request, **kwargs)
        finally:
            _fetch.deadline = None
    return send_within


def guard(s: requests.Session, *, rule: str, field: str = "url", allow_private: bool = False,
          max_bytes: int = DEFAULT_MAX_BYTES, deadline: float = DEFAULT_DEADLINE,
          operator_hosts: frozenset[str] = frozenset()) -> requests.Session:
    """Mount the address check on an existing session (e.g. Authlib's OAuth2Session)."""
    adapter = _GuardedAdapter(rule, field, allow_private, max_bytes, deadline,
                              frozenset(h.lower() for h in operator_hosts))
    s.mount("http://", adapter)
    s.mount("https://", adapter)
    s.max_redirects = MAX_REDIRECTS
    s.send = _whole_fetch(s.send, deadline)  # type: ignore[method-assign]
    # nothing from the environment: no ~/.netrc credentials (requests would send them to any URL
    # naming that host, redirects included), no HTTP(S)_PROXY; only what the operator set for us
    s.trust_env = False
    proxy = configured_proxy()
    s.proxies = {"http": proxy, "https": proxy} if proxy else {}
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle and s.verify is True:
        s.verify = bundle
    return s


def configured_proxy() -> str:
    """The egress proxy the operator configured for outbound fetches (``OUTBOUND_PROXY``), or ''."""
    value = getattr(settings, "OUTBOUND_PROXY", None)
    if value is None:
        value = os.environ.get("OUTBOUND_PROXY", "")
    return str(value or "").strip()


def session(*, rule: str, field: str = "url", allow_private: bool = False, max_bytes: int = DEFAULT_MAX_BYTES,
            deadline: float = DEFAULT_DEADLINE, operator_hosts: frozenset[str] = frozenset()) -> requests.Session:
    """A ``requests`` session that refuses private addresses on every request and redirect,
    connects only to the addresses it vetted, and refuses an answer past ``max_bytes`` or not
    complete ``deadline`` seconds after it was sent.  ``operator_hosts``: host names the platform
    operator configured in settings, which may be on the intranet."""
    return guard(requests.Session(), rule=rule, field=field, allow_private=allow_private, max_bytes=max_bytes,
                 deadline=deadline, operator_hosts=operator_hosts)


def read(response: requests.Response, max_bytes: int, *, rule: str, what: str = "the answer") -> bytes:
    """The body of a ``stream=True`` response, refused (``rule``) past ``max_bytes``."""
    body = bytearray()
    try:
        for chunk in response.iter_content(65536):   # a guarded session's answer also stops at its deadline
            body += chunk
            if len(body) > max_bytes:
                raise TooLarge(rule, f"{what} is larger than {max_bytes:,} bytes", status=502)
    finally:
        response.close()
    return bytes(body)
