"""New editions (SRV-3): find a later edition of the same work as a list item.

Two sources, each giving :class:`Edition` rows:

- the local catalog: records of the same institution that share the item's ``work_key`` (the
  catalog's grouping of editions: OCLC work id, Open Library work...), or — when the item's
  record has no work key — the same normalised title **and** the same first author's family
  name; and a later year;
- a bibliographic feed speaking Open Library's API (``editions_feed_url``): ``GET /isbn/{isbn}.json``
  gives the edition and its ``works``; ``GET {work}/editions.json`` lists the work's editions.
  The feed only ever returns editions of the same work, so a same-titled different work is never
  offered.  A feed that fails answers nothing (the check never breaks the page)."""
from __future__ import annotations

import re
import unicodedata
import logging
import urllib.parse
from dataclasses import dataclass

import requests

from syllabus.catalog.models import Record
from syllabus.core import outbound
from syllabus.core.errors import RuleViolation
from syllabus.org import config
from syllabus.core import jsondata

log = logging.getLogger(__name__)

TIMEOUT = 5.0


@dataclass(frozen=True)
class Edition:
    source: str
    key: str
    title: str
    year: int | None
    edition: str = ""
    isbn: str = ""
    publisher: str = ""
    record_id: int | None = None


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode().lower()
    text = re.split(r"[:;/]", text)[0]
    return " ".join(re.findall(r"[a-z0-9]+", text))


def _family(creators: str) -> str:
    first = (creators or "").split(";")[0].strip()
    if "," in first:
        return _norm(first.split(",")[0])
    parts = first.split()
    return _norm(parts[-1]) if parts else ""


def _year(value) -> int | None:
    m = re.search(r"(1[5-9]\d\d|20\d\d)", str(value or ""))
    return int(m.group(1)) if m else None


def citation_facts(citation) -> dict:
    """Title, first author's family name, year and ISBN of a list item (its record first)."""
    rec = citation.record
    meta = citation.metadata or {}
    authors = meta.get("author") or []
    family = _norm(authors[0].get("family", "")) if authors and isinstance(authors[0], dict) else ""
    issued = ((meta.get("issued") or {}).get("date-parts") or [[None]])[0][0] if isinstance(meta.get("issued"), dict) else None
    isbn = meta.get("ISBN") or ""
    return {"title": _norm(rec.title if rec is not None else citation.title), "family": (_family(rec.creators) if rec is not None and rec.creators else family),
            "year": (rec.year if rec is not None and rec.year else _year(issued)), "isbn": re.sub(r"[^0-9X]", "", str(isbn).upper())
            or (rec.isbn if rec is not None else ""), "work_key": rec.work_key if rec is not None else "", "record_id": rec.pk if rec is not None else None}


def from_catalog(citation) -> list[Edition]:
    facts = citation_facts(citation)
    if not facts["year"]:
        return []
    inst_id = citation.resource_list.institution_id
    qs = Record.objects.filter(institution_id=inst_id, year__gt=facts["year"]).exclude(pk=facts["record_id"])
    candidates: list[Record]
    if facts["work_key"]:
        candidates = list(qs.filter(work_key=facts["work_key"]))
    else:
        if not facts["title"] or not facts["family"]:
            return []
        words = facts["title"].split()
        candidates = [r for r in qs.filter(title__icontains=words[0])[:200]
                      if _norm(r.title) == facts["title"] and _family(r.creators) == facts["family"]]
    return [Edition("catalog", f"record:{r.pk}", r.title, r.year, r.edition, r.isbn, r.publisher, r.pk)
            for r in sorted(candidates, key=lambda r: (r.year or 0), reverse=True)]


def _get(base: str, path: str):
    """JSON from the institution's editions feed, through syllabus.core.outbound (no private addresses)."""
    response = outbound.session(rule="SRV-3").get(base + path, headers={"Accept": "application/json"}, timeout=TIMEOUT,
                                                  stream=True)
    response.raise_for_status()
    return jsondata.loads(outbound.read(response, 2_000_000, rule="SRV-3").decode("utf-8"))


def from_open_library(citation, base: str) -> list[Edition]:
    facts = citation_facts(citation)
    base = (base or "").strip().rstrip("/")
    if not facts["isbn"] or not base.lower().startswith(("http://", "https://")):
        return []
    try:
        edition = _get(base, f"/isbn/{urllib.parse.quote(facts['isbn'])}.json")
        works = [w.get("key", "") for w in edition.get("works", []) if isinstance(w, dict)]
        if not works or not re.fullmatch(r"/works/OL\d+W", works[0]):
            return []
        year = facts["year"] or _year(edition.get("publish_date"))
        listing = _get(base, f"{works[0]}/editions.json?limit=100")
    except RuleViolation as exc:   # a private address, an answer too large
        log.warning("editions feed %s refused: %s", base, exc)
        return []
    except (requests.RequestException, ValueError, AttributeError):
        return []
    out = []
    for e in listing.get("entries", []) if isinstance(listing, dict) else []:
        y = _year(e.get("publish_date"))
        if year is None or y is None or y <= year:
            continue
        isbns = e.get("isbn_13") or e.get("isbn_10") or [""]
        out.append(Edition("openlibrary", f"openlibrary:{e.get('key', '')}", str(e.get("title", ""))[:1000], y,
                           str(e.get("edition_name", ""))[:100], str(isbns[0])[:13], str((e.get("publishers") or [""])[0])[:300]))
    return sorted(out, key=lambda e: e.year or 0, reverse=True)


def find(citation) -> list[Edition]:
    found = from_catalog(citation)
    base = config.get("editions_feed_url", institution=citation.resource_list.institution)
    if base:
        seen = {e.isbn for e in found if e.isbn}
        found += [e for e in from_open_library(citation, base) if not e.isbn or e.isbn not in seen]
    return found
