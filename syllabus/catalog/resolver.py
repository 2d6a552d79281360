"""The link resolver (DSV-6): a citation (an OpenURL, or CSL-JSON) → full text or holdings.

Matching, best evidence first, in the user's own library and then in the other members:
DOI, ISBN, ISSN/eISSN (for an article: the journal's record), then the title words (with
the first author's family name when there is one).  For each matched record:

* full text — its e-resources whose coverage includes the article's year, its active digital
  representations, and (for an article with a DOI) the publisher's DOI link;
* holdings — per library: how many items, how many on the shelf, where.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.translation import gettext

from syllabus.citations import csl as cslmod
from syllabus.citations import identifiers, openurl
from syllabus.core.errors import RuleViolation
from syllabus.core.limits import ITEMS, KEV
from syllabus.org.models import User

from . import availability, selectors
from .models import Record
from .search import ParsedQuery, SearchParams, parse_query, search

ARTICLE_TYPES = {"article-journal", "article-magazine", "article-newspaper", "paper-conference", "review"}


@dataclass
class Link:
    kind: str  # eresource | representation | doi | url
    url: str
    label: str
    note: str = ""
    record_id: int | None = None


@dataclass
class Holding:
    record: Record
    institution: str
    library_code: str
    library_name: str
    total: int
    available: int
    locations: list[str]
    yours: availability.Held | None = None  # the reader's own copy on the hold shelf here (``catalog.availability.Held``)


@dataclass
class Resolution:
    citation: dict
    kev: str
    records: list[Record] = field(default_factory=list)
    fulltext: list[Link] = field(default_factory=list)
    holdings: list[Holding] = field(default_factory=list)
    scope: str = ""  # mine | consortium | "" (nothing found)
    matched_by: str = ""
    from_item: int | None = None  # the list item Find it was opened from (``from_item``), checked by the page

    @property
    def found(self) -> bool:
        return bool(self.fulltext or self.holdings)


def _ids(query: ParsedQuery, institution_ids: list[int], types: list[str] | None = None, limit: int = 5) -> list[int]:
    if query.empty:
        return []
    return search(SearchParams(query=query, institution_ids=institution_ids, types=types or [], page_size=limit, facets=False)).ids


def match_by_identifier(citation: dict, institution_ids: list[int]) -> tuple[list[int], str]:
    """The records of ``institution_ids`` that have the citation's DOI, else one of its ISBNs
    (any ISBN a record carries, 10 or 13 digits), and which identifier matched — the match Find it
    makes first, so that what the library records for a title (a purchase, SRV-3) is the record
    Find it shows for it."""
    if citation.get("DOI"):
        ids = _ids(ParsedQuery(doi=citation["DOI"]), institution_ids)
        if ids:
            return ids, "doi"
    for isbn in identifiers.split_identifiers(citation.get("ISBN")):
        if norm := identifiers.normalize_isbn(isbn):
            ids = _ids(ParsedQuery(isbn=norm), institution_ids)
            if ids:
                return ids, "isbn"
    return [], ""


def _match(citation: dict, institution_ids: list[int]) -> tuple[list[int], str]:
    ctype = citation.get("type", "")
    is_article = ctype in ARTICLE_TYPES
    ids, how = match_by_identifier(citation, institution_ids)
    if ids:
        return ids, how
    for issn in identifiers.split_identifiers(citation.get("ISSN")):
        if norm := identifiers.normalize_issn(issn):
            types = ["periodical"] if is_article or ctype == "periodical" else None
            ids = _ids(ParsedQuery(issn=norm.replace("-", "")), institution_ids, types)
            if ids:
                return ids, "issn"
    if is_article:
        journal = citation.get("container-title", "")
        ids = _ids(parse_query(" ".join(parse_query(journal).terms[:8])), institution_ids, ["periodical"]) if journal else []
        return ids[:1], "journal title" if ids else ""
    title = citation.get("title", "")
    if not title:
        return [], ""
    words = parse_query(title).terms[:8]
    people = cslmod.names(citation, "author") or cslmod.names(citation, "editor")
    family = parse_query(people[0].get("family") or people[0].get("literal") or "").terms[:2] if people else []
    ids = _ids(ParsedQuery(terms=words + family), institution_ids)
    if not ids and family:
        ids = _ids(ParsedQuery(terms=words), institution_ids)
    return ids[:3], "title" if ids else ""


def _scopes(user: User | None, institution=None) -> list[tuple[str, list[int]]]:
    """Where to look, in order: the user's (or the named) institution, then the rest of its
    consortium.  An anonymous caller naming no institution searches every catalog at once."""
    from syllabus.org.models import Institution

    if user is not None and getattr(user, "is_authenticated", False):
        mine = selectors.scope_institution_ids(user, selectors.SCOPE_MINE)
        everyone = selectors.scope_institution_ids(user, selectors.SCOPE_CONSORTIUM)
    elif institution is not None:
        mine = [institution.pk]
        everyone = list(Institution.objects.filter(consortium_id=institution.consortium_id).values_list("pk", flat=True))
    else:
        return [(selectors.SCOPE_CONSORTIUM, list(Institution.objects.values_list("pk", flat=True)))]
    others = [i for i in everyone if i not in mine]
    return [(selectors.SCOPE_MINE, mine)] + ([(selectors.SCOPE_CONSORTIUM, others)] if others else [])


def resolve(user: User | None, citation: dict, *, institution=None) -> Resolution:
    """Resolve a CSL-JSON citation: the user's own library first, then the consortium."""
    citation = cslmod.clean(citation)
    result = Resolution(citation=citation, kev=openurl.from_csl(citation))
    year = cslmod.year_of(citation)
    is_article = citation.get("type") in ARTICLE_TYPES
    for scope, institution_ids in _scopes(user, institution):
        ids, how = _match(citation, institution_ids)
        if ids:
            result.records = selectors.records_by_ids(user, ids)
            result.scope, result.matched_by = scope, how
            break
    for record in result.records:
        for eres in record.eresources.all():
            if is_article and not eres.covers(year):
                continue
            result.fulltext.append(Link("eresource", eres.url, eres.provider or record.title, eres.coverage, record.pk))
        for rep in record.active_representations:
            result.fulltext.append(Link("representation", reverse("catalog:representation", args=[rep.pk]),
                                        rep.label or record.title, rep.library.name, record.pk))
        for lib in record.availability:
            result.holdings.append(Holding(record, record.institution.code, lib.library.code, lib.library.name, lib.total,
                                           lib.available, lib.locations, lib.yours))
    if citation.get("DOI"):
        result.fulltext.append(Link("doi", f"https://doi.org/{citation['DOI']}", "DOI",
                                      # DSV-6: said in the reader's language on Find it (and the API's note)
                                      gettext("publisher's version")))
    elif citation.get("URL") and not result.found:
        result.fulltext.append(Link("url", citation["URL"], citation["URL"]))
    return result


def read_kev(query) -> dict[str, list[str]]:
    """The OpenURL of a request's query (``request.GET``: the API's ``/resolve`` and the
    ``/openurl`` page read it alike), each value at most KEV characters and each key at most
    ITEMS values — else DSV-6 naming the key: a title of a megabyte is no citation."""
    for key, values in query.lists():
        if len(values) > ITEMS:
            raise RuleViolation("DSV-6", f"{key[:40]}: at most {ITEMS} values", field=key[:40])
        if len(key) > KEV or any(len(v) > KEV for v in values):
            raise RuleViolation("DSV-6", f"{key[:40]}: at most {KEV} characters", field=key[:40])
    return openurl.parse_kev({k: v for k, v in query.lists() if k not in PAGE_PARAMS})


#: query parameters of our own Find it page that are not the OpenURL's: the API's institution, and
#: the list item the page was opened from (its "Back to <list>", DSV-6)
PAGE_PARAMS = ("institution", "from_item")
MAX_ID = 2**63 - 1


def read_from_item(query) -> int | None:
    """The list item a Find it link was opened from (``from_item``), an id or nothing; anything
    else is refused (DSV-6).  Whether the reader may see that item is the page's check."""
    value = query.get("from_item", "")
    if not value:
        return None
    if not (value.isascii() and value.isdigit() and 1 <= int(value) <= MAX_ID):
        raise RuleViolation("DSV-6", "from_item: the id of a list item", field="from_item")
    return int(value)


def context_query(from_item: int | None) -> str:
    """``&from_item=<id>`` to carry the list item along a Find it link (or nothing)."""
    return f"&from_item={from_item}" if from_item else ""


def resolve_kev(user: User | None, query, *, institution=None) -> Resolution:
    return resolve(user, openurl.to_csl(openurl.parse_kev(query)), institution=institution)
