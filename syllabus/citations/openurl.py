"""OpenURL 1.0 (ANSI/NISO Z39.88-2004) key/encoded-value ContextObjects, in and out (DSV-6).

    csl = to_csl(parse_kev("url_ver=Z39.88-2004&rft_val_fmt=info:ofi/fmt:kev:mtx:book&rft.btitle=Emma"))
    kev = from_csl({"type": "article-journal", "title": "Deep learning", ...})   # a query string

Metadata formats: ``book`` (genres book, bookitem, report, document, proceeding, conference),
``journal`` (journal, issue, article, proceeding, conference, preprint), ``dissertation`` and
Dublin Core (``dc``).  OpenURL 0.1 keys (``genre``, ``title``, ``atitle``, ``issn``, ``isbn``,
``aulast``, ``id=doi:...``) are read too, as link resolvers do.  The same KEV goes in COinS
spans (``<span class="Z3988" title="...">``), which is why cite-it reads them.
"""
from __future__ import annotations

import re
from typing import Iterable
from urllib.parse import parse_qs, unquote, unquote_plus, urlencode

from . import csl as cslmod
from . import identifiers

FMT_BOOK = "info:ofi/fmt:kev:mtx:book"
FMT_JOURNAL = "info:ofi/fmt:kev:mtx:journal"
FMT_DISSERTATION = "info:ofi/fmt:kev:mtx:dissertation"
FMT_DC = "info:ofi/fmt:kev:mtx:dc"
VERSION = "Z39.88-2004"
REFERRER = "info:sid/syllabus:catalog"

JOURNAL_TYPES = {"article-journal", "article-magazine", "article-newspaper", "paper-conference", "periodical", "review"}

# What from_csl copies as it is, in this order: KEV key → CSL variable.  Of an
# identifier variable (ISSN, ISBN: possibly several in one string) only the first is sent.
_JOURNAL_FIELDS = (("rft.volume", "volume"), ("rft.issue", "issue"), ("rft.issn", "ISSN"))
_BOOK_FIELDS = (
    ("rft.pub", "publisher"), ("rft.place", "publisher-place"), ("rft.edition", "edition"),
    ("rft.series", "collection-title"), ("rft.isbn", "ISBN"), ("rft.tpages", "number-of-pages"),
)
_THESIS_FIELDS = (("rft.title", "title"), ("rft.inst", "publisher"), ("rft.degree", "genre"))
_FIRST_IDENTIFIER = frozenset({"ISSN", "ISBN"})


_ESCAPED = re.compile(r"%[0-9A-Fa-f]{2}")


def _decoded(value: str) -> str:
    """A value some vendors encode twice ("Smith%252C+John" arrives as "Smith%2C John" after
    the first decoding): decode again, at most twice, while it still holds %XX escapes."""
    for _ in range(2):
        if not _ESCAPED.search(value):
            break
        value = unquote_plus(value) if "+" in value and " " not in value else unquote(value)
    return value.strip()


def parse_kev(query) -> dict[str, list[str]]:
    """A KEV query string (or a Django ``QueryDict`` / dict of lists) → ``{key: [values]}``;
    keys are read without the ``&amp;`` debris of HTML-escaped links, values double-decoded."""
    pairs: Iterable[tuple[str, list]]
    if isinstance(query, str):
        pairs = parse_qs(query.lstrip("?").replace("&amp;", "&"), keep_blank_values=False).items()
    elif hasattr(query, "lists"):
        pairs = query.lists()
    else:
        pairs = ((k, [v] if isinstance(v, str) else list(v)) for k, v in dict(query).items())
    out: dict[str, list[str]] = {}
    for key, values in pairs:
        key = _decoded(key.removeprefix("amp;"))
        out.setdefault(key, []).extend(v for v in (_decoded(str(v)) for v in values if v) if v)
    return {k: v for k, v in out.items() if v}


def _one(kev: dict, *keys: str) -> str:
    for key in keys:
        for value in kev.get(key, []):
            if value:
                return value
    return ""


def _all(kev: dict, *keys: str) -> list[str]:
    return [v for key in keys for v in kev.get(key, []) if v]


def is_openurl(kev: dict) -> bool:
    return bool(_one(kev, "url_ver", "ctx_ver", "rft_val_fmt") or any(k.startswith("rft.") for k in kev)
                or _one(kev, "genre", "atitle", "jtitle", "isbn", "issn", "title", "id", "rft_id", "pmid", "doi"))


def to_csl(kev: dict[str, list[str]]) -> dict:
    """The citation a ContextObject describes, in CSL-JSON."""
    def r(*names: str) -> str:  # 1.0 "rft.x", else 0.1 "x"
        return _one(kev, *[f"rft.{n}" for n in names], *names)

    fmt = _one(kev, "rft_val_fmt")
    genre = r("genre").lower()
    data: dict = {}
    is_journal = fmt == FMT_JOURNAL or (not fmt and (r("jtitle", "issn", "eissn") or genre in ("article", "journal", "issue", "preprint")))
    if fmt == FMT_DISSERTATION:
        data.update(type="thesis", title=r("title"), publisher=r("inst"), genre=r("degree"))
    elif fmt == FMT_DC:
        data.update(type="webpage", title=r("title"), publisher=r("publisher"))
        creators = _all(kev, "rft.creator")
        if creators:
            data["author"] = [cslmod.parse_name(c) for c in creators]
        for ident in _all(kev, "rft.identifier"):
            if ident.startswith(("http://", "https://")):
                data.setdefault("URL", ident)
    elif is_journal:
        if genre in ("journal", "issue") and not r("atitle"):
            data.update(type="periodical", title=r("jtitle", "title", "stitle"))
        else:
            data.update(type="paper-conference" if genre in ("proceeding", "conference") else "article-journal",
                        title=r("atitle"), **{"container-title": r("jtitle", "title", "stitle")})
        data.update(volume=r("volume"), issue=r("issue"), ISSN=r("issn") or r("eissn"))
    else:
        if genre == "bookitem" or (r("atitle") and r("btitle", "title")):
            data.update(type="chapter", title=r("atitle"), **{"container-title": r("btitle", "title")})
        else:
            data.update(type={"report": "report", "proceeding": "book", "conference": "book", "document": "document"}.get(genre, "book"),
                        title=r("btitle", "title"))
        data.update(ISBN=r("isbn"), publisher=r("pub"), edition=r("edition"), volume=r("volume"))
        data["publisher-place"] = r("place")
        data["collection-title"] = r("series")
    spage, epage, pages = r("spage"), r("epage"), r("pages")
    data["page"] = pages or (f"{spage}-{epage}" if spage and epage else spage)
    if tpages := r("tpages"):
        data["number-of-pages"] = tpages
    if not data.get("author"):
        authors = [cslmod.parse_name(a) for a in _all(kev, "rft.au", "au")]
        last, first = r("aulast"), r("aufirst") or r("auinit")
        if last and not any(a.get("family", "").lower() == last.lower() for a in authors):
            authors.insert(0, {"family": last, "given": first} if first else {"family": last})
        corp = r("aucorp")
        if corp:
            authors.append({"literal": corp})
        if authors:
            data["author"] = [a for a in authors if a]
    if issued := cslmod.date_parts(r("date")):
        data["issued"] = issued
    for ident in _all(kev, "rft_id", "id", "rft.doi", "rft.pmid", "pmid", "doi"):
        low = ident.lower()
        # 1.0 URIs (info:doi/..., info:pmid/...) and the 0.1 forms PubMed and Google Scholar
        # send (id=doi:10..., id=pmid:123...)
        if low.startswith(("info:doi/", "doi:", "doi/", "10.")) or "doi.org/" in low:
            data["DOI"] = identifiers.normalize_doi(ident) or data.get("DOI", "")
        elif low.startswith(("info:isbn/", "urn:isbn:", "isbn:")):
            data.setdefault("ISBN", re.split(r"[:/]", ident)[-1])
        elif m := re.match(r"^(?:info:pmid[/:]|pmid:\s*|pmid/)?(\d{1,9})$", low):
            data["PMID"] = m.group(1)
        elif m := re.match(r"^(?:info:pmc/|pmcid:\s*)(pmc\d+|\d+)$", low):
            data["PMCID"] = m.group(1).upper() if m.group(1).startswith("pmc") else f"PMC{m.group(1)}"
        elif m := re.match(r"^(?:info:arxiv/|arxiv:\s*)(\S+)$", ident, re.I):
            data.setdefault("URL", f"https://arxiv.org/abs/{m.group(1)}")
        elif low.startswith(("http://", "https://")):
            data.setdefault("URL", ident)
    if lang := r("language"):
        data["language"] = lang
    return cslmod.clean(data)


def _pages(csl: dict) -> tuple[str, str]:
    """(spage, epage) of one range; of pages in several parts ("431-456, 791-823") only the first
    page: Z39.88's spage is one page, the whole goes as ``rft.pages`` (DSV-6)."""
    page = str(csl.get("page") or "")
    m = re.match(r"^\s*([^\s\-–]+)\s*[-–]+\s*([^\s]+)\s*$", page)
    if m and "," not in m.group(2):
        return m.group(1), m.group(2)
    first = re.match(r"^\s*([^\s\-–,;]+)", page)
    return (first.group(1) if first else ""), ""


def from_csl(csl: dict, *, referrer: str = REFERRER) -> str:
    """A KEV ContextObject (query string) for a CSL-JSON citation."""
    ctype = csl.get("type") or "book"
    pairs: list[tuple[str, str]] = [("url_ver", VERSION), ("ctx_ver", VERSION), ("url_ctx_fmt", "info:ofi/fmt:kev:mtx:ctx"),
                                    ("rfr_id", referrer)]
    authors = cslmod.names(csl, "author") or cslmod.names(csl, "editor")
    year = cslmod.year_of(csl)
    issued = (csl.get("issued") or {}).get("date-parts", [[]])[0] if isinstance(csl.get("issued"), dict) else []
    issued = issued[:1] if len(issued) > 1 and int(issued[1]) > 12 else issued  # a season (21–24): no ISO month
    date = "-".join(f"{int(p):02d}" if i else str(p) for i, p in enumerate(issued)) if issued else (str(year) if year else "")
    spage, epage = _pages(csl)

    def add(key: str, value) -> None:
        if value not in (None, ""):
            pairs.append((key, str(value)))

    def copy(fields: tuple[tuple[str, str], ...]) -> None:
        for key, variable in fields:
            value = csl.get(variable)
            if variable in _FIRST_IDENTIFIER:
                value = next(iter(identifiers.split_identifiers(value)), None)
            add(key, value)

    if ctype in JOURNAL_TYPES:
        pairs.append(("rft_val_fmt", FMT_JOURNAL))
        if ctype == "periodical":
            add("rft.genre", "journal")
            add("rft.jtitle", csl.get("title"))
        else:
            add("rft.genre", "proceeding" if ctype == "paper-conference" else "article")
            add("rft.atitle", csl.get("title"))
            add("rft.jtitle", csl.get("container-title"))
        copy(_JOURNAL_FIELDS)
    elif ctype == "thesis":
        pairs.append(("rft_val_fmt", FMT_DISSERTATION))
        copy(_THESIS_FIELDS)
    elif ctype in ("book", "chapter", "report", "document", "musical_score", "map", "manuscript", "pamphlet"):
        pairs.append(("rft_val_fmt", FMT_BOOK))
        if ctype == "chapter":
            add("rft.genre", "bookitem")
            add("rft.atitle", csl.get("title"))
            add("rft.btitle", csl.get("container-title"))
        else:
            add("rft.genre", "report" if ctype == "report" else "document" if ctype == "document" else "book")
            add("rft.btitle", csl.get("title"))
        copy(_BOOK_FIELDS)
    else:
        pairs.append(("rft_val_fmt", FMT_DC))
        add("rft.title", csl.get("title"))
        for a in authors:
            add("rft.creator", cslmod.name_text(a))
        add("rft.publisher", csl.get("publisher") or csl.get("container-title"))
        add("rft.type", ctype)
        add("rft.identifier", csl.get("URL"))
        add("rft.date", date)
        if csl.get("DOI"):
            add("rft_id", f"info:doi/{csl['DOI']}")
        return urlencode(pairs)
    if authors:
        first = authors[0]
        if first.get("family"):
            add("rft.aulast", first.get("family"))
            add("rft.aufirst", first.get("given"))
        for a in authors:
            add("rft.au", cslmod.name_text(a))
    add("rft.date", date)
    add("rft.spage", spage)
    add("rft.epage", epage)
    if csl.get("page") and not epage:
        add("rft.pages", csl.get("page"))
    if csl.get("DOI"):
        add("rft_id", f"info:doi/{csl['DOI']}")
    if csl.get("URL"):
        add("rft_id", csl["URL"])
    return urlencode(pairs)


def resolver_link(base_url: str, csl: dict, *, referrer: str = REFERRER, kev: str | None = None) -> str:
    """Outgoing OpenURL (DSV-6): ``base_url`` (a link resolver: Alma, SFX, 360 Link, or our own
    ``/openurl``) with the citation's KEV ContextObject appended as its query string (``kev``
    when the caller has it already).  A base that already has a query (``...?institution=X``)
    keeps it."""
    base = (base_url or "").strip()
    joiner = "&" if "?" in base else "?"
    if base.endswith(("?", "&")):
        joiner = ""
    return f"{base}{joiner}{kev if kev is not None else from_csl(csl, referrer=referrer)}"
