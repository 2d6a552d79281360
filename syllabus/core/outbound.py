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
- a timeout on every request (the caller's, else ``DEFAULT_TIMEOUT``); the caller reads the body with :func:`read` (at most ``max_bytes``).

Only the platform operator may let an intranet host through: ``OUTBOUND_PRIVATE_HOSTS`` (a list of
host names, or ``*`` for all; a comma-separated string from the environment), e.g. an IdP on the
campus network.  Addresses the operator configures in settings (SMS gateway, Crossref) are not
guarded here.

Known limit: the name is resolved for the check and again by the connection (DNS rebinding with a
zero TTL could slip between them); deployments that need more route egress through a proxy.
"""
from __future__ import annotations

import ipaddress
import os
import socket
from urllib.parse import urlsplit

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter

from syllabus.core.errors import RuleViolation

MAX_REDIRECTS = 5
DEFAULT_TIMEOUT = 20.0   # seconds, for a library that calls without one (pylti1p3's key set fetch)


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


def check_url(url: str, *, rule: str, field: str = "url", allow_private: bool = False) -> None:
    """Refuse (``rule``) an address the server must not fetch; see the module docstring."""
    parts = urlsplit(url or "")
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        raise RuleViolation(rule, f"only http(s) addresses are fetched, not {url[:200]!r}", field=field)
    allowed = private_hosts_allowed()
    if allow_private or "*" in allowed or host in allowed:
        return
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, ValueError):
        raise RuleViolation(rule, f"cannot find the host {host}", field=field, status=502) from None
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if _refused(address):
            raise RuleViolation(rule, f"{host} is a private or local network address ({address}): the server does not "
                                      "fetch it (the platform operator may list the host in OUTBOUND_PRIVATE_HOSTS)",
                                field=field)


class _GuardedAdapter(HTTPAdapter):
    def __init__(self, rule: str, field: str, allow_private: bool):
        super().__init__(max_retries=0)
        self.rule, self.field, self.allow_private = rule, field, allow_private

    def send(self, request, *args, **kwargs):  # every request, redirects included
        check_url(request.url, rule=self.rule, field=self.field, allow_private=self.allow_private)
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = DEFAULT_TIMEOUT
        return super().send(request, *args, **kwargs)


def guard(s: requests.Session, *, rule: str, field: str = "url", allow_private: bool = False) -> requests.Session:
    """Mount the address check on an existing session (e.g. Authlib's OAuth2Session)."""
    adapter = _GuardedAdapter(rule, field, allow_private)
    s.mount("http://", adapter)
    s.mount("https://", adapter)
    s.max_redirects = MAX_REDIRECTS
    return s


def session(*, rule: str, field: str = "url", allow_private: bool = False) -> requests.Session:
    """A ``requests`` session that refuses private addresses on every request and redirect."""
    return guard(requests.Session(), rule=rule, field=field, allow_private=allow_private)


def read(response: requests.Response, max_bytes: int, *, rule: str, what: str = "the answer") -> bytes:
    """The body of a ``stream=True`` response, refused (``rule``) past ``max_bytes``."""
    body = bytearray()
    try:
        for chunk in response.iter_content(65536):
            body += chunk
            if len(body) > max_bytes:
                raise RuleViolation(rule, f"{what} is larger than {max_bytes:,} bytes", status=502)
    finally:
        response.close()
    return bytes(body)
