"""ISBN, ISSN and DOI: the one place that reads, checks and normalises them (LST-2, DSV-1).

Two ways in, one normal form:

* the lenient readers (:func:`normalize_isbn`, :func:`normalize_issn`, :func:`normalize_doi`)
  answer ``None`` for something that is no identifier: for importers and catalog records,
  which keep what they can;
* the strict checkers (:func:`check_isbns`, :func:`check_issns`, :func:`check_doi`) raise
  :class:`InvalidIdentifier` with a reason a person can act on: for what an instructor or the
  API gives, which the caller refuses with its rule.

ISBN → ISBN-13 compact; ISSN → ``NNNN-NNNX``; DOI → as given without resolver prefix, compared
folded (:func:`doi_key`: DOIs are case-insensitive).
ISBNs and ISSNs are validated with python-stdnum, DOIs with idutils.
"""
from __future__ import annotations

import re
from typing import Any

import idutils
from stdnum import isbn as stdisbn
from stdnum import issn as stdissn
from stdnum.exceptions import ValidationError

DOI_RE = re.compile(r"\b(10\.\d{4,9}/\S+)", re.I)


class InvalidIdentifier(ValueError):
    """``field`` (ISBN, ISSN, DOI) holds ``value`` that is not valid; ``str()`` says why."""

    def __init__(self, field: str, value: str, reason: str):
        super().__init__(reason)
        self.field, self.value = field, value


def split_identifiers(value: str | None) -> list[str]:
    """CSL allows several ISBNs/ISSNs in one string ("9780.. 0141.."); split them."""
    return [p for p in re.split(r"[\s,;]+", value or "") if p]


# --- lenient -------------------------------------------------------------------------------

def normalize_isbn(value: str | None) -> str | None:
    """ISBN-13 in compact form, or None when ``value`` is no valid ISBN."""
    if not value:
        return None
    candidate = re.sub(r"[^0-9Xx]", "", str(value).split("(")[0])
    try:
        return stdisbn.to_isbn13(stdisbn.validate(candidate))
    except (ValidationError, ValueError):
        return None


def isbn_forms(isbn13: str) -> list[str]:
    """Both searchable forms of an ISBN: the 13 and, when it has one, the 10."""
    forms = [isbn13]
    try:
        ten = stdisbn.to_isbn10(isbn13)
        if ten:
            forms.append(ten)
    except (ValidationError, ValueError):
        pass
    return forms


def normalize_issn(value: str | None) -> str | None:
    if not value:
        return None
    candidate = re.sub(r"[^0-9Xx]", "", str(value))
    try:
        return stdissn.format(stdissn.validate(candidate))
    except (ValidationError, ValueError):
        return None


def normalize_doi(value: str | None) -> str | None:
    """The DOI in ``value`` as given (case kept: DOIs are stored as the registrant wrote them),
    without resolver prefix ("doi:", "info:doi/", "https://doi.org/") or trailing punctuation;
    ``None`` when there is none.  Compare DOIs with :func:`doi_key`, never with this."""
    if not value:
        return None
    text = str(value).strip()
    text = re.sub(r"^(?:doi:\s*|info:doi/|https?://(?:dx\.)?doi\.org/)", "", text, flags=re.I)
    match = DOI_RE.search(text)
    if not match:
        return None
    return match.group(1).rstrip(".,;")


#: a shortDOI (the DOI Foundation's shortDOI service; Zotero's DOI shortener and Better BibTeX write them):
#: ``10/fqd6hj`` (with or without ``doi:`` or a doi.org link before it), or the form doi.org also resolves
#: without the ``10/`` — ``https://doi.org/fqd6hj``, ``doi.org/abcde`` (letters and digits alone: a full DOI
#: always has a "10." and a "/"; session 23)
SHORT_DOI = re.compile(r"(?:doi:\s*|(?:https?://)?(?:dx\.)?doi\.org/)?10/([a-z0-9]+)"
                       r"|(?:https?://)?(?:dx\.)?doi\.org/([a-z0-9]{3,16})/?", re.I)


def short_doi_link(value: str | None) -> str:
    """The doi.org link of the shortDOI ``value`` is (``https://doi.org/10/fqd6hj``, ``https://doi.org/fqd6hj``);
    ``""`` when it is none.  No catalog, Crossref lookup or link resolver matches a shortDOI: it is kept as a link."""
    short = SHORT_DOI.fullmatch(str(value or "").strip())
    if not short:
        return ""
    return f"https://doi.org/10/{short.group(1)}" if short.group(1) else f"https://doi.org/{short.group(2)}"


def doi_key(value: str | None) -> str:
    """The DOI of ``value`` folded for comparison (DOIs are case-insensitive, DOI Handbook
    3.4): what dedupe, lookup, the catalog's ``Record.doi`` column and search compare.
    ``""`` when ``value`` holds no DOI."""
    doi = normalize_doi(value)
    return doi.lower() if doi else ""


def same_doi(a: str | None, b: str | None) -> bool:
    """Whether ``a`` and ``b`` name one DOI ("10.1093/MIND/LIX.236.433" is "10.1093/mind/lix.236.433")."""
    key = doi_key(a)
    return bool(key) and key == doi_key(b)


# --- strict --------------------------------------------------------------------------------

def _reason(exc: ValidationError) -> str:
    message = getattr(exc, "message", "") or ""
    return message[:-1].lower() if message else "invalid"


def _check_each(kind: str, value: Any, normalise) -> str:
    """Each identifier of ``value`` (separated by spaces, commas or semicolons) normalised,
    duplicates dropped; the first invalid one raises :class:`InvalidIdentifier` naming it."""
    out = []
    for raw in split_identifiers(str(value)):
        try:
            out.append(normalise(raw))
        except ValidationError as exc:
            raise InvalidIdentifier(kind, raw, f"{kind} {raw} is not valid ({_reason(exc)})") from None
    return " ".join(dict.fromkeys(out))


def check_isbns(value: Any) -> str:
    """One or more ISBNs → ISBN-13s, compact."""
    return _check_each("ISBN", value, lambda raw: stdisbn.to_isbn13(stdisbn.validate(raw)))


def check_issns(value: Any) -> str:
    """One or more ISSNs → formatted ``NNNN-NNNN``."""
    return _check_each("ISSN", value, lambda raw: stdissn.format(stdissn.validate(raw)))


def check_doi(value: Any) -> str:
    raw = str(value).strip()
    doi = normalize_doi(raw) if idutils.is_doi(raw) else None
    if not doi and (link := short_doi_link(raw)):
        raise InvalidIdentifier("DOI", raw, f"DOI {raw} is a shortDOI, which no catalog or lookup can match: give the "
                                            f"full DOI (10.<registrant>/<suffix>), or {link} as the web address")
    if not doi:
        raise InvalidIdentifier("DOI", raw, f"DOI {raw} is not valid (expected 10.<registrant>/<suffix>, e.g. 10.1000/xyz123)")
    return doi  # the one normaliser: as given, without resolver prefix
