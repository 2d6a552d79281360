"""Cite it (DSV-4): harvest citation metadata from a web page.

Five embedded-metadata conventions are read, in this order of trust; for every CSL field the
most trusted source that states it wins (and ``Harvest.sources`` says which one did):

1. COinS — ``<span class="Z3988" title="<OpenURL KEV>">`` (Zotero, library catalogs, Wikipedia)
2. Highwire Press ``<meta name="citation_*">`` (Google Scholar's tags: publishers, repositories)
3. Dublin Core ``<meta name="DC.*">`` / ``DCTERMS.*`` (repositories, government sites)
4. schema.org JSON-LD ``<script type="application/ld+json">`` (news, blogs, books, datasets)
5. OpenGraph ``<meta property="og:*">`` / ``article:*`` / ``book:*`` (almost every page)

and finally the page itself (``<title>``, ``<meta name="author">``, the canonical link).
Pages are parsed with BeautifulSoup on lxml.  :func:`fetch` downloads a page for the
endpoint when only a URL is given: http(s) only, a size cap, a timeout, and no private or
loopback addresses (unless the operator lists the host in ``OUTBOUND_PRIVATE_HOSTS``,
syllabus.core.outbound).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urljoin

import requests
from bs4 import BeautifulSoup

from syllabus.citations import csl as cslmod
from syllabus.citations import identifiers, openurl
from syllabus.core import clock, outbound
from syllabus.core.errors import RuleViolation
from syllabus.core import jsondata


TRUST = ("coins", "highwire", "dublin_core", "json_ld", "opengraph", "page")
FORMAT_LABELS = {"coins": "COinS", "highwire": "Highwire citation_*", "dublin_core": "Dublin Core",
                 "json_ld": "schema.org JSON-LD", "opengraph": "OpenGraph", "page": "page title"}
MAX_BYTES = 3 * 1024 * 1024


@dataclass
class Harvest:
    csl: dict
    sources: dict[str, str] = field(default_factory=dict)  # CSL field → format it came from
    formats: list[str] = field(default_factory=list)       # formats found on the page, in trust order

    @property
    def found(self) -> bool:
        return bool(self.csl.get("title"))


# --- each convention ----------------------------------------------------------------------

def _metas(soup: BeautifulSoup, attr: str = "name") -> list[tuple[str, str]]:
    out = []
    for tag in soup.find_all("meta"):
        key = tag.get(attr)
        value = tag.get("content")
        if key and value and value.strip():
            out.append((key.strip(), value.strip()))
    return out


def from_coins(soup: BeautifulSoup) -> dict:
    for span in soup.find_all("span", class_="Z3988"):
        if span.get("title"):
            data = openurl.to_csl(openurl.parse_kev(span["title"]))
            if data.get("title"):
                return data
    return {}


def _people(values: list[str]) -> list[dict]:
    out = []
    for v in values:
        for part in re.split(r"\s*;\s*", v) if ";" in v else [v]:
            name = cslmod.parse_name(part)
            if name and name not in out:
                out.append(name)
    return out


def from_highwire(soup: BeautifulSoup) -> dict:
    meta: dict[str, list[str]] = {}
    for key, value in _metas(soup):
        if key.lower().startswith("citation_"):
            meta.setdefault(key.lower()[9:], []).append(value)
    if not meta:
        return {}

    def one(*keys: str) -> str:
        return next((meta[k][0] for k in keys if meta.get(k)), "")

    data: dict = {"title": one("title")}
    if meta.get("author"):
        data["author"] = _people(meta["author"])
    date = one("publication_date", "date", "cover_date", "online_date", "year")
    data["issued"] = cslmod.date_parts(date)
    if one("journal_title"):
        data.update(type="article-journal", **{"container-title": one("journal_title")})
    elif one("conference_title"):
        data.update(type="paper-conference", **{"container-title": one("conference_title")})
    elif one("book_title", "inbook_title"):
        data.update(type="chapter", **{"container-title": one("book_title", "inbook_title")})
    elif one("dissertation_institution"):
        data.update(type="thesis", publisher=one("dissertation_institution"))
    elif one("technical_report_institution"):
        data.update(type="report", publisher=one("technical_report_institution"), number=one("technical_report_number"))
    elif one("isbn"):
        data["type"] = "book"
    data.update(volume=one("volume"), issue=one("issue"), DOI=one("doi"), ISBN=one("isbn"),
                ISSN=one("issn", "eissn"), language=one("language"), abstract=one("abstract"))
    data["publisher"] = data.get("publisher") or one("publisher")
    first, last = one("firstpage"), one("lastpage")
    data["page"] = f"{first}-{last}" if first and last else first
    data["URL"] = one("abstract_html_url", "fulltext_html_url", "public_url", "pdf_url")
    if meta.get("keywords"):
        data["keyword"] = "; ".join(meta["keywords"])
    return data


DC_TYPES = {"text": "", "book": "book", "article": "article-journal", "journal article": "article-journal",
            "thesis": "thesis", "report": "report", "image": "graphic", "movingimage": "motion_picture",
            "sound": "song", "dataset": "dataset", "chapter": "chapter", "conference paper": "paper-conference",
            "webpage": "webpage", "website": "webpage"}


def from_dublin_core(soup: BeautifulSoup) -> dict:
    meta: dict[str, list[str]] = {}
    for key, value in _metas(soup):
        low = key.lower()
        if low.startswith(("dc.", "dcterms.", "dc:", "dcterms:")):
            name = re.split(r"[.:]", low, maxsplit=1)[1]
            meta.setdefault(name, []).append(value)
    if not meta:
        return {}

    def one(*keys: str) -> str:
        return next((meta[k][0] for k in keys if meta.get(k)), "")

    data: dict = {"title": one("title"), "publisher": one("publisher"), "language": one("language"),
                  "abstract": one("description", "abstract"),
                  "container-title": one("source", "ispartof", "relation.ispartof"),
                  "issued": cslmod.date_parts(one("date.issued", "issued", "date", "created", "date.created"))}
    creators = meta.get("creator", []) or meta.get("creator.personalname", []) or meta.get("contributor.author", [])
    if creators:
        data["author"] = _people(creators)
    for ident in meta.get("identifier", []):
        low = ident.lower()
        if "10." in low and (low.startswith(("doi:", "info:doi", "http")) or low.startswith("10.")) and identifiers.normalize_doi(ident):
            data.setdefault("DOI", identifiers.normalize_doi(ident))
        elif low.startswith(("http://", "https://")):
            data.setdefault("URL", ident)
        elif identifiers.normalize_isbn(re.sub(r"^(urn:)?isbn:?", "", low)):
            data.setdefault("ISBN", identifiers.normalize_isbn(re.sub(r"^(urn:)?isbn:?", "", low)))
        elif identifiers.normalize_issn(re.sub(r"^(urn:)?issn:?", "", low)):
            data.setdefault("ISSN", identifiers.normalize_issn(re.sub(r"^(urn:)?issn:?", "", low)))
    dc_type = DC_TYPES.get(one("type").lower(), "")
    if dc_type:
        data["type"] = dc_type
    elif data.get("container-title"):
        data["type"] = "article-journal"
    return data


LD_TYPES = {
    "scholarlyarticle": "article-journal", "medicalscholarlyarticle": "article-journal", "newsarticle": "article-newspaper",
    "reportagenewsarticle": "article-newspaper", "blogposting": "post-weblog", "socialmediaposting": "post",
    "article": "webpage", "techarticle": "webpage", "report": "report", "book": "book", "chapter": "chapter",
    "thesis": "thesis", "videoobject": "motion_picture", "movie": "motion_picture", "audioobject": "song",
    "musicrecording": "song", "podcastepisode": "song", "dataset": "dataset", "map": "map", "webpage": "webpage",
    "creativework": "webpage", "publicationissue": "periodical", "periodical": "periodical",
}
LD_GENERIC = {"webpage", "creativework", "website", "webpageelement", "breadcrumblist", "organization", "person",
              "imageobject", "searchaction", "sitenavigationelement"}


def _ld_nodes(value) -> list[dict]:
    nodes = []
    if isinstance(value, list):
        for v in value:
            nodes.extend(_ld_nodes(v))
    elif isinstance(value, dict):
        nodes.append(value)
        for key in ("@graph", "mainEntity", "mainEntityOfPage"):
            if isinstance(value.get(key), (list, dict)):
                nodes.extend(_ld_nodes(value[key]))
    return nodes


def _ld_types(node: dict) -> list[str]:
    t = node.get("@type", [])
    return [str(x).split("/")[-1].lower() for x in (t if isinstance(t, list) else [t])]


def _ld_text(value) -> str:
    if isinstance(value, list):
        value = value[0] if value else ""
    if isinstance(value, dict):
        value = value.get("name") or value.get("@value") or value.get("value") or ""
    return str(value or "").strip()


def _ld_people(value) -> list[dict]:
    out = []
    for p in value if isinstance(value, list) else [value]:
        if isinstance(p, str):
            if not p.startswith(("http://", "https://")):
                out.append(cslmod.parse_name(p))
        elif isinstance(p, dict):
            if p.get("familyName"):
                given = p.get("givenName") or ""
                out.append({"family": _ld_text(p["familyName"]), "given": _ld_text(given)} if given else {"family": _ld_text(p["familyName"])})
            elif p.get("name"):
                person = "person" in _ld_types(p)
                out.append(cslmod.parse_name(_ld_text(p["name"])) if person or not _ld_types(p) else {"literal": _ld_text(p["name"])})
    return [p for p in out if p]


def from_json_ld(soup: BeautifulSoup) -> dict:
    nodes = []
    for script in soup.find_all("script", type=re.compile(r"application/ld\+json", re.I)):
        try:
            nodes.extend(_ld_nodes(jsondata.loads(script.string or script.get_text() or "")))
        except (ValueError, TypeError):
            continue
    candidates = [n for n in nodes if any(t in LD_TYPES for t in _ld_types(n)) and (n.get("headline") or n.get("name"))]
    if not candidates:
        return {}
    candidates.sort(key=lambda n: all(t in LD_GENERIC for t in _ld_types(n)))  # specific types first
    node = candidates[0]
    ld_type = next(t for t in _ld_types(node) if t in LD_TYPES)
    data: dict = {"type": LD_TYPES[ld_type], "title": _ld_text(node.get("headline") or node.get("name")),
                  "issued": cslmod.date_parts(_ld_text(node.get("datePublished") or node.get("dateCreated"))),
                  "publisher": _ld_text(node.get("publisher")), "ISBN": _ld_text(node.get("isbn")),
                  "abstract": _ld_text(node.get("description")), "language": _ld_text(node.get("inLanguage")),
                  "edition": _ld_text(node.get("bookEdition")), "URL": _ld_text(node.get("url"))}
    authors = _ld_people(node.get("author") or node.get("creator") or [])
    if authors:
        data["author"] = authors
    if node.get("editor"):
        data["editor"] = _ld_people(node["editor"])
    start, end = _ld_text(node.get("pageStart")), _ld_text(node.get("pageEnd"))
    data["page"] = _ld_text(node.get("pagination")) or (f"{start}-{end}" if start and end else start)
    idents = node.get("identifier") or []
    for ident in (idents if isinstance(idents, list) else [idents]) + ([node["sameAs"]] if isinstance(node.get("sameAs"), str) else []):
        if isinstance(ident, dict) and str(ident.get("propertyID", "")).lower() == "doi":
            data["DOI"] = _ld_text(ident.get("value"))
        elif isinstance(ident, str) and identifiers.normalize_doi(ident) and ("doi" in ident.lower() or ident.startswith("10.")):
            data.setdefault("DOI", identifiers.normalize_doi(ident))
    part = node.get("isPartOf")
    while isinstance(part, dict):  # PublicationIssue → PublicationVolume → Periodical
        kinds = _ld_types(part)
        if "publicationissue" in kinds:
            data.setdefault("issue", _ld_text(part.get("issueNumber")))
        elif "publicationvolume" in kinds:
            data.setdefault("volume", _ld_text(part.get("volumeNumber")))
        else:
            data.setdefault("container-title", _ld_text(part.get("name")))
            if part.get("issn"):
                data.setdefault("ISSN", _ld_text(part.get("issn")))
            if "book" in kinds and data["type"] == "webpage":
                data["type"] = "chapter"
            elif ("periodical" in kinds or part.get("issn")) and data["type"] in ("webpage", "article-journal"):
                data["type"] = "article-journal"
        part = part.get("isPartOf")
    if data["type"] == "webpage" and data.get("container-title") is None:
        site = soup.find("meta", property="og:site_name")
        if site and site.get("content"):
            data["container-title"] = site["content"].strip()
    return data


OG_TYPES = {"book": "book", "article": "webpage", "website": "webpage", "profile": "webpage", "music.song": "song",
            "music.album": "song", "video.movie": "motion_picture", "video.episode": "motion_picture",
            "video.other": "motion_picture", "video.tv_show": "motion_picture"}


def from_opengraph(soup: BeautifulSoup) -> dict:
    meta: dict[str, list[str]] = {}
    for key, value in _metas(soup, "property") + [(k, v) for k, v in _metas(soup) if k.lower().startswith(("og:", "article:", "book:"))]:
        low = key.lower()
        if low.startswith(("og:", "article:", "book:", "video:", "music:")):
            meta.setdefault(low, []).append(value)
    if not meta.get("og:title"):
        return {}

    def one(*keys: str) -> str:
        return next((meta[k][0] for k in keys if meta.get(k)), "")

    og_type = one("og:type").lower()
    data: dict = {"type": OG_TYPES.get(og_type, "webpage"), "title": one("og:title"), "URL": one("og:url"),
                  "container-title": one("og:site_name") if og_type != "book" else "", "abstract": one("og:description"),
                  "language": one("og:locale").replace("_", "-"),
                  "issued": cslmod.date_parts(one("article:published_time", "book:release_date", "video:release_date",
                                                  "music:release_date")),
                  "ISBN": one("book:isbn")}
    people = [p for p in meta.get("article:author", []) + meta.get("book:author", []) if not p.startswith(("http://", "https://"))]
    if people:
        data["author"] = _people(people)
    return data


def from_page(soup: BeautifulSoup, url: str) -> dict:
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    h1 = soup.find("h1")
    data: dict = {"type": "webpage", "title": title or (h1.get_text(" ", strip=True) if h1 else "")}
    author = soup.find("meta", attrs={"name": re.compile(r"^author$", re.I)})
    if author and author.get("content"):
        data["author"] = _people([author["content"]])
    canonical = soup.find("link", rel="canonical")
    href = canonical.get("href") if canonical else ""
    data["URL"] = urljoin(url, href) if href else url
    html_tag = soup.find("html")
    if html_tag and html_tag.get("lang"):
        data["language"] = html_tag["lang"]
    description = soup.find("meta", attrs={"name": re.compile(r"^description$", re.I)})
    if description and description.get("content"):
        data["abstract"] = description["content"].strip()
    return data


EXTRACTORS = {"coins": from_coins, "highwire": from_highwire, "dublin_core": from_dublin_core,
              "json_ld": from_json_ld, "opengraph": from_opengraph}


IDENTIFIERS = ("ISBN", "ISSN", "DOI")


def harvest(html: str | bytes, url: str = "") -> Harvest:
    """Citation metadata of a page, each field from the most trusted convention that has it."""
    soup = BeautifulSoup(html or "", "lxml")
    found: dict[str, dict] = {}
    for name, extract in EXTRACTORS.items():
        try:
            data = cslmod.clean(extract(soup), keep_invalid=True)
        except Exception:  # one broken convention (bad JSON-LD...) must not hide the others
            data = {}
        if data:
            found[name] = data
    found["page"] = cslmod.clean(from_page(soup, url))
    csl: dict = {}
    sources: dict[str, str] = {}
    for name in TRUST:
        for key, value in found.get(name, {}).items():
            if key not in csl or (key in IDENTIFIERS and not cslmod.clean({key: csl[key]}) and cslmod.clean({key: value})):
                # an invalid identifier is kept (saving it is refused with LST-2, never silently
                # dropped) unless a less trusted convention has a valid one
                csl[key] = value
                sources[key] = name
    if not csl.get("URL") and url:
        csl["URL"] = url
    if csl.get("type") in ("webpage", "post-weblog", "post") and csl.get("URL"):
        today = clock.today()
        csl["accessed"] = {"date-parts": [[today.year, today.month, today.day]]}
    return Harvest(csl=csl, sources=sources, formats=[n for n in TRUST if n in found and n != "page"])


# --- fetching a page --------------------------------------------------------------------------

def fetch(url: str, *, timeout: float = 10.0) -> tuple[str, bytes]:
    """(final URL, HTML bytes — BeautifulSoup finds the encoding) of a page; follows up to 5 redirects, checking every hop."""
    # syllabus.core.outbound checks every hop (SSRF); OUTBOUND_PRIVATE_HOSTS is the operator's allowance
    outbound.check_url(url, rule="DSV-4")   # http(s) only: a clear refusal before a session is made
    session = outbound.session(rule="DSV-4")
    session.headers["User-Agent"] = "Syllabus/0.1 cite-it (+https://github.com/syllabus)"
    session.headers["Accept"] = "text/html,application/xhtml+xml"
    for _hop in range(6):
        try:
            response = session.get(url, timeout=(3.05, timeout), allow_redirects=False, stream=True)
        except requests.RequestException as exc:
            raise RuleViolation("DSV-4", f"the page could not be read ({type(exc).__name__})", status=502, field="url") from None
        if response.is_redirect and response.headers.get("Location"):
            url = urljoin(url, response.headers["Location"])
            response.close()
            continue
        if response.status_code >= 400:
            raise RuleViolation("DSV-4", f"the page answered {response.status_code}", status=502, field="url")
        ctype = response.headers.get("Content-Type", "text/html").lower()
        if "html" not in ctype and "xml" not in ctype:
            raise RuleViolation("DSV-4", f"the address is not a web page ({ctype.split(';')[0]})", field="url")
        body = b""
        for chunk in response.iter_content(65536):
            body += chunk
            if len(body) > MAX_BYTES:
                break
        response.close()
        return url, body
    raise RuleViolation("DSV-4", "too many redirects", status=502, field="url")
