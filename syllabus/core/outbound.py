"""The one way the server fetches a URL that a person gave it (server-side request forgery).

Cite it's page address (DSV-4), an institution's permissions service and editions feed
(``cla_service_url``, ``editions_feed_url``), an identity provider's discovery document, key set,
token and userinfo endpoints and SAML metadata URL (LMS-3), an LTI platform's key set, token
endpoint and roster (LMS-1/2) all come from a user or an institution's administrator, not from
the platform operator.  So every such request goes through :func:`session`:

- only ``http``/``https``;
- the host must not resolve to a private, loopback, link-local (cloud metadata at
  169.254.169.254), reserved, multicast or unspecified address — checked on every request the
  session sends, so a redirect to an internal address is refused too (at most ``MAX_REDIRECTS``);
- the connection goes to the very address that was checked: the connection class resolves the
  name once, vets every address it got, and connects to a vetted one, while the Host header and
  TLS (SNI, certificate check) keep the host name.  A name that answers a public address to a
  check and 127.0.0.1 to the next lookup (DNS rebinding) never reaches the local address;
- a timeout on every request (the caller's, else ``DEFAULT_TIMEOUT``) and a ceiling on every
  answer (``max_bytes``, else ``DEFAULT_MAX_BYTES``), counted after HTTP decoding while it is
  read — also when a library (pylti1p3, Authlib) reads ``response.content`` or ``.json()``
  itself; the caller may read the body with :func:`read` and a lower ceiling.

Only the platform operator may let an intranet host through: ``OUTBOUND_PRIVATE_HOSTS`` (a list of
host names, or ``*`` for all; a comma-separated string from the environment), e.g. an IdP on the
campus network.  Addresses the operator configures in settings (SMS gateway, Crossref) are not
guarded here.  When the operator routes egress through an HTTP proxy (``HTTPS_PROXY``), the
address check is made on the name and the proxy connects: the proxy is then the place to refuse
internal addresses.
"""
from __future__ import annotations

import ipaddress
import os
import socket
import sys
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


class TooLarge(RuleViolation):
    """An answer past the session's ceiling (502: the other server's fault, not the user's)."""


def private_hosts_allowed() -> set[str]:
    value = getattr(settings, "OUTBOUND_PRIVATE_HOSTS", None)
    if value is None:
        value = os.environ.get("OUTBOUND_PRIVATE_HOSTS", "")
    if isinstance(value, str):
        value = value.split(",")
    return {str(v).strip().lower() for v in value if str(v).strip()}


def _refused(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:
        address = mapped
    return (address.is_private or address.is_loopback or address.is_link_local or address.is_reserved
            or address.is_multicast or address.is_unspecified)


def _may_be_private(host: str, allow_private: bool) -> bool:
    allowed = private_hosts_allowed()
    return allow_private or "*" in allowed or host.lower() in allowed


def resolve(host: str, port: int, *, rule: str, field: str = "url", allow_private: bool = False) -> list[tuple]:
    """The addresses of ``host`` (``getaddrinfo`` rows, TCP), resolved once, every one vetted:
    refused (``rule``) if any is private or local and the operator has not allowed the host."""
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, ValueError):
        raise RuleViolation(rule, f"cannot find the host {host}", field=field, status=502) from None
    if not _may_be_private(host, allow_private):
        for info in infos:
            address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
            if _refused(address):
                raise RuleViolation(rule, f"{host} is a private or local network address ({address}): the server does not "
                                          "fetch it (the platform operator may list the host in OUTBOUND_PRIVATE_HOSTS)",
                                    field=field)
    return infos


def check_url(url: str, *, rule: str, field: str = "url", allow_private: bool = False) -> None:
    """Refuse (``rule``) an address the server must not fetch; see the module docstring."""
    parts = urlsplit(url or "")
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        raise RuleViolation(rule, f"only http(s) addresses are fetched, not {url[:200]!r}", field=field)
    if _may_be_private(host, allow_private):
        return
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise RuleViolation(rule, f"bad port in {url[:200]!r}", field=field) from None
    resolve(host, port, rule=rule, field=field)


# --- connections pinned to the vetted address (DNS rebinding) -------------------------------------

class _Policy(NamedTuple):
    rule: str
    field: str
    allow_private: bool


class _PinnedConnection:
    """urllib3's connection, but the socket goes to an address :func:`resolve` vetted in this very
    lookup (no second resolution); ``self.host`` stays the name, for Host, SNI and the certificate."""

    outbound_policy: _Policy

    def _new_conn(self) -> socket.socket:
        conn: Any = self
        policy = self.outbound_policy
        infos = resolve(conn._dns_host, conn.port, rule=policy.rule, field=policy.field,
                        allow_private=policy.allow_private)
        error: Exception | None = None
        for family, socktype, proto, _name, address in infos:
            sock = None
            try:
                sock = socket.socket(family, socktype, proto)
                for option in conn.socket_options or ():
                    sock.setsockopt(*option)
                if conn.timeout is not _DEFAULT_TIMEOUT:
                    sock.settimeout(conn.timeout)
                if conn.source_address:
                    sock.bind(conn.source_address)
                sock.connect(address)
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


def _pool_classes(policy: _Policy) -> dict[str, type]:
    connection = type("PinnedHTTPConnection", (_PinnedConnection, HTTPConnection), {"outbound_policy": policy})
    tls = type("PinnedHTTPSConnection", (_PinnedConnection, HTTPSConnection), {"outbound_policy": policy})
    return {"http": type("PinnedHTTPConnectionPool", (HTTPConnectionPool,), {"ConnectionCls": connection}),
            "https": type("PinnedHTTPSConnectionPool", (HTTPSConnectionPool,), {"ConnectionCls": tls})}


class _BoundedResponse(requests.Response):
    """A response whose body is refused past ``outbound_limit`` bytes however it is read."""

    outbound_limit: tuple[int, str]

    def iter_content(self, chunk_size=1, decode_unicode=False):
        limit, rule = self.outbound_limit
        chunks = super().iter_content(chunk_size, decode_unicode=False)

        def bounded():
            total = 0
            for chunk in chunks:
                total += len(chunk)
                if total > limit:
                    self.close()
                    raise TooLarge(rule, f"the answer from {urlsplit(self.url or '').hostname} is larger than "
                                         f"{limit:,} bytes", status=502)
                yield chunk

        return stream_decode_response_unicode(bounded(), self) if decode_unicode else bounded()


class _GuardedAdapter(HTTPAdapter):
    def __init__(self, rule: str, field: str, allow_private: bool, max_bytes: int):
        self.policy = _Policy(rule, field, allow_private)
        self.max_bytes = max_bytes
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _pool_classes(self.policy)

    def send(self, request, *args, **kwargs):  # every request, redirects included
        check_url(request.url, rule=self.policy.rule, field=self.policy.field, allow_private=self.policy.allow_private)
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = DEFAULT_TIMEOUT
        return super().send(request, *args, **kwargs)

    def build_response(self, req, resp):
        response = super().build_response(req, resp)
        response.__class__ = _BoundedResponse
        response.outbound_limit = (self.max_bytes, self.policy.rule)
        return response


def guard(s: requests.Session, *, rule: str, field: str = "url", allow_private: bool = False,
          max_bytes: int = DEFAULT_MAX_BYTES) -> requests.Session:
    """Mount the address check on an existing session (e.g. Authlib's OAuth2Session)."""
    adapter = _GuardedAdapter(rule, field, allow_private, max_bytes)
    s.mount("http://", adapter)
    s.mount("https://", adapter)
    s.max_redirects = MAX_REDIRECTS
    return s


def session(*, rule: str, field: str = "url", allow_private: bool = False,
            max_bytes: int = DEFAULT_MAX_BYTES) -> requests.Session:
    """A ``requests`` session that refuses private addresses on every request and redirect,
    connects only to the addresses it vetted, and refuses an answer past ``max_bytes``."""
    return guard(requests.Session(), rule=rule, field=field, allow_private=allow_private, max_bytes=max_bytes)


def read(response: requests.Response, max_bytes: int, *, rule: str, what: str = "the answer") -> bytes:
    """The body of a ``stream=True`` response, refused (``rule``) past ``max_bytes``."""
    body = bytearray()
    try:
        for chunk in response.iter_content(65536):
            body += chunk
            if len(body) > max_bytes:
                raise TooLarge(rule, f"{what} is larger than {max_bytes:,} bytes", status=502)
    finally:
        response.close()
    return bytes(body)
