"""CLA check (SRV-2): what the institution's copying licence allows for a title — photocopying,
scanning and digital copying, each ``allowed`` | ``not_allowed`` | ``unknown`` — from a pluggable
permissions provider chosen by the ``cla_provider`` parameter:

- ``offline``: the shipped sample data (``data/cla_sample.json``);
- ``http``: a permissions service at ``cla_service_url``, asked ``GET {base}/permissions?isbn=..``
  (or ``?issn=..``) and answering the JSON format documented in ``docs/acquisitions.md``::

      {"identifier": "9780262033848", "permissions": {"photocopy": "allowed", "scan": "not_allowed",
       "digital": "not_allowed"}}

  404 means "not covered" (every answer unknown); a network error, a timeout or a malformed
  answer is ``unknown`` too, with ``error`` set — a check never breaks the page that asks.

Providers are registered by name (:func:`register_provider`), so another one (a vendor's) plugs in
without editing this module."""
from __future__ import annotations

import json
import urllib.parse
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path

import requests

from syllabus.core import outbound
from syllabus.core.errors import RuleViolation
from syllabus.org import config
from syllabus.core import jsondata

ALLOWED, NOT_ALLOWED, UNKNOWN = "allowed", "not_allowed", "unknown"
VALUES = (ALLOWED, NOT_ALLOWED, UNKNOWN)
USES = ("photocopy", "scan", "digital")
SAMPLE = Path(__file__).with_name("data") / "cla_sample.json"
TIMEOUT = 5.0


@dataclass(frozen=True)
class Permissions:
    photocopy: str = UNKNOWN
    scan: str = UNKNOWN
    digital: str = UNKNOWN
    source: str = ""
    error: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def _value(v) -> str:
    return v if v in VALUES else UNKNOWN


def clean_identifier(isbn: str = "", issn: str = "") -> tuple[str, str]:
    """("isbn", ISBN-13) or ("issn", 8 characters), or an SRV-2 refusal."""
    from syllabus.citations.identifiers import normalize_isbn, normalize_issn

    if isbn:
        value = normalize_isbn(isbn)
        if not value:
            raise RuleViolation("SRV-2", "not a valid ISBN", field="isbn")
        return "isbn", value
    if issn:
        value = normalize_issn(issn)
        if not value:
            raise RuleViolation("SRV-2", "not a valid ISSN", field="issn")
        return "issn", value.replace("-", "")
    raise RuleViolation("SRV-2", "give an isbn or an issn", field="isbn")


@cache
def _sample() -> dict:
    return json.loads(SAMPLE.read_text(encoding="utf-8"))["titles"]


def offline(kind: str, value: str, institution=None) -> Permissions:
    row = _sample().get(value)
    if row is None:
        return Permissions(source="offline")
    return Permissions(**{u: _value(row.get(u)) for u in USES}, source="offline")


def http(kind: str, value: str, institution=None) -> Permissions:
    base = (config.get("cla_service_url", institution=institution) or "").strip().rstrip("/")
    if not base.lower().startswith(("http://", "https://")):
        return Permissions(source="http", error="no permissions service configured")
    url = f"{base}/permissions?{urllib.parse.urlencode({kind: value})}"
    try:   # through syllabus.core.outbound: the address is an administrator's, not the operator's (SSRF)
        resp = outbound.session(rule="SRV-2", field="cla_service_url").get(
            url, headers={"Accept": "application/json"}, timeout=TIMEOUT, stream=True)
        if resp.status_code == 404:
            resp.close()
            return Permissions(source="http")
        if resp.status_code >= 400:
            resp.close()
            return Permissions(source="http", error=f"permissions service answered {resp.status_code}")
        body = jsondata.loads(outbound.read(resp, 1_000_000, rule="SRV-2").decode("utf-8"))
    except RuleViolation as exc:
        return Permissions(source="http", error=f"permissions service refused: {exc.detail}")
    except (requests.RequestException, ValueError) as exc:
        return Permissions(source="http", error=f"permissions service unavailable: {exc.__class__.__name__}")
    perms = body.get("permissions") if isinstance(body, dict) else None
    if not isinstance(perms, dict):
        return Permissions(source="http", error="malformed answer")
    return Permissions(**{u: _value(perms.get(u)) for u in USES}, source="http")


PROVIDERS: dict[str, Callable[..., Permissions]] = {"offline": offline, "http": http}


def register_provider(name: str, fn: Callable[..., Permissions]) -> None:
    PROVIDERS[name] = fn


def check(institution, *, isbn: str = "", issn: str = "") -> Permissions:
    kind, value = clean_identifier(isbn, issn)
    name = config.get("cla_provider", institution=institution) or "offline"
    provider = PROVIDERS.get(name, offline)
    return provider(kind, value, institution)


def identifiers_of(req) -> tuple[str, str]:
    """The ISBN / ISSN of a digitization request: its citation's, else its record's."""
    meta = (req.citation.metadata or {}) if getattr(req, "citation", None) is not None else {}
    rec = getattr(req, "record", None)
    isbn = meta.get("ISBN") or (rec.isbn if rec is not None else "")
    issn = meta.get("ISSN") or (rec.issn if rec is not None else "")
    if isinstance(isbn, list):
        isbn = isbn[0] if isbn else ""
    if isinstance(issn, list):
        issn = issn[0] if issn else ""
    return str(isbn or ""), str(issn or "")


def blocks_digitization(req) -> str | None:
    """SRV-2 → DIG-9: a licence that does not permit scanning (or digital copying, for a
    delivered file) stops the automatic approval of a digitization request."""
    isbn, issn = identifiers_of(req)
    if not (isbn or issn):
        return None
    try:
        answer = check(req.institution, isbn=isbn, issn=issn)
    except RuleViolation:
        return None
    refused = [u for u in ("scan", "digital") if getattr(answer, u) == NOT_ALLOWED]
    if refused:
        return f"SRV-2: the CLA licence does not permit {' or '.join(refused)} copying ({answer.source})"
    return None
