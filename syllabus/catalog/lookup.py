"""Identifier lookup: type an ISBN or a DOI while adding a citation and get its metadata.

The local catalog first (the user's library, then the other members), then the web:
Open Library for ISBNs (``/api/books?bibkeys=ISBN:…&jscmd=data``) and Crossref for DOIs
(``/works/{doi}``), through ``syllabus.core.outbound`` (timeouts, a deadline and a size ceiling on
the answer; the configured host may be a local mirror, a redirect from it to an internal
address is refused) with a descriptive User-Agent.

Configuration (Django settings, else environment variables):

* ``OPENLIBRARY_URL`` — default ``https://openlibrary.org``
* ``CROSSREF_URL`` — default ``https://api.crossref.org``
* ``CROSSREF_MAILTO`` — an address for Crossref's "polite pool" (recommended)
* ``LOOKUP_TIMEOUT`` — seconds (default 8)
* ``LOOKUP_ENABLED`` — ``false`` switches the web look-ups off (local catalog only)
"""
from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

import requests
from django.conf import settings

from syllabus.citations import csl as cslmod
from syllabus.citations import identifiers
from syllabus.core import outbound
from syllabus.core.errors import RuleViolation
from syllabus.core import jsondata


log = logging.getLogger("syllabus.catalog")

CROSSREF_TYPES = {
    "journal-article": "article-journal", "book-chapter": "chapter", "book-section": "chapter", "book-part": "chapter",
    "book": "book", "monograph": "book", "edited-book": "book", "reference-book": "book", "book-set": "book",
    "proceedings-article": "paper-conference", "proceedings": "book", "dissertation": "thesis", "report": "report",
    "report-series": "report", "dataset": "dataset", "reference-entry": "entry", "posted-content": "article",
    "journal": "periodical", "journal-issue": "periodical", "standard": "report", "peer-review": "review",
}


def setting(name: str, default: str) -> str:
    value = getattr(settings, name, None)
    if value is None or value == "":
        value = os.environ.get(name, "")
    if value is None or value == "":
        return default
    return str(value)


def _enabled() -> bool:
    return setting("LOOKUP_ENABLED", "true").strip().lower() not in ("0", "false", "no", "off")


MAX_ANSWER = 2_000_000   # bytes of one Open Library or Crossref answer
DEADLINE = 20.0          # seconds for one answer, whole


def _session(url: str) -> requests.Session:
    # the operator configured this service's host (OPENLIBRARY_URL, CROSSREF_URL): it may be a local mirror
    s = outbound.session(rule="LST-2", max_bytes=MAX_ANSWER, deadline=DEADLINE,
                         operator_hosts=frozenset({(urlsplit(url).hostname or "").lower()}))
    mailto = setting("CROSSREF_MAILTO", "")
    contact = f"; mailto:{mailto}" if mailto else ""
    s.headers["User-Agent"] = f"Syllabus/0.1 (course resource lists; +https://github.com/syllabus{contact})"
    s.headers["Accept"] = "application/json"
    return s


def _timeout() -> tuple[float, float]:
    seconds = float(setting("LOOKUP_TIMEOUT", "8"))
    return (min(3.05, seconds), seconds)


class RemoteError(RuleViolation):
    status = 502


def _get_json(url: str, source: str, params: dict | None = None) -> dict | None:
    try:
        response = _session(url).get(url, params=params, timeout=_timeout(), stream=True)
        if response.status_code == 404:
            response.close()
            return None
        if response.status_code >= 400:
            response.close()
            raise RemoteError("LST-2", f"{source} answered {response.status_code}; enter the details by hand")
        body = outbound.read(response, MAX_ANSWER, rule="LST-2", what=f"{source}'s answer")
    except requests.Timeout as exc:  # (the import report says so for the entry: session 25)
        log.warning("%s lookup timed out: %s", source, exc)
        raise RemoteError("LST-2", f"{source} did not answer in time ({_timeout()[1]:g} s); enter the details by hand") from None
    except requests.RequestException as exc:
        log.warning("%s lookup failed: %s", source, exc)
        raise RemoteError("LST-2", f"{source} did not answer ({type(exc).__name__}); enter the details by hand") from None
    except RemoteError:
        raise
    except RuleViolation as exc:   # an internal redirect, an answer too large or too slow
        log.warning("%s lookup refused: %s", source, exc)
        raise RemoteError("LST-2", f"{exc.detail}; enter the details by hand") from None
    try:
        return jsondata.loads(body)
    except ValueError:
        raise RemoteError("LST-2", f"{source} sent something that is not JSON") from None


class OpenLibraryClient:
    """ISBN → CSL-JSON from Open Library's Books API."""

    source = "Open Library"

    def __init__(self, base_url: str | None = None):
        self.base_url = (base_url or setting("OPENLIBRARY_URL", "https://openlibrary.org")).rstrip("/")

    def by_isbn(self, isbn: str) -> dict | None:
        key = f"ISBN:{isbn}"
        body = _get_json(f"{self.base_url}/api/books", self.source, {"bibkeys": key, "format": "json", "jscmd": "data"})
        if not body or key not in body:
            return None
        return self.to_csl(body[key], isbn)

    @staticmethod
    def to_csl(book: dict, isbn: str) -> dict:
        title = book.get("title", "")
        if book.get("subtitle"):
            title = f"{title}: {book['subtitle']}"
        data: dict = {"type": "book", "title": title, "ISBN": isbn,
                      "author": [cslmod.parse_name(a.get("name", "")) for a in book.get("authors", []) if a.get("name")],
                      "publisher": ", ".join(p.get("name", "") for p in book.get("publishers", [])[:1]),
                      "publisher-place": ", ".join(p.get("name", "") for p in book.get("publish_places", [])[:1]),
                      "issued": cslmod.date_parts(_year_text(book.get("publish_date", "")))}
        if book.get("number_of_pages"):
            data["number-of-pages"] = str(book["number_of_pages"])
        subjects = [s.get("name", "") for s in book.get("subjects", [])[:8] if s.get("name")]
        if subjects:
            data["keyword"] = "; ".join(subjects)
        oclc = (book.get("identifiers") or {}).get("oclc") or []
        if oclc:
            data["note"] = f"OCLC {oclc[0]}"
        return cslmod.clean(data)


def _year_text(text: str) -> str:
    """"January 30, 2003" / "2003" / "c1998" → something ``date_parts`` reads."""
    m = re.search(r"\b(1[0-9]{3}|20[0-9]{2})\b", text or "")
    return m.group(1) if m else ""


class CrossrefClient:
    """DOI → CSL-JSON from Crossref's REST API."""

    source = "Crossref"

    def __init__(self, base_url: str | None = None):
        self.base_url = (base_url or setting("CROSSREF_URL", "https://api.crossref.org")).rstrip("/")

    def by_doi(self, doi: str) -> dict | None:
        body = _get_json(f"{self.base_url}/works/{quote(doi, safe='/:;()')}", self.source)
        if not body or body.get("status") != "ok":
            return None
        return self.to_csl(body.get("message") or {})

    @staticmethod
    def to_csl(work: dict) -> dict:
        def first(key: str) -> str:
            value = work.get(key)
            return (value[0] if value else "") if isinstance(value, list) else (value or "")

        title = first("title")
        if first("subtitle"):
            title = f"{title}: {first('subtitle')}"

        def people(key: str) -> list[dict]:
            out = []
            for p in work.get(key, []) or []:
                if p.get("family"):
                    out.append({"family": p["family"], "given": p.get("given", "")} if p.get("given") else {"family": p["family"]})
                elif p.get("name"):
                    out.append({"literal": p["name"]})
            return out

        issued = None
        for key in ("issued", "published-print", "published-online", "published", "created"):
            parts = (work.get(key) or {}).get("date-parts") or []
            if parts and parts[0] and parts[0][0]:
                issued = {"date-parts": [[int(p) for p in parts[0] if p]]}
                break
        data = {
            "type": CROSSREF_TYPES.get(work.get("type", ""), "article"),
            "title": title,
            "container-title": first("container-title"),
            "author": people("author"),
            "editor": people("editor"),
            "issued": issued,
            "volume": work.get("volume", ""),
            "issue": work.get("issue", ""),
            "page": work.get("page", ""),
            "DOI": work.get("DOI", ""),
            "ISSN": " ".join(work.get("ISSN", [])[:2]),
            "ISBN": " ".join(work.get("ISBN", [])[:2]),
            "publisher": work.get("publisher", ""),
            "URL": work.get("URL", ""),
            "language": work.get("language", ""),
        }
        return cslmod.clean(data)


@dataclass
class LookupResult:
    identifier: str  # what was looked up (normalised)
    kind: str        # isbn | doi | issn
    source: str      # catalog | openlibrary | crossref
    csl: dict
    record_id: int | None = None


def classify(text: str) -> tuple[str, str] | None:
    text = (text or "").strip()
    if not text:
        return None
    if doi := identifiers.normalize_doi(text) if re.search(r"10\.\d{4,9}/", text) else None:
        return "doi", doi
    compact = re.sub(r"^(isbn[:\s]*)", "", text, flags=re.I)
    if isbn := identifiers.normalize_isbn(compact) if re.fullmatch(r"[\d\-\s]{9,17}[\dXx]", compact) else None:
        return "isbn", isbn
    if issn := identifiers.normalize_issn(text) if re.fullmatch(r"\d{4}-?\d{3}[\dXx]", text) else None:
        return "issn", issn
    return None


def lookup(user, identifier: str, *, remote: bool = True) -> LookupResult | None:
    """The metadata of an ISBN, DOI or ISSN; ``None`` when nobody knows it.  Raises
    ``RuleViolation("LST-2")`` for text that is no valid identifier, and a 502 when the remote
    service fails (the user can still type the details)."""
    kind_value = classify(identifier)
    if kind_value is None:
        raise RuleViolation("LST-2", f"{identifier!r} is not a valid ISBN, ISSN or DOI", field="identifier")
    kind, value = kind_value
    from .search import ParsedQuery, SearchParams, search
    from .selectors import SCOPE_CONSORTIUM, SCOPE_MINE, records_by_ids, scope_institution_ids

    query = {"isbn": ParsedQuery(isbn=value), "doi": ParsedQuery(doi=value),
             "issn": ParsedQuery(issn=value.replace("-", ""))}[kind]
    for scope in (SCOPE_MINE, SCOPE_CONSORTIUM):
        ids = search(SearchParams(query=query, institution_ids=scope_institution_ids(user, scope), page_size=1, facets=False)).ids
        if ids:
            record = records_by_ids(user, ids)[0]
            return LookupResult(value, kind, "catalog", dict(record.csl), record.pk)
    if not remote or not _enabled() or kind == "issn":
        return None
    if kind == "isbn":
        data = OpenLibraryClient().by_isbn(value)
        return LookupResult(value, kind, "openlibrary", data) if data else None
    data = CrossrefClient().by_doi(value)
    return LookupResult(value, kind, "crossref", data) if data else None
