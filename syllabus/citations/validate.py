"""Checking CSL-JSON metadata as a person or a program gives it (LST-2).

:func:`check_metadata` checks and normalises field names as CSL spells them (``title``,
``author: [{family, given}]``, ``container-title``, ``ISBN``, ``ISSN``, ``DOI``, ``edition``,
``publisher``, ``issued: {date-parts}``, ``page``, ``URL``...); identifiers go through
:mod:`syllabus.citations.identifiers`.  A bad value is refused with a clear ``LST-2`` error
naming the field.  Which citation types a list offers is the lists app's business
(:mod:`syllabus.lists.metadata`).
"""
from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from syllabus.core.errors import RuleViolation

from . import csl as cslmod
from . import identifiers
from .identifiers import InvalidIdentifier

NAME_VARIABLES = {
    "author", "editor", "translator", "container-author", "collection-editor", "composer", "director",
    "editorial-director", "illustrator", "interviewer", "original-author", "recipient", "reviewed-author", "chair",
    "compiler", "contributor", "curator", "executive-producer", "guest", "host", "narrator", "organizer", "performer",
    "producer", "script-writer", "series-creator",
}
DATE_VARIABLES = {"issued", "accessed", "original-date", "event-date", "submitted", "available-date"}
TEXT_VARIABLES = {
    "title", "title-short", "container-title", "container-title-short", "collection-title", "collection-number",
    "publisher", "publisher-place", "edition", "page", "page-first", "number-of-pages", "volume", "number-of-volumes",
    "issue", "number", "chapter-number", "abstract", "note", "language", "medium", "genre", "source", "archive",
    "archive_location", "call-number", "dimensions", "event", "event-place", "keyword", "locator", "original-publisher",
    "original-publisher-place", "original-title", "PMCID", "PMID", "references", "scale", "section", "status",
    "version", "year-suffix", "annote", "authority", "citation-label", "reviewed-title", "division", "jurisdiction", "part-number", "part-title", "printing-number", "volume-title",
    "archive-place", "archive_collection", "event-title",
}
IDENTIFIERS = {"ISBN", "ISSN", "DOI", "URL"}
KNOWN = NAME_VARIABLES | DATE_VARIABLES | TEXT_VARIABLES | IDENTIFIERS | {"type", "id"}

_url = URLValidator(schemes=["http", "https"])


def _bad(field: str, detail: str) -> RuleViolation:
    return RuleViolation("LST-2", detail, field=f"metadata.{field}")


def _text(field: str, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise _bad(field, f"{field} must be text")
    return str(value).strip()


def _name(field: str, value: Any) -> dict:
    if isinstance(value, str):
        value = value.strip()
        if "," in value:
            family, given = (p.strip() for p in value.split(",", 1))
            return {"family": family, "given": given} if given else {"family": family}
        return {"literal": value}
    if not isinstance(value, dict):
        raise _bad(field, f"each {field} is {{family, given}} or {{literal}}")
    out = {}
    for key in ("family", "given", "literal", "suffix", "dropping-particle", "non-dropping-particle"):
        if key in value and value[key] not in (None, ""):
            out[key] = _text(f"{field}.{key}", value[key])
    unknown = set(value) - {"family", "given", "literal", "suffix", "dropping-particle", "non-dropping-particle",
                            "parse-names", "comma-suffix", "static-ordering"}
    if unknown:
        raise _bad(field, f"unknown name part {sorted(unknown)[0]!r} in {field} (use family, given or literal)")
    if not (out.get("family") or out.get("literal")):
        raise _bad(field, f"each {field} needs a family name (or a literal name)")
    return out


_BC = re.compile(r"(\d{1,4})\s*(?:BC|BCE|B\.\s?C\.(?:\s?E\.)?|av\.?\s*J\.?-?C\.?|v\.\s?Chr\.)", re.I)


def _seasons(parts: list[list[int]], value: dict) -> tuple[list[list[int]], Any]:
    """A season given as a month: 13–16 (citeproc-js's date parser) or 21–24 (EDTF, the CSL
    test-suite) → CSL's ``season`` (1 spring … 4 winter) of a date given to the year.  A range
    whose ends are in different seasons ("Spring 1999 - Summer 2001", "Spring-Summer 2021") keeps
    them as CSL's season codes 21–24 in its date-parts, which citeproc-js renders as a season range
    (``season`` is one for the whole date)."""
    found = [((p[1] - 13) % 4 + 1) if len(p) == 2 and (13 <= p[1] <= 16 or 21 <= p[1] <= 24) else None for p in parts]
    if not any(found):
        return parts, value.get("season")
    if len(found) == 2 and all(found) and found[0] != found[1]:
        return [[p[0], 20 + (f or 0)] for p, f in zip(parts, found)], None
    season = found[0] if len(set(found)) == 1 else None
    return [[p[0]] if f else p for p, f in zip(parts, found)], season or value.get("season")


def season_range(parts: list[list[int]]) -> bool:
    """A range from one season to another, as :func:`_seasons` keeps it (months 21–24)."""
    return len(parts) == 2 and all(len(p) == 2 and 21 <= p[1] <= 24 for p in parts)


def _dashes(text: str) -> str:
    """"Spring–Summer 2021": an en or em dash between words is a range, which citeproc-js's parser
    (splitting at "-" and "/" only) would read as "Spring 2021"."""
    return re.sub(r"(?<=[A-Za-z0-9])\s*[–—]\s*(?=[A-Za-z0-9])", "-", text)


def _date(field: str, value: Any) -> dict:
    """A CSL date.  Text (a plain string, ``{"raw": ...}``) is read as citeproc-js reads it
    (:func:`cslmod.parse_date_text`); text that is no date, and ``{"literal": ...}``, stay literal."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, str):
        text = _dashes(value.strip())
        era = _BC.fullmatch(text)
        value = {"date-parts": [[-int(era.group(1))]]} if era else cslmod.parse_date_text(text)
    if not isinstance(value, dict):
        raise _bad(field, f"{field} must be {{\"date-parts\": [[year, month, day]]}}")
    extras = {k: value[k] for k in ("circa", "season") if k in value}
    if not value.get("date-parts"):
        if value.get("raw") and not value.get("literal"):  # what Zotero, Mendeley, pandoc send for citeproc-js to parse
            return _date(field, {**cslmod.parse_date_text(_dashes(_text(field, value["raw"]))), **extras})
        if value.get("literal"):
            return {"literal": _text(field, value["literal"]), **extras}
        raise _bad(field, f"{field} must be {{\"date-parts\": [[year, month, day]]}}")
    parts = value["date-parts"]
    if not isinstance(parts, list) or not parts or len(parts) > 2:
        raise _bad(field, f"{field}.date-parts must hold one date (or two for a range)")
    if len(parts) == 2 and parts[1] in ([], [0], ["0"], [""]):
        parts = parts[:1]  # an open-ended range ("2014-12-31/": Better CSL JSON writes its end as [0]): its start
    clean_parts = []
    for part in parts:
        if not isinstance(part, list) or not 1 <= len(part) <= 3:
            raise _bad(field, f"{field}.date-parts must be [[year, month, day]] with month and day optional")
        try:
            nums = [int(p) for p in part]
        except (TypeError, ValueError):
            raise _bad(field, f"{field}.date-parts must be numbers") from None
        clean_parts.append(nums)
    clean_parts, season = _seasons(clean_parts, value)
    for nums in clean_parts:
        # BC years are negative (CSL-JSON: -500 is 500 BC; citeproc renders "500 BC" / "500 av. J.-C.")
        if not 0 < abs(nums[0]) <= 9999 or (len(nums) > 1 and not 1 <= nums[1] <= 12 and not season_range(clean_parts)) or (len(nums) > 2 and not 1 <= nums[2] <= 31):
            raise _bad(field, f"{field} {nums} is not a valid date")
    out: dict[str, Any] = {"date-parts": clean_parts}
    if season:
        out["season"] = season
    if "circa" in value:
        out["circa"] = value["circa"]
    return out


def read_date(value: Any) -> dict | None:
    """A date as :func:`_date` stores it (seasons as ``season``, text as citeproc-js reads it), or
    None when it is no date at all — for importers, which name what they drop instead of refusing."""
    try:
        return _date("issued", value)
    except RuleViolation:
        return None


def _identifier(field: str, check, value: Any) -> str:
    try:
        return check(_text(field, value))
    except InvalidIdentifier as exc:
        raise _bad(field, str(exc)) from None


def normalise_url(value: Any) -> str:
    """An http(s) address.  What exports write without a scheme is given https: a
    scheme-relative ``//www.sciencedirect.com/...`` (ScienceDirect's RIS) and a bare
    ``www.jstor.org/...``."""
    raw = _text("URL", value)
    if raw.startswith("//"):
        raw = "https:" + raw
    elif raw.lower().startswith("www."):
        raw = "https://" + raw
    try:
        _url(raw)
    except ValidationError:
        raise _bad("URL", f"URL {raw} is not a valid http(s) address") from None
    return raw


def check_metadata(metadata: dict | None) -> dict:
    """Check and normalise CSL-JSON ``metadata`` (field names, names, dates, identifiers, URL);
    ``type`` and ``id`` are left to the caller.  A bad value raises ``RuleViolation("LST-2")``
    naming the field (``metadata.ISBN``...)."""
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict):
        raise RuleViolation("LST-2", "metadata must be a CSL-JSON object", field="metadata")
    unknown = sorted(set(metadata) - KNOWN)
    if unknown:
        hint = {"authors": "author", "year": "issued", "isbn": "ISBN", "issn": "ISSN", "doi": "DOI", "url": "URL",
                "pages": "page", "journal": "container-title", "container_title": "container-title"}.get(unknown[0])
        raise _bad(unknown[0], f"unknown CSL field {unknown[0]!r}" + (f" (did you mean {hint!r}?)" if hint else ""))
    out: dict[str, Any] = {}
    for key, value in metadata.items():
        if key in ("type", "id") or value is None or value == "" or value == []:
            continue
        if key in NAME_VARIABLES:
            items = value if isinstance(value, list) else [value]
            out[key] = [_name(key, v) for v in items]
        elif key in DATE_VARIABLES:
            out[key] = _date(key, value)
        elif key == "ISBN":
            out[key] = _identifier(key, identifiers.check_isbns, value)
        elif key == "ISSN":
            out[key] = _identifier(key, identifiers.check_issns, value)
        elif key == "DOI":
            out[key] = _identifier(key, identifiers.check_doi, value)
        elif key == "URL":
            out[key] = normalise_url(value)
        elif key == "keyword" and isinstance(value, list):
            out[key] = ", ".join(_text(key, v) for v in value)
        else:
            out[key] = _text(key, value)
        if out.get(key) in ("", None):
            out.pop(key, None)
    return out


def merge_patch(current: dict, patch: dict) -> dict:
    """JSON merge patch (RFC 7396) of metadata: keys in ``patch`` replace, ``null`` removes."""
    if not isinstance(patch, dict):
        raise RuleViolation("LST-2", "metadata must be a CSL-JSON object", field="metadata")
    merged = dict(current)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged
