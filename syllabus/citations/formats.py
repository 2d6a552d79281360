"""RIS and BibTeX ⇄ CSL-JSON (LST-9), with the libraries made for them: rispy and bibtexparser 2.

    entries = parse(text)                  # format detected; [ParsedEntry(position, csl, error)]
    text = to_ris([csl, ...]); text = to_bibtex([csl, ...]); text = to_csl_json([csl, ...])

What a round trip keeps: type, title, container title, authors and editors, date, volume,
issue, pages, edition, publisher and place, ISBN/ISSN/DOI, URL, abstract, keywords, language.
Entries that cannot be read are reported by position (1 = first entry of the file) and the
others are kept.
"""
from __future__ import annotations

import bisect
import functools
import json
import re
import unicodedata
import dataclasses
from dataclasses import dataclass

import bibtexparser
import rispy
from bibtexparser import model as bib
from bibtexparser.middlewares import (
    LibraryMiddleware, NormalizeFieldKeys, RemoveEnclosingMiddleware, SeparateCoAuthors, SplitNameParts,
)
from bibtexparser.middlewares.names import (
    InvalidNameError, NameParts, parse_single_name_into_parts, split_multiple_persons_names,
)
from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec, get_default_latex_context_db

from syllabus.core.errors import RuleViolation
from syllabus.core import jsondata
from syllabus.core.text import note_text, strip_control_deep

from . import csl as cslmod
from . import identifiers, validate

FORMATS = ("ris", "bibtex", "csl-json")
IMPORT_MAX_BYTES = 5 * 1024 * 1024  # the ceiling of a citation file imported into a list (LST-9)


@dataclass
class ParsedEntry:
    position: int
    csl: dict | None
    error: str = ""
    label: str = ""  # the entry's key / first title words, for the report
    line: int = 0  # where the entry starts in the file (1-based)
    dropped: tuple[str, ...] = ()  # the entry's fields (RIS tags, BibTeX field names) that were not imported
    notes: tuple[str, ...] = ()  # its notes as plain text (RIS N1/RN, BibTeX note/annote/annotation, CSL note/annote)


# What the readers below take from an entry: everything else is named in the import report as
# dropped (issue 13: "fields dropped (named) — never silently").
RIS_READ = {"type_of_reference", "type_of_work", "title", "primary_title", "translated_title", "secondary_title",
            "alternate_title1", "alternate_title2", "alternate_title3", "journal_name", "first_authors", "authors",
            "subsidiary_authors", "secondary_authors", "tertiary_authors", "date", "publication_year", "year", "access_date", "issn", "doi",
            "urls", "volume", "number", "publisher", "edition", "abstract", "notes_abstract", "language",
            "place_published", "tertiary_title", "short_title", "start_page", "end_page", "keywords",
            "number_of_volumes", "end_of_reference", "custom3", "notes", "research_notes", "call_number"}
RIS_TAGS = {key: tag for tag, key in rispy.TAG_KEY_MAPPING.items()} | {"authors": "AU", "first_authors": "A1"}
BIB_READ = {"author", "editor", "translator", "bookauthor", "title", "subtitle", "titleaddon", "journal", "journaltitle",
            "journalsubtitle", "fjournal", "booktitle", "booksubtitle", "booktitleaddon", "maintitle", "mainsubtitle",
            "maintitleaddon", "shortjournal", "shorttitle", "year", "date", "month", "day", "urldate", "volume", "pages",
            "edition", "isbn", "issn", "doi", "url", "abstract", "language", "langid", "note", "number", "issue",
            "publisher", "school", "institution", "organization", "address", "location", "series", "type", "eprint",
            "eprinttype", "archiveprefix", "keywords", "crossref", "pagetotal", "holder", "pubstate", "annote", "annotation",
            "comment", "review", "volumes", "pmid", "pmcid", "version", "chapter", "eventtitle", "venue", "eventdate"}
# The fields that are an entry's notes (session 20, LST-3): an instructor's own annotations (Zotero's
# notes are RIS N1, EndNote's research notes RN; BibTeX's annote, biblatex's annotation, CSL's annote)
# and the bibliographic note (BibTeX/CSL note: Zotero's "Extra") — read as plain text into the
# citation's note for the library (or, when the import says so, the public note): never dropped.
RIS_NOTE_TAGS = ("N1", "RN")
BIB_NOTE_FIELDS = ("note", "annote", "annotation", "comment", "review")  # (as Zotero reads them; JabRef's comment)
CSL_NOTE_FIELDS = ("note", "annote")


# RIS tags read for some types only (the RIS specification's type-specific tags): (CSL type) → rispy keys
RIS_READ_FOR = {"patent": {"custom1", "custom2", "custom3", "custom5", "custom6", "note", "section"},
                "article": {"note", "name_of_database", "database_provider"}, "report": {"note"}, "paper-conference": {"custom1", "custom3"}}
RIS_READ_FOR_TAGS = {"legal_case": {"SV"}}  # tags rispy has no name for, read for one type


#: PubMed's identifiers in RIS, as the tools that write them do: PubMed's and PMC's own RIS (``U1 - 26957754[pmid]``,
#: ``U2 - PMC4756000[pmcid]``, ``AN`` the record's id with ``DB - PubMed`` or ``PMC``: JabRef's RisImporterTestDOI and
#: RisImporterTest6), EndNote's PMCID field (JOUR's C2, EJOUR's C3, EBOOK's C7: its "every tag" files, zotero-RIS-02)
_PUBMED_DB = re.compile(r"(?i)^\s*(pubmed|medline|nlm|pmc|pubmed central|europe pmc)\b")
_PUBMED_U = re.compile(r"(?i)^\s*(PMC\d+|\d+)\s*\[(pmid|pmcid)\]\s*$")
_PMCID = re.compile(r"(?i)^\s*PMC\d+\s*$")


def _ris_pubmed(entry: dict) -> tuple[dict, set[str]]:
    """({"PMID": ..., "PMCID": ...}, the tags they were read from) of a rispy entry."""
    found: dict = {}
    used: set[str] = set()
    for tag, values in sorted((entry.get("unknown_tag") or {}).items()):
        for value in values if tag in ("U1", "U2", "U3", "U4", "U5") else ():
            if m := _PUBMED_U.match(str(value)):
                found.setdefault("PMID" if m.group(2).lower() == "pmid" else "PMCID", m.group(1).upper())
                used.add(tag)
    accession = str(entry.get("accession_number") or "").strip()
    if _PMCID.match(accession):
        found.setdefault("PMCID", accession.upper())
        used.add("accession_number")
    elif accession.isdigit() and any(_PUBMED_DB.match(str(entry.get(k) or "")) for k in ("name_of_database", "database_provider")):
        found.setdefault("PMID", accession)
        used.add("accession_number")
    for key in ("custom2", "custom3", "custom7"):
        if _PMCID.match(str(entry.get(key) or "")):
            found.setdefault("PMCID", str(entry[key]).strip().upper())
            used.add(key)
    return found, used


def ris_dropped(entry: dict, data: dict) -> tuple[str, ...]:
    """The RIS tags of ``entry`` (a rispy dict) that :func:`ris_entry_to_csl` did not take; a tag
    rispy does not know (U1, H2...) is named as the file writes it."""
    pubmed_tags = _ris_pubmed(entry)[1]
    keys = {k for k, v in entry.items() if v not in (None, "", [])} - RIS_READ - RIS_READ_FOR.get(data.get("type", ""), set())
    keys -= pubmed_tags
    if pubmed_tags & {"accession_number"} and data.get("type") != "article":
        keys.discard("name_of_database")  # "PubMed": where the accession number is from
    if "custom3" in entry and data.get("type") not in ("paper-conference", "patent"):
        keys.add("custom3")  # C3 is read only as a conference paper's proceedings title, a patent's designated states
    if entry.get("note") and data.get("issue") == str(entry["note"]):
        keys.discard("note")  # M1 is read as a journal's issue number (EndNote)
    if entry.get("urls") and not data.get("URL"):
        keys.add("urls")  # EndNote's "<Go to ISI>://..." is no web address
    if entry.get("call_number") and " ".join(str(data.get("call-number") or "").split()) != " ".join(str(entry["call_number"]).split()):
        keys.add("call_number")  # a patent's call number is its M1
    names = {RIS_TAGS.get(k, k) for k in keys if k != "unknown_tag"}
    names |= {tag for tag, values in (entry.get("unknown_tag") or {}).items()
              if any(values) and tag not in RIS_READ_FOR_TAGS.get(data.get("type", ""), set()) and tag not in pubmed_tags}
    return tuple(sorted(names))


# --- RIS ------------------------------------------------------------------------------------

RIS_TO_CSL = {
    "JOUR": "article-journal", "EJOUR": "article-journal", "JFULL": "periodical", "ABST": "article-journal",
    "INPR": "article-journal", "MGZN": "article-magazine", "NEWS": "article-newspaper", "BOOK": "book",
    "EBOOK": "book", "EDBOOK": "book", "WHOLE": "book", "CHAP": "chapter", "ECHAP": "chapter", "THES": "thesis",
    "RPRT": "report", "CONF": "paper-conference", "CPAPER": "paper-conference", "ELEC": "webpage", "WEB": "webpage",
    "BLOG": "post-weblog", "VIDEO": "motion_picture", "MPCT": "motion_picture", "ADVS": "motion_picture",
    "SOUND": "song", "MUSIC": "song", "MAP": "map", "DATA": "dataset", "DBASE": "dataset", "PAT": "patent",
    "CASE": "legal_case", "STAT": "legislation", "BILL": "bill", "MANSCPT": "manuscript", "UNPB": "manuscript",
    "PAMP": "pamphlet", "ENCYC": "entry-encyclopedia", "DICT": "entry-dictionary", "PCOMM": "personal_communication",
    "GEN": "document", "ART": "graphic", "FIGURE": "figure", "SLIDE": "speech", "COMP": "software", "STAND": "standard",
    "HEAR": "hearing", "CLSWK": "classic", "ANCIENT": "classic", "GOVDOC": "report", "CTLG": "book", "SER": "book",
    "CHART": "graphic", "EQUA": "figure", "AGGR": "dataset", "GRANT": "document", "ICOMM": "personal_communication",
    "INTV": "interview", "LEGAL": "regulation", "MULTI": "motion_picture", "BROAD": "broadcast", "POST": "post",
    "ARTICLE": "article", "PREPRINT": "article",
}
# One RIS type per CSL type, so that export and re-import keep the type; the CSL types RIS has
# no code for go out as GEN with the CSL type in M3 ("type of work"), which import reads back.
CSL_TO_RIS = {
    "article-journal": "JOUR", "periodical": "JFULL", "article-magazine": "MGZN", "article-newspaper": "NEWS", "book": "BOOK",
    "chapter": "CHAP", "thesis": "THES", "report": "RPRT", "paper-conference": "CONF", "webpage": "ELEC",
    "post-weblog": "BLOG", "motion_picture": "VIDEO", "song": "SOUND", "map": "MAP",
    "dataset": "DATA", "patent": "PAT", "legal_case": "CASE", "legislation": "STAT", "bill": "BILL", "manuscript": "MANSCPT",
    "pamphlet": "PAMP", "entry-encyclopedia": "ENCYC", "entry-dictionary": "DICT", "personal_communication": "PCOMM",
    "graphic": "ART", "figure": "FIGURE", "speech": "SLIDE", "software": "COMP", "standard": "STAND", "hearing": "HEAR",
    "classic": "CLSWK", "interview": "INTV", "regulation": "LEGAL",
}
# Video and audio (LST-2, CSL 1.0.2): VIDEO/MPCT/ADVS are video recordings (motion_picture), SOUND and
# MUSIC audio recordings (song; MUSIC is "Music" in RIS and Zotero's RIS.js reads it as an audio
# recording, not a printed score); a radio, TV or podcast programme (broadcast) and a printed score
# (musical_score) have no RIS code, so they go out as GEN with their CSL type in M3 (Zotero's own
# export writes a broadcast as SOUND or MPCT, and loses it); "BROAD", which no RIS reader knows,
# is still read.
RIS_TAG_RE = re.compile(r"^\s*([A-Z][A-Z0-9])\s{0,4}-(?: |$)?(.*)$")


def _ris_date(text: str | None) -> dict | None:
    """RIS dates are "YYYY/MM/DD/other" (each part optional)."""
    if not text:
        return None
    parts = [p for p in str(text).split("/")[:3]]
    nums = []
    for p in parts:
        p = p.strip()
        if not p.isdigit():
            break
        nums.append(int(p))
    if nums and 0 < nums[0] < 10000:
        if len(nums) > 1 and not 1 <= nums[1] <= 12:
            nums = nums[:1]
        if len(nums) > 2 and not 1 <= nums[2] <= 31:
            nums = nums[:2]  # "2017/03/33/": no such day
        return {"date-parts": [nums[:3]]}
    # not RIS's YYYY/MM/DD ("August 27, 2009", EndNote's "0000 Year Date" placeholder): as citeproc-js
    # reads text, else the year in it ("c1998."), else kept as written (a literal date)
    parsed = validate.read_date(str(text)) or {"literal": str(text)}
    if "date-parts" in parsed:
        return parsed
    fallback = cslmod.date_parts(text)
    return fallback if fallback and fallback["date-parts"][0][0] else parsed


SERIAL_TYPES = ("article-journal", "article-magazine", "article-newspaper", "periodical")
# RIS types whose A2 is the series editor and A3 the editor (an edited book's editors are its AU)
BOOK_RIS = ("BOOK", "EBOOK", "EDBOOK")


def ris_name(text: str) -> dict:
    """A name as RIS writes it: "Family, Given, Suffix"; a corporate name ends with a comma
    ("World Health Organization,", EndNote's convention), which keeps it whole."""
    text = (text or "").strip()
    if text.endswith(",") and text.rstrip(",").strip():
        return {"literal": text.rstrip(",").strip()}
    return cslmod.parse_name(text)


def _ris_name_text(name: dict) -> str:
    if name.get("literal"):
        return name["literal"] + ","
    if not name.get("given") and " " in str(name.get("family") or "").strip():
        return cslmod.name_text(name) + ","  # "UN DESA" alone: whole, or it comes back as given "UN" + family "DESA"
    return cslmod.name_text(name)


# what a GEN entry's "type of work" (M3) calls a preprint (CSL ``article``): arXiv, SSRN, RePEc, bioRxiv...
PREPRINT_WORK = re.compile(r"(?i)\b(pre-?print|e-?print|working paper|discussion paper|preprint article)s?\b")
# Zotero writes its preprint item as a plain GEN (RIS.js has no type for it, nor M3/M1 for its
# genre and archive id): what says "preprint" is the repository (PB), the catalogue (DP, DB) or the
# DOI's registrant — what Zotero's arXiv, bioRxiv, OSF, SSRN, Research Square, Preprints.org,
# NBER and IACR translators give (tests/data/ris/zotero-RIS-export-preprints.ris), and the servers
# of its other translators' preprints (LingBuzz, Optimization Online, ECCC, Cambridge Open Engage
# — DOI 10.33774 —, "... Preprints": zotero-RIS-export-preprints-all.ris); a general repository
# (Zenodo, CERN Document Server, an institution's) says nothing and stays a document
PREPRINT_SERVERS = re.compile(
    r"(?i)^(arxiv|biorxiv|medrxiv|chemrxiv|techrxiv|psyarxiv|socarxiv|eartharxiv|engrxiv|edarxiv|osf preprints|"
    r"open science framework|center for open science|research square|preprints|ssrn|social science research network|"
    r"authorea|cryptology eprint archive|national bureau of economic research|nber|scielo preprints|lingbuzz|"
    r"optimization online|electronic colloquium on computational complexity|eccc|[\w ]*\bpreprints?\b|\w*rxiv\b)(\.org)?\b")
PREPRINT_DOI = re.compile(r"(?i)^10\.(48550/arxiv\.|312(19|2[2-9]|3[0-6])/|21203/rs\.|20944/preprints|2139/ssrn|26434/chemrxiv|"
                          r"36227/techrxiv|22541/au\.|3386/w|33774/|1101/\d{4}\.\d\d\.\d\d\.)")
ARXIV_ID = re.compile(r"(?i)(?:10\.48550/arxiv\.|arxiv\.org/(?:abs|pdf)/)([a-z.-]+/\d{7}|\d{4}\.\d{4,5})")


def _preprint_server(entry: dict) -> str:
    """The preprint server a GEN names (its PB, DP or DB, else its DOI's registrant), or ""."""
    for key in ("publisher", "database_provider", "name_of_database"):
        if PREPRINT_SERVERS.match(str(entry.get(key) or "").strip()):
            return str(entry[key]).strip()
    return "preprint" if PREPRINT_DOI.match(str(entry.get("doi") or "").strip()) else ""


def _isbn_or_issn(value: str) -> bool:
    digits = len(re.sub(r"[^0-9Xx]", "", value))
    return bool(digits in (10, 13) and identifiers.normalize_isbn(value) or digits == 8 and identifiers.normalize_issn(value))


def _ris_raw(block: str) -> dict[str, list[str]]:
    """Every value of every tag of a RIS block, in file order (rispy keeps one SN, one M1...)."""
    raw: dict[str, list[str]] = {}
    for m in re.finditer(r"(?m)^([A-Z][A-Z0-9])  - (.*)$", block):
        if m.group(2).strip():
            raw.setdefault(m.group(1), []).append(m.group(2).strip())
    return raw


def _ris_patent(entry: dict, raw: dict[str, list[str]], data: dict) -> None:
    """A patent as the RIS specification writes it (TY PAT; Zotero and citation-js read it so):
    SN the patent number (IS in Reference Manager's older files), M1 the application number, A2
    the issuing organisation, PB the assignee, CY the country, VL the patent version, C1 the
    filing date, C2 the issue date, C3 the designated states, C5 references, C6 legal status,
    M3 the patent type, T2 the published source."""
    numbers = raw.get("SN") or ([entry["number"]] if entry.get("number") else []) or ([entry["section"]] if entry.get("section") else [])
    data["number"] = "; ".join(numbers)
    data["call-number"] = entry.get("note") or ""
    if entry.get("secondary_authors"):
        data["authority"] = "; ".join(a.strip().rstrip(",") for a in entry["secondary_authors"] if a.strip())
    data["version"] = entry.get("volume") or ""
    data["container-title"] = entry.get("secondary_title") or ""
    data["submitted"] = _ris_date(entry.get("custom1"))
    data["jurisdiction"] = entry.get("custom3") or ""
    data["references"] = entry.get("custom5") or ""
    data["status"] = entry.get("custom6") or ""
    data["genre"] = entry.get("type_of_work") or ""


def ris_entry_to_csl(entry: dict, authors_in_order: list[str] | None = None, raw: dict[str, list[str]] | None = None) -> dict:
    """CSL-JSON of one rispy entry; an invalid ISBN/ISSN/DOI is kept as given, so that the
    import refuses the entry with the lists app's LST-2 reason (docs/catalog.md).
    ``authors_in_order``: the AU/A1 values as the file lists them (rispy keeps the two tags apart);
    ``raw``: every value of each tag (:func:`_ris_raw`; rispy keeps only one SN)."""
    raw = raw or {}
    ris_type = (entry.get("type_of_reference") or "GEN").upper()
    ctype = RIS_TO_CSL.get(ris_type, "document")
    work = (entry.get("type_of_work") or "").strip()
    if ris_type == "GEN" and work in cslmod.TYPES:
        ctype = work  # our own export of a CSL type RIS has no code for
    elif ris_type == "GEN" and (PREPRINT_WORK.search(work) or not work and _preprint_server(entry)):
        ctype = "article"  # a preprint (Zotero and citation-js write one as GEN; M3, or its server, says so)
    title = entry.get("title") or entry.get("primary_title") or entry.get("translated_title") or ""
    secondary = entry.get("secondary_title") or ""
    # the full journal title (JF, else T2) wins over the abbreviations (JO, JA, J2)
    full_journal = entry.get("alternate_title3") or ""
    abbreviation = entry.get("journal_name") or entry.get("alternate_title2") or entry.get("alternate_title1") or ""
    journal = full_journal or (secondary if ctype in SERIAL_TYPES + ("paper-conference",) else "") or abbreviation
    data: dict = {"type": ctype, "title": title}
    if abbreviation and (abbreviation != journal or ctype == "periodical" and title and title != abbreviation):
        data["container-title-short"] = abbreviation  # (a whole journal's own abbreviation, JFULL's JO/J2, too)
    if ctype in ("article-journal", "article-magazine", "article-newspaper", "paper-conference"):
        data["container-title"] = journal or secondary
    elif ctype in ("chapter", "entry-encyclopedia", "entry-dictionary", "webpage", "post-weblog"):
        data["container-title"] = secondary or journal
    elif secondary and ctype in ("book", "report"):
        data["collection-title"] = secondary
    if not title and ctype == "periodical":
        data["title"] = journal or secondary
    if ctype in MEDIA_TYPES:
        _ris_media(entry, ctype, secondary, data)
    if ctype == "paper-conference" and entry.get("custom3"):
        # the RIS specification's CONF: C3 the proceedings title, T2 the conference's name
        data["container-title"] = entry["custom3"]
        if secondary and secondary != entry["custom3"]:
            data["event-title"] = secondary
    elif ctype == "paper-conference" and secondary and not full_journal and not abbreviation and not any(
            entry.get(k) for k in ("start_page", "end_page", "volume", "number", "publisher", "issn")):
        # T2 alone is the conference's name (the specification; Zotero reads it so) when nothing
        # says the paper was published (no pages, volume, publisher, ISBN): a talk at an event. With
        # them it stays the proceedings, as IEEE Xplore writes a CONF (T2 only, with pages)
        data["event-title"] = secondary
        del data["container-title"]
    authors = authors_in_order if authors_in_order is not None else \
        list(entry.get("first_authors") or []) + list(entry.get("authors") or [])
    if authors:
        data["editor" if ris_type == "EDBOOK" else "author"] = [ris_name(a) for a in authors]
    if entry.get("subsidiary_authors"):
        data["translator"] = [ris_name(a) for a in entry["subsidiary_authors"]]
    if ris_type in BOOK_RIS:
        # a book's editors are A3 and A2 its series editors (the RIS specification; Zotero, EndNote
        # and citation-js read and write them so)
        if entry.get("secondary_authors"):
            data["collection-editor"] = [ris_name(a) for a in entry["secondary_authors"]]
        if entry.get("tertiary_authors"):
            data["editor"] = data.get("editor", []) + [ris_name(a) for a in entry["tertiary_authors"]]
    elif entry.get("secondary_authors") and ctype not in ("patent", "legal_case"):  # a patent's A2 is its issuing
        # organisation, a case's its reporter
        role = "recipient" if ctype == "personal_communication" else "editor"
        data[role] = [ris_name(a) for a in entry["secondary_authors"]]
    data["issued"] = _ris_date(entry.get("date") or entry.get("publication_year") or entry.get("year")
                               or (entry.get("custom2") if ctype == "patent" else None))
    if entry.get("year") and (not data["issued"] or not data["issued"].get("date-parts") and not cslmod.year_of(data)):
        data["issued"] = cslmod.date_parts(entry["year"]) or data["issued"]  # PY when DA is no date with a year
    if entry.get("access_date"):
        data["accessed"] = _ris_date(entry["access_date"])
    isbns, issns = [], []
    sn_values = [] if ctype == "patent" else [v for sn in (raw.get("SN") or [str(entry.get("issn") or "")]) for v in identifiers.split_identifiers(sn)]
    if ctype == "report":  # RPRT's SN is the report number (the RIS specification; Zotero, citation-js)
        numbers = [v for v in sn_values if not _isbn_or_issn(v)]
        sn_values = [v for v in sn_values if v not in numbers]
        data["number"] = "; ".join(numbers) or entry.get("note") or ""
    for value in sn_values:
        digits = len(re.sub(r"[^0-9Xx]", "", value))
        isbn, issn = identifiers.normalize_isbn(value), identifiers.normalize_issn(value)
        if isbn and digits in (10, 13):
            isbns.append(isbn)
        elif issn:
            issns.append(issn)
        elif value:  # neither: kept as given so the entry is refused naming it (LST-2), not silently dropped
            serial = digits == 8 or (digits not in (10, 13) and ctype in SERIAL_TYPES)
            (issns if serial else isbns).append(value)
    data.update(ISBN=" ".join(isbns), ISSN=" ".join(issns), DOI=entry.get("doi") or "",
                URL=next((u for u in entry.get("urls") or [] if not NOT_A_URL.match(str(u))), ""), volume=entry.get("volume") or "", issue=entry.get("number") or "",
                publisher=entry.get("publisher") or "", edition=entry.get("edition") or "",
                abstract=entry.get("abstract") or entry.get("notes_abstract") or "", language=entry.get("language") or "")
    if not data["issue"] and ctype in SERIAL_TYPES and str(entry.get("note") or "").isdigit():
        data["issue"] = entry["note"]  # EndNote writes a journal's issue number in M1
    if ctype == "article":  # a preprint: M1 its number in the repository ("arXiv:2408.12345"), DB the repository
        data["number"] = entry.get("note") or ""
        server = _preprint_server(entry)
        data["archive"] = entry.get("name_of_database") or (server if server != "preprint" else "")
        _preprint_number(data)
        if work and work != "article":
            data["genre"] = work
    if ctype == "patent":
        data.update(volume="", issue="")
        _ris_patent(entry, raw, data)
    if ctype == "legal_case":
        # CASE as the RIS specification writes it (Zotero reads and writes it so): A2 the reporter,
        # PB the court, VL the reporter's volume, SP the first page, SV the docket number
        data["container-title"] = "; ".join(a.strip() for a in entry.get("secondary_authors") or [] if a.strip())
        data["authority"], data["publisher"] = data.get("publisher") or "", ""
        data["number"] = "; ".join(raw.get("SV") or [])
    data["publisher-place"] = entry.get("place_published") or ""
    if ctype == "paper-conference" and entry.get("custom1"):
        # CONF's C1 is the place published (the RIS specification; Zotero writes a conference paper's
        # place there), its CY the conference's location
        if data["publisher-place"] and data["publisher-place"] != entry["custom1"]:
            data["event-place"] = data["publisher-place"]
        data["publisher-place"] = entry["custom1"]
    data["collection-title"] = data.get("collection-title") or entry.get("tertiary_title") or ""
    data["title-short"] = entry.get("short_title") or ""
    sp, ep = entry.get("start_page") or "", entry.get("end_page") or ""
    data["page"] = f"{sp}-{ep}" if sp and ep else sp
    if ctype in ("book", "thesis") and sp and not ep and not re.search(r"\d\s*[-–]+\s*\d", sp):
        data["number-of-pages"], data["page"] = sp, ""  # a book's SP is its number of pages (spec; Zotero, citation-js)
    if ctype == "motion_picture" and sp and not ep:
        data["dimensions"], data["page"] = sp, ""  # a film's SP is its running time (Zotero; citation-js for MPCT)
    if entry.get("keywords"):
        data["keyword"] = "; ".join(entry["keywords"])
    if entry.get("number_of_volumes"):
        data["number-of-volumes"] = entry["number_of_volumes"]
    if entry.get("call_number") and not data.get("call-number"):
        data["call-number"] = entry["call_number"]  # CN (Zotero's "Call Number"; a patent's is M1)
    data.update(_ris_pubmed(entry)[0])  # PubMed's PMID and PMCID: the link resolver's (session 25)
    return cslmod.clean(data, keep_invalid=True)


#: the video and audio types (LST-2) whose T2 is the programme, album or compilation they are part of
#: (CSL 1.0.2: a broadcast's ``container-title`` is its series, a song's its album, a motion
#: picture's its compilation); Zotero's RIS.js writes a film's genre as C4 and a film's, a video's
#: or a broadcast's director as AU: a director is written so when there is no author (read back
#: as the author: RIS has no director tag)
MEDIA_TYPES = ("motion_picture", "broadcast", "song")


def _ris_media(entry: dict, ctype: str, secondary: str, data: dict) -> None:
    if secondary:
        data["container-title"] = secondary
    if entry.get("custom4") and ctype == "motion_picture":
        data["genre"] = entry["custom4"]
    elif entry.get("type_of_work") and ctype != "broadcast":  # a broadcast's M3 is its CSL type (GEN)
        data["genre"] = entry["type_of_work"]


def csl_to_ris_entry(data: dict) -> dict:
    ctype = data.get("type") or "book"
    entry: dict = {"type_of_reference": CSL_TO_RIS.get(ctype, "GEN"), "title": data.get("title", "")}
    if ctype not in CSL_TO_RIS:
        entry["type_of_work"] = ctype
    if data.get("author"):
        entry["authors"] = [_ris_name_text(n) for n in cslmod.names(data, "author")]
    elif ctype in MEDIA_TYPES and ctype != "song" and data.get("director"):
        entry["authors"] = [_ris_name_text(n) for n in cslmod.names(data, "director")]  # as Zotero writes a film's
    if ctype in MEDIA_TYPES and data.get("genre") and ctype != "broadcast":
        entry["type_of_work"] = str(data["genre"])
    if entry["type_of_reference"] in BOOK_RIS:  # a book's editors are A3, its series editors A2
        if data.get("editor"):
            entry["tertiary_authors"] = [_ris_name_text(n) for n in cslmod.names(data, "editor")]
        if data.get("collection-editor"):
            entry["secondary_authors"] = [_ris_name_text(n) for n in cslmod.names(data, "collection-editor")]
    elif ctype == "patent":  # A2 is a patent's issuing organisation (text)
        if data.get("authority"):
            entry["secondary_authors"] = [str(data["authority"])]
    elif ctype == "legal_case":  # A2 is a case's reporter, PB its court
        if data.get("container-title"):
            entry["secondary_authors"] = [str(data["container-title"])]
        if data.get("authority"):
            entry["publisher"] = str(data["authority"])
        if data.get("number"):
            entry["unknown_tag"] = {"SV": [str(data["number"])]}  # rispy has no name for SV
    else:
        second = "recipient" if ctype == "personal_communication" else "editor"
        if data.get(second):
            entry["secondary_authors"] = [_ris_name_text(n) for n in cslmod.names(data, second)]
    if data.get("translator"):
        entry["subsidiary_authors"] = [_ris_name_text(n) for n in cslmod.names(data, "translator")]
    container = data.get("container-title")
    if ctype == "paper-conference":
        # CONF as the RIS specification has it (Zotero, EndNote and citation-js read it so): the
        # proceedings are C3 and T2 is the conference's name — the proceedings when it has none
        if container:
            entry["custom3"] = container
        if event := data.get("event-title") or data.get("event") or container:
            entry["secondary_title"] = event
    elif container and ctype != "legal_case":
        if ctype in SERIAL_TYPES:
            entry["alternate_title3"] = container  # JF, the full journal title
        entry["secondary_title"] = container
    elif ctype == "periodical" and data.get("title"):
        # a whole journal (JFULL): its own title as JF too, which Zotero and citation-js (who make
        # a JFULL an article) read as the journal, and our import reads back as the periodical
        entry["alternate_title3"] = data["title"]
    if data.get("container-title-short"):
        entry["journal_name"] = data["container-title-short"]  # JO, the abbreviation
    if data.get("collection-title"):
        entry["tertiary_title"] = data["collection-title"]
    issued = (data.get("issued") or {}).get("date-parts", [[]])[0] if isinstance(data.get("issued"), dict) else []
    if issued and (int(issued[0]) < 1 or int(issued[0]) < 1000 and cslmod.season_text(data.get("issued"))):
        entry["year"] = str(issued[0])  # a BC date: its year (CSL's -12, 12 BC) — RIS has no era for a day or a season,
        # and "Spring -2012" came back as the year 2012, "Spring 11" as text (session 24, Better BibTeX #860)
    elif seasons := cslmod.season_text(data.get("issued")):
        entry["year"] = str(issued[0])
        entry["date"] = seasons  # RIS DA has no season: the text ("Spring 1999 - Summer 2001"), read back as text
    elif issued:
        entry["year"] = str(issued[0])
        entry["date"] = "/".join(f"{int(p):02d}" if i else str(p) for i, p in enumerate(issued)) + "/"
    elif isinstance(data.get("issued"), dict) and data["issued"].get("literal"):
        entry["date"] = str(data["issued"]["literal"])  # a literal date ("Spring 1999–Summer 2001") as written,
        if year := cslmod.year_of(data):  # its year in PY
            entry["year"] = str(year)
    accessed = (data.get("accessed") or {}).get("date-parts", [[]])[0] if isinstance(data.get("accessed"), dict) else []
    if accessed:
        entry["access_date"] = "/".join(f"{int(p):02d}" if i else str(p) for i, p in enumerate(accessed))
    elif isinstance(data.get("accessed"), dict) and data["accessed"].get("literal"):
        entry["access_date"] = str(data["accessed"]["literal"])  # as written, as the issued date above
    idents = identifiers.split_identifiers(data.get("ISBN")) + identifiers.split_identifiers(data.get("ISSN"))
    if ctype in ("patent", "report") and data.get("number"):
        idents = [str(data["number"])] + (idents if ctype == "report" else [])  # SN: the patent / report number first
    if idents:
        entry["issn"] = "; ".join(idents)  # RIS SN holds ISBN and ISSN alike
    if ctype == "patent":
        for key, ris_key in (("call-number", "note"), ("version", "volume"), ("jurisdiction", "custom3"),
                             ("references", "custom5"), ("status", "custom6"), ("genre", "type_of_work")):
            if data.get(key):
                entry[ris_key] = str(data[key])
        submitted = (data.get("submitted") or {}).get("date-parts", [[]])[0] if isinstance(data.get("submitted"), dict) else []
        if submitted:
            entry["custom1"] = "/".join(f"{int(p):02d}" if i else str(p) for i, p in enumerate(submitted))
    elif ctype == "article":  # a preprint: GEN, M3 what it is, M1 its number, DB its repository
        entry["type_of_work"] = str(data.get("genre") or "article")
        for key, ris_key in (("number", "note"), ("archive", "name_of_database")):
            if data.get(key):
                entry[ris_key] = str(data[key])
    page = str(data.get("page") or "")
    if ctype in ("book", "thesis") and data.get("number-of-pages") and not page:
        page = str(data["number-of-pages"])  # SP: a book's number of pages
    if ctype == "motion_picture" and data.get("dimensions") and not page:
        page = str(data["dimensions"])  # SP: a film's running time
    if m := re.match(r"^\s*([^\s\-–]+)\s*[-–]+\s*(\S+)\s*$", page):
        entry["start_page"], entry["end_page"] = m.group(1), m.group(2)
    elif page:
        entry["start_page"] = page
    simple = {"DOI": "doi", "volume": "volume", "issue": "number", "publisher": "publisher", "publisher-place": "place_published",
              "edition": "edition", "abstract": "abstract", "language": "language", "title-short": "short_title",
              "number-of-volumes": "number_of_volumes"}
    for key, ris_key in simple.items():
        if data.get(key) and not (ctype == "patent" and key in ("volume", "issue")):
            entry[ris_key] = str(data[key])
    if data.get("URL"):
        entry["urls"] = [data["URL"]]
    # PubMed's identifiers as PubMed's own RIS writes them (read back by _ris_pubmed)
    pubmed = [f"{data[key]}[{key.lower()}]" for key in ("PMID", "PMCID") if str(data.get(key) or "").strip()]
    for tag, value in zip(("U1", "U2"), pubmed):
        entry.setdefault("unknown_tag", {})[tag] = [value]
    if data.get("keyword"):
        entry["keywords"] = [k.strip() for k in str(data["keyword"]).split(";") if k.strip()]
    if data.get("call-number") and ctype != "patent":  # CN, read back on import (a patent's is its M1)
        entry["call_number"] = str(data["call-number"])
    return entry


def _ris_lines(text: str) -> str:
    """RIS as other tools write it, made regular: "TY - JOUR" or "TY-JOUR" → "TY  - JOUR",
    "ER -" → "ER  - ", tags in lower case, a byte-order mark, CR line ends, counter lines
    ("1.") between entries; continuation lines are kept."""
    out = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff").split("\n"):
        m = re.match(r"^\s*([A-Za-z][A-Za-z0-9])\s{0,4}-(?: |$)(.*)$", line) or re.match(r"^\s*([A-Za-z][A-Za-z0-9])\s{0,4}-(\S.*)?$", line)
        if m:
            out.append(f"{m.group(1).upper()}  - {(m.group(2) or '').rstrip()}")
        elif re.fullmatch(r"\s*\d+\.\s*", line):
            continue
        else:
            out.append(line)
    return "\n".join(out)


def _ris_notes(block: str, title: str) -> tuple[str, ...]:
    """The N1 and RN notes of a (regular) RIS block with their continuation lines — a Zotero note is
    HTML over several lines, which rispy cuts into one note per line — as plain text; a note that
    only repeats the title (EndNote writes one) or an earlier note is left out, as Zotero does."""
    notes: list[list[str]] = []
    current: list[str] | None = None
    for line in block.split("\n"):
        m = re.match(r"^([A-Z][A-Z0-9])  - (.*)$", line)
        if m:
            current = [m.group(2)] if m.group(1) in RIS_NOTE_TAGS else None
            if current is not None:
                notes.append(current)
        elif current is not None:
            current.append(line)
    out: list[str] = []
    for parts in notes:
        text = note_text("\n".join(parts))
        if text and text != title.strip() and text not in out:
            out.append(text)
    return tuple(out)


def parse_ris(text: str) -> list[ParsedEntry]:
    """Each ``TY  - ... ER  -`` block is read on its own, so that one broken block is reported
    and the others load."""
    all_blocks = re.split(r"(?m)^(?=TY  - )", _ris_lines(text))
    lines, starts = 1, []
    for block in all_blocks:
        starts.append(lines)
        lines += block.count("\n")
    blocks = [(b, start) for b, start in zip(all_blocks, starts) if b.strip()]
    out = []
    for position, (block, line) in enumerate(blocks, start=1):
        if not block.startswith("TY  - "):
            out.append(ParsedEntry(position, None, f"text outside of an entry (no 'TY  - ' line) at line {line}", line=line))
            continue
        try:
            entries = rispy.loads(block if re.search(r"(?m)^ER  -", block) else block + "\nER  - \n")
        except Exception as exc:  # rispy raises on malformed tags/lines
            out.append(ParsedEntry(position, None, f"unreadable RIS at line {line}: {exc}", line=line))
            continue
        if not entries:
            out.append(ParsedEntry(position, None, f"empty entry at line {line}", line=line))
            continue
        in_order = [m.group(2).strip() for m in re.finditer(r"(?m)^(AU|A1)  - (.*)$", block) if m.group(2).strip()]
        data = ris_entry_to_csl(entries[0], in_order, _ris_raw(block))
        label = data.get("title", "")[:60]
        if not data.get("title"):
            out.append(ParsedEntry(position, None, f"the entry at line {line} has no title (TI/T1)", label, line=line))
        else:
            out.append(ParsedEntry(position, data, "", label, line=line, dropped=ris_dropped(entries[0], data),
                                   notes=_ris_notes(block, data["title"])))
    return out


class _RisWriter(rispy.RisWriter):
    """rispy's writer without its "1." counter line before each entry (not RIS)."""

    def set_header(self, count):
        return ""


_LINE_BREAKS = re.compile("[\r\n\u2028\u2029\x85]+")


def _one_line(value):
    """A RIS value on its one line: a line break inside a stored title or note would start a line
    of its own — ``ER  -`` then ``TY  -`` and any tag — and a reader of the export would find an
    entry (a link, an author) that the list does not have (injection, session 17)."""
    if isinstance(value, str):
        return _LINE_BREAKS.sub(" ", value)
    if isinstance(value, list):
        return [_one_line(v) for v in value]
    return value


def to_ris(items: list[dict]) -> str:
    items = strip_control_deep(items)  # stored before the boundary refused them (issue 18)
    entries = [{tag: _one_line(value) for tag, value in csl_to_ris_entry(d).items()} for d in items]
    return rispy.dumps(entries, implementation=_RisWriter)


# --- BibTeX ---------------------------------------------------------------------------------

BIB_TO_CSL = {
    "article": "article-journal", "book": "book", "mvbook": "book", "inbook": "chapter", "incollection": "chapter",
    "bookinbook": "chapter", "suppbook": "chapter", "suppcollection": "chapter", "inproceedings": "paper-conference",
    "conference": "paper-conference", "proceedings": "book", "mvproceedings": "book", "collection": "book",
    "mvcollection": "book", "reference": "book", "mvreference": "book", "phdthesis": "thesis", "mastersthesis": "thesis",
    "thesis": "thesis", "techreport": "report", "report": "report", "manual": "book", "booklet": "pamphlet",
    "unpublished": "manuscript", "online": "webpage", "electronic": "webpage", "www": "webpage", "misc": "document",
    "dataset": "dataset", "patent": "patent", "periodical": "periodical", "suppperiodical": "article-journal",
    "inreference": "entry-encyclopedia", "video": "motion_picture", "movie": "motion_picture", "audio": "song",
    "music": "song", "software": "software", "standard": "standard", "artwork": "graphic", "image": "graphic",
    "letter": "personal_communication", "jurisdiction": "legal_case", "legislation": "legislation", "legal": "treaty",
    "review": "review", "performance": "performance", "classic": "classic", "map": "map", "interview": "interview",
    "speech": "speech", "hearing": "hearing", "post": "post", "preprint": "article",
}
# One entry type per CSL type (biblatex's), so that export and re-import keep the type; the
# rest go out as @misc with the CSL type in ``entrysubtype``, which import reads back.
CSL_TO_BIB = {
    "article-journal": "article", "book": "book", "chapter": "incollection", "paper-conference": "inproceedings",
    "thesis": "phdthesis", "report": "techreport", "pamphlet": "booklet", "manuscript": "unpublished", "webpage": "online",
    "dataset": "dataset", "patent": "patent", "periodical": "periodical", "entry-encyclopedia": "inreference",
    "motion_picture": "movie", "song": "audio", "software": "software", "standard": "standard", "graphic": "artwork",
    "personal_communication": "letter", "legal_case": "jurisdiction", "legislation": "legislation", "review": "review",
    "performance": "performance", "treaty": "legal", "interview": "interview",
    "article-magazine": "article", "article-newspaper": "article",
}
MONTHS = {m: i for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}
MONTH_NAMES = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
               "November", "December"]
# TeX logos and the few text macros pylatexenc's default context leaves out: "{\TeX}book" kept as "TeXbook";
# biblatex's \hyphen and \nbhyphen (breakable and non-breaking hyphens: "methodology\hyphen independent")
_TEX_MACROS = [MacroTextSpec(name, text) for name, text in (
    ("TeX", "TeX"), ("LaTeX", "LaTeX"), ("LaTeXe", "LaTeX2e"), ("BibTeX", "BibTeX"), ("XeTeX", "XeTeX"),
    ("LuaTeX", "LuaTeX"), ("ConTeXt", "ConTeXt"), ("AmS", "AMS"), ("MF", "Metafont"), ("MP", "MetaPost"),
    ("TEL", "\u2121"), ("hyphen", "-"), ("nbhyphen", "-"), ("textasciitilde", "~"), ("textasciicircum", "^"), ("textbackslash", "\\"), ("slash", "/"),
)] + [MacroTextSpec(name, "%(1)s") for name in ("texttt", "textsf", "textup", "textmd", "mbox")]
# (session 20: pylatexenc's table has no text for these five font and box commands, and dropped their
# argument — "a \texttt{collection} entry" read "a  entry" in biblatex's own annotations and titles)
_latex_db = get_default_latex_context_db()
_latex_db.add_context_category("syllabus", prepend=True, macros=_TEX_MACROS)
_latex = LatexNodes2Text(latex_context=_latex_db, math_mode="text")


SUPERSCRIPTS = str.maketrans("0123456789+-=()ni", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱ")
SUBSCRIPTS = str.maketrans("0123456789+-=()", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎")


def _scripts(match: re.Match) -> str:
    mark, body = match.group(1), match.group(2) or match.group(3)
    return body.translate(SUPERSCRIPTS if mark == "^" else SUBSCRIPTS)


_MATH_SCRIPT = re.compile(r"(?<=\S)([_^])(?:\{([0-9+\-=()]+)\}|([0-9+\-=()]))")


# --- LaTeX to text, fast (session 18) --------------------------------------------------------
# pylatexenc costs ≈ 30 µs a character; most LaTeX in bibliographies is a few shapes — braces
# that protect case ("{DNA}"), accents ("{\\'e}", "\\"{u}", "\\c{c}"), ties ("~") and dashes
# ("--"). A value made only of those is decoded token by token, each token's text being what
# pylatexenc itself gives for it (asked once, then remembered), so the output is pylatexenc's;
# any other macro, math, "%" (a comment), "&", "#", "^", "_" or an unbalanced brace goes to
# pylatexenc whole. tests/citations/test_import_speed.py compares both on every corpus file.
_FAST_TOKEN = re.compile(
    r"(?P<accent>\\['`^\"~=.](?:[A-Za-z]|\{[A-Za-z]\}|\{\\i\})|\\[cvuHk]\{[A-Za-z]\})"
    r"|(?P<open>\{)|(?P<close>\})|(?P<tie>~)"
    r"|(?P<special>---|--|``|''|!`|\?`)"
    r"|(?P<plain>[^\\{}$~%&#^_\-`'!?]+|[-`'!?])"
)
_token_text: dict[str, str] = {}
FAST_LATEX = True  # False: every value through pylatexenc (the reference the tests compare with)


def _fast_latex(text: str) -> str | None:
    """``text`` decoded as pylatexenc would, or None when it holds anything but the shapes above."""
    out: list[str] = []
    depth, pos, end = 0, 0, len(text)
    while pos < end:
        m = _FAST_TOKEN.match(text, pos)
        if m is None:
            return None
        kind, token = m.lastgroup, m.group()
        pos = m.end()
        if kind == "plain":
            out.append(token)
        elif kind == "open":
            depth += 1
        elif kind == "close":
            depth -= 1
            if depth < 0:
                return None
        else:
            decoded = _token_text.get(token)
            if decoded is None:
                decoded = _token_text[token] = _latex.latex_to_text(token)
            out.append(decoded)
    return "".join(out) if depth == 0 else None


def _latex_to_text(text: str) -> str:
    if FAST_LATEX:
        fast = _fast_latex(text)
        if fast is not None:
            return fast
    return _latex.latex_to_text(text)


def _tex(value) -> str:
    text = str(value or "")
    if not FAST_LATEX or len(text) > _CACHED_UP_TO:
        return _tex_uncached(text)
    return _tex_cached(text)


_CACHED_UP_TO = 300  # characters: names, journals, publishers, places — never a whole abstract kept in memory


@functools.lru_cache(maxsize=8192)
def _tex_cached(text: str) -> str:
    """The same journal, publisher, place or name recurs across a file's entries: decoded once."""
    return _tex_uncached(text)


def _tex_uncached(text: str) -> str:
    # simple math sub/superscripts ("DNA$_2$", "$\Sigma^0$") → Unicode, as they print
    # (before the last "$" only: what a lookahead for a later "$" meant — tried at every "_" it was
    # quadratic on a long field of them, ReDoS, session 17)
    if "$" in text:
        last = text.rindex("$")
        text = _MATH_SCRIPT.sub(_scripts, text[:last]) + text[last:]
    if "\\" in text or "{" in text or "$" in text or "~" in text:
        try:
            text = _latex_to_text(text)
        except (IndexError, AttributeError, TypeError, ValueError):
            # a macro whose arguments are spaced out ("\href  {url}  {text}", as Better BibTeX's users
            # write them) has none for pylatexenc, which fails: joined, else the words without macros
            joined = re.sub(r"(\\[A-Za-z]+)\s+(?=\{)", r"\1", re.sub(r"\}\s+\{", "}{", text))
            try:
                text = _latex.latex_to_text(joined)
            except (IndexError, AttributeError, TypeError, ValueError):
                text = re.sub(r"\\[A-Za-z]+\*?|[{}$]", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def fold_title(text: str) -> str:
    return re.sub(r"\W+", " ", text or "").strip().lower()


def _bib_name(parts) -> dict:
    first, von, last, jr = (" ".join(_tex(p) for p in getattr(parts, k)) for k in ("first", "von", "last", "jr"))
    raw_last = " ".join(parts.last)
    if not first and raw_last.startswith("{") and raw_last.endswith("}"):
        return {"literal": last}
    if not last and not von and first:  # ", David" (a Zenodo author list as Better BibTeX writes it): one name alone
        return {"literal": first}
    name: dict = {"family": last}
    words = first.split(" ")
    tail: list[str] = []
    while len(words) > 1 and re.fullmatch(r"[a-z]+", words[-1]):  # "Beethoven, Ludwig van": van drops
        tail.insert(0, words.pop())
    if tail:
        first = " ".join(words)
        name["dropping-particle"] = " ".join(tail)
    if first:
        name["given"] = first
    if von:
        name["non-dropping-particle"] = von
    if jr:
        name["suffix"] = jr
    return name


def _split_concatenation(value: str) -> list[str] | None:
    """The parts of a BibTeX value joined with ``#`` ("jomch # { (Online)}"), or None when the
    value is one braced or quoted text (nothing to resolve)."""
    if "#" not in value:  # no concatenation: the walk below would give the value whole (most values)
        whole = value.strip()
        return None if whole[:1] in ("{", '"') else [whole]
    parts, depth, quoted, current = [], 0, False, ""
    for ch in value:
        if ch == "{" :
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == '"' and depth == 0:
            quoted = not quoted
        if ch == "#" and depth == 0 and not quoted:
            parts.append(current.strip())
            current = ""
            continue
        current += ch
    parts.append(current.strip())
    if len(parts) == 1 and parts[0][:1] in ("{", '"'):
        return None
    return parts


def _unenclose(part: str) -> str:
    if len(part) >= 2 and ((part[0] == "{" and part[-1] == "}") or (part[0] == '"' and part[-1] == '"')):
        return part[1:-1]
    return part


class ResolveStrings(LibraryMiddleware):
    """``@string`` references, concatenation with ``#`` and the month macros.  bibtexparser 2
    resolves only a value that is one whole reference (``journal = jomch``), and leaves
    ``journal = jomch # " (Online)"`` as that text; this runs in its place, before the
    enclosing braces are removed.  A resolved value is returned braced, so that the next
    middleware unwraps it like any other."""

    def __init__(self):
        super().__init__(allow_inplace_modification=True)

    @classmethod
    def metadata_key(cls) -> str:
        return "syllabus-ResolveStrings"

    def _resolve(self, value: str, strings: dict[str, str]) -> str:
        parts = _split_concatenation(value)
        if parts is None:
            return value
        out = []
        for part in parts:
            low = part.lower()
            if part[:1] in ("{", '"'):
                out.append(_unenclose(part))
            elif low in strings:
                out.append(strings[low])
            elif low in MONTHS:
                out.append(MONTH_NAMES[MONTHS[low] - 1])
            else:
                out.append(part)  # a number, or an undefined name (kept, as BibTeX warns and goes on)
        return "{" + "".join(out) + "}"

    def transform(self, library):
        strings: dict[str, str] = {}
        for block in library.strings:  # in file order: a string may use the ones before it
            strings[block.key.lower()] = _unenclose(self._resolve(str(block.value), strings))
        for entry in library.entries:
            for field in entry.fields:
                if isinstance(field.value, str):
                    field.value = self._resolve(field.value, strings)
        return library


# biblatex's inheritance (Appendix B of its manual): a child that is "in" its parent gets the
# parent's title as its booktitle (or maintitle/journaltitle), everything else field by field.
_IN_TYPES = {"inbook", "bookinbook", "suppbook", "incollection", "suppcollection", "inproceedings", "conference",
             "inreference"}
_NOT_INHERITED = {"ids", "crossref", "xref", "entryset", "entrysubtype", "execute", "label", "options", "presort",
                  "related", "relatedoptions", "relatedstring", "relatedtype", "shorthand", "shorthandintro", "sortkey"}


_SUFFIX = re.compile(r"(?i)^(jr|sr|[ivx]+)\.?$")


_EXTENDED_KEY = re.compile(r"^\s*(family|given|prefix|suffix|useprefix|giveni|familyi|prefixi|suffixi)\s*=\s*(.*?)\s*$", re.S)


def _extended_name(text: str) -> NameParts | None:
    """biblatex's extended name format (its manual, §3.4: ``family=Dijk, given=Marten, prefix=van, useprefix=true``),
    as Better BibLaTeX writes a name with a particle: each key its part.  It was read as four authors named
    "family=Dijk", "given=Marten"... (session 24, Better BibTeX's export fixtures #2058, #3272, #3430)."""
    if "=" not in text or not re.match(r"\s*(?:family|given|prefix|suffix)\s*=", text):
        return None
    pieces, depth, start = [], 0, 0
    for i, ch in enumerate(text):  # at the commas outside braces ("family={Pina-Cabral, Jr}")
        depth += (ch == "{") - (ch == "}")
        if ch == "," and depth == 0:
            pieces.append(text[start:i])
            start = i + 1
    pieces.append(text[start:])
    parts: dict[str, str] = {}
    for piece in pieces:
        if not (m := _EXTENDED_KEY.match(piece)):
            return None
        value = m.group(2)
        if value.startswith("{") and value.endswith("}"):
            value = value[1:-1]
        parts[m.group(1)] = value.strip()
    if not parts.get("family") and not parts.get("given"):
        return None
    given = parts.get("given", "").split()
    prefix = parts.get("prefix", "").split()
    uses_prefix = parts.get("useprefix", "false").lower() == "true"
    # a prefix not used with the family name ("useprefix=false", biblatex's default) is CSL's dropping particle,
    # which _bib_name finds at the end of the given names ("Beethoven, Ludwig van")
    return NameParts(first=given + ([] if uses_prefix else prefix), von=prefix if uses_prefix else [],
                     last=[parts["family"]] if parts.get("family") else [], jr=[parts["suffix"]] if parts.get("suffix") else [])


class SplitNames(SplitNameParts):
    """bibtexparser's name splitter, which refuses the whole entry over one name it cannot split:
    a list written with commas instead of "and" ("M. Halle, J. Bresnan, and G. Miller", as old
    hand-made files have it) is split at its commas, and a part still unsplittable is kept whole
    as the family name — the entry imports."""

    @classmethod
    def metadata_key(cls) -> str:
        return "syllabus-SplitNames"

    def _transform_field_value(self, name: list[str]) -> list[NameParts]:
        out: list[NameParts] = []
        for text in name:
            if extended := _extended_name(text):
                out.append(extended)
                continue
            pieces = [p.strip() for p in re.split(r",\s*(?:and\s+)?", text)]
            if len(pieces) >= 3 and "{" not in text and all(" " in p for p in pieces) and not _SUFFIX.match(pieces[1]):
                # three full names with commas ("Ryszard S. Michalski, Jaime G. Carbonell, Tom M.
                # Mitchell"), not BibTeX's "von Last, Jr, First"
                out.extend(parse_single_name_into_parts(p) for p in pieces)
                continue
            try:
                out.append(parse_single_name_into_parts(text))
            except InvalidNameError:
                for part in [p for p in pieces if p] if "{" not in text else [text]:
                    try:
                        out.append(parse_single_name_into_parts(part))
                    except InvalidNameError:
                        out.append(NameParts(last=[part]))
        return out


class ResolveCrossref(LibraryMiddleware):
    """``crossref`` resolved as BibTeX and biblatex do (bibtexparser 2 leaves it to the
    caller): an ``@inproceedings`` gets its year, booktitle, editor, publisher, volume... from
    the ``@proceedings`` it points to, unless it has its own."""

    def __init__(self):
        super().__init__(allow_inplace_modification=True)

    @classmethod
    def metadata_key(cls) -> str:
        return "syllabus-ResolveCrossref"

    def transform(self, library):
        by_key = {e.key.lower(): e for e in library.entries}
        for entry in library.entries:
            parent_key = entry.fields_dict.get("crossref")
            parent = by_key.get(str(parent_key.value).strip().lower()) if parent_key else None
            if parent is None or parent is entry:
                continue
            have = {f.key for f in entry.fields}
            for field in parent.fields:
                key = field.key
                if key in _NOT_INHERITED:
                    continue
                if entry.entry_type.lower() in _IN_TYPES and key in ("title", "subtitle", "titleaddon"):
                    key = "book" + key
                if key not in have:
                    entry.set_field(bib.Field(key, field.value))
                    have.add(key)
        return library


def _title(text: dict, prefix: str = "") -> str:
    """biblatex's title, subtitle and title addon as one CSL title ("Title: Subtitle. Addon")."""
    title = text.get(f"{prefix}title", "")
    if subtitle := text.get(f"{prefix}subtitle"):
        title = f"{title}: {subtitle}" if title and not re.search(r"[:?!.]$", title) else f"{title} {subtitle}".strip()
    if addon := text.get(f"{prefix}titleaddon"):
        title = f"{title}. {addon}" if title else addon
    return title


EPRINT_URLS = {"arxiv": "https://arxiv.org/abs/{}", "hdl": "https://hdl.handle.net/{}", "jstor": "https://www.jstor.org/stable/{}",
               "pubmed": "https://pubmed.ncbi.nlm.nih.gov/{}/", "googlebooks": "https://books.google.com/books?id={}"}


# biblatex's patent types and countries (its english.lbx strings): @patent's ``type`` and ``location``
PATENT_TYPES = {"patent": "patent", "patentau": "Austrian patent", "patentch": "Swiss patent", "patentde": "German patent",
                "patenteu": "European patent", "patentfr": "French patent", "patentuk": "British patent",
                "patentus": "U.S. patent", "patreq": "patent request", "patreqau": "Austrian patent request",
                "patreqch": "Swiss patent request", "patreqde": "German patent request",
                "patreqeu": "European patent request", "patreqfr": "French patent request",
                "patrequk": "British patent request", "patrequs": "U.S. patent request"}
COUNTRIES = {"countryde": "Germany", "countryeu": "European Union", "countryep": "EP", "countryfr": "France",
             "countryuk": "United Kingdom", "countryus": "United States of America"}


def _bib_list(value: str) -> list[str]:
    """A biblatex list field ("{Robert Bosch GmbH} and {Daimler Chrysler AG}") as its items."""
    return [item for item in (_tex(part).strip() for part in split_multiple_persons_names(value)) if item]


def _bib_patent(f: dict, text: dict, data: dict) -> None:
    """biblatex's @patent as Zotero (Better BibTeX) reads it: ``holder`` the assignee(s) (CSL
    publisher, as RIS PB), ``type`` the kind of patent (``patentus`` → "U.S. patent", CSL genre, RIS
    M3), ``location`` the countries it covers (CSL jurisdiction, RIS C3 — not a place of
    publication), ``pubstate`` its legal status (RIS C6); ``number`` is read with the report-like types."""
    if isinstance(f.get("holder"), str):
        data["publisher"] = "; ".join(_bib_list(f["holder"])) or data.get("publisher", "")
    if kind := text.get("type", "").strip():
        data["genre"] = PATENT_TYPES.get(kind.lower(), kind)
    if isinstance(f.get("location"), str):
        data["jurisdiction"] = "; ".join(COUNTRIES.get(c.lower(), c) for c in _bib_list(f["location"]))
        data["publisher-place"] = text.get("address", "")
    if text.get("pubstate"):
        data["status"] = text["pubstate"]


REPORT_LIKE = ("report", "patent", "standard", "dataset", "software", "legislation", "bill", "legal_case", "regulation",
               "document", "treaty", "hearing")


def _bib_type(etype: str, text: dict) -> str:
    subtype = text.get("entrysubtype", "").strip().lower()
    if etype == "misc" and subtype in cslmod.TYPES:
        return subtype  # our own export of a CSL type biblatex has no entry type for
    if etype == "article" and subtype in ("magazine", "newspaper"):
        return f"article-{subtype}"
    ctype = BIB_TO_CSL.get(etype, "document")
    eprint_type = (text.get("eprinttype") or text.get("archiveprefix") or "").lower()
    if eprint_type == "arxiv" and etype in ("online", "misc", "unpublished", "article") and not text.get("journaltitle") \
            and not text.get("journal"):
        return "article"  # a preprint
    if _bib_preprint_server(etype, text):
        return "article"  # a preprint (LST-2): its server, or its DOI's registrant, says so
    if ctype == "document" and text.get("url") and not text.get("publisher"):
        return "webpage"
    return ctype


#: the entry types a preprint is written as: Zotero's BibTeX export (@misc, the repository as
#: ``publisher``), arXiv's own (@misc with ``archivePrefix``), biblatex (@online, ``eprinttype``)
_PREPRINT_ENTRIES = ("misc", "online", "electronic", "www", "unpublished", "preprint")
#: eprint types that name no preprint server (biblatex's manual: links, not repositories)
_EPRINT_LINKS = ("doi", "pubmed", "pmc", "jstor", "hdl", "googlebooks", "url")


#: a preprint server's address, its name, and its identifier in the address (Zotero's BibTeX export
#: writes no repository for an IACR or SSRN preprint, only its URL: zotero-BibTeX-export-preprints.bib)
PREPRINT_URLS = ((re.compile(r"(?i)^https?://eprint\.iacr\.org/(\d{4}/\d+)"), "Cryptology ePrint Archive"),
                 (re.compile(r"(?i)^https?://(?:papers\.)?ssrn\.com/(?:abstract(?:_id)?=|sol3/papers\.cfm\?abstract_id=)(\d+)"), "SSRN"),
                 (re.compile(r"(?i)^https?://(?:www\.)?biorxiv\.org/()"), "bioRxiv"),
                 (re.compile(r"(?i)^https?://(?:www\.)?medrxiv\.org/()"), "medRxiv"),
                 (re.compile(r"(?i)^https?://(?:export\.)?arxiv\.org/(?:abs|pdf)/()"), "arXiv"))


def _preprint_url(url: str) -> tuple[str, str]:
    """The preprint server a URL is on and the preprint's identifier there, or ("", "")."""
    for pattern, name in PREPRINT_URLS:
        if m := pattern.match(url.strip()):
            return name, m.group(1)
    return "", ""


def _bib_preprint_server(etype: str, text: dict) -> str:
    """The preprint server a BibTeX entry names, or "preprint" when only its DOI's registrant says
    so, or "": a @misc/@online whose ``publisher``, ``howpublished``, ``organization`` or eprint
    type is arXiv, bioRxiv, SSRN... (Zotero's BibTeX export of its preprint item, arXiv's,
    biblatex's), an @article whose journal is one (NASA ADS's ``journal = {arXiv e-prints}``,
    bioRxiv's own export ``journal = {bioRxiv}``)."""
    if etype == "article":
        journal = (text.get("journaltitle") or text.get("journal") or "").strip()
        return journal if journal and PREPRINT_SERVERS.match(journal) and not text.get("volume") else ""
    if etype not in _PREPRINT_ENTRIES:
        return ""
    eprint_type = (text.get("eprinttype") or text.get("archiveprefix") or "").strip()
    for value in (text.get("howpublished"), text.get("publisher"), text.get("organization"),
                  eprint_type if eprint_type.lower() not in _EPRINT_LINKS else ""):
        if value and PREPRINT_SERVERS.match(value.strip()):
            return value.strip()
    if eprint_type and eprint_type.lower() not in _EPRINT_LINKS and text.get("eprint"):
        return eprint_type  # biblatex: "the name of the archive, repository, service" (§2.2.2)
    if server := _preprint_url(_first_url(text.get("url") or ""))[0]:
        return server
    return "preprint" if PREPRINT_DOI.match(str(text.get("doi") or "").strip()) else ""


_QUALIFIER = re.compile(r"\([^()]{0,40}\)")  # "(Electronic)", "(Linking)", "(pbk.)", "(hardcover)"
_LABEL = re.compile(r"(?i)^(e-?)?(isbn|issn)(-1[03])?:?$")


# EndNote writes a Web of Science record's accession number as a "URL": "<Go to ISI>://000200148800007"
NOT_A_URL = re.compile(r"(?i)^\s*<go to isi>")


def _first_url(value: str) -> str:
    """The first web address of a ``url`` field that holds several ("http://citeseer...; http://www...");
    "" for EndNote's "<Go to ISI>://..." (the field is then named as dropped)."""
    if NOT_A_URL.match(value):
        return ""
    parts = [p for p in re.split(r"[\s;]+", value) if p]
    return next((p for p in parts if re.match(r"(?i)(https?:)?//|www\.", p)), value.strip()) if len(parts) > 1 else value.strip()


# A dash between page numbers with the blanks around it.  (?<!\s): a match starts only where the
# blanks start — a bare \s* was tried again from every blank of a long run of them, quadratic
# time on a "pages" of blanks (ReDoS, session 17; tests/security/test_redos.py).
_PAGE_DASH = re.compile(r"(?<!\s)\s*(?:--|–|-)\s*")
_PAGE_DASHES = re.compile(r"(?<!\s)\s*[-–]+\s*")


def _bib_numbers(text: dict) -> tuple[list[str], list[str], str]:
    """ISBNs, ISSNs and a DOI from BibTeX ``isbn`` and ``issn``, each where it belongs: Mendeley
    writes a journal's ISSNs in ``isbn`` ("1530-6992 (Electronic)\\r1530-6984 (Linking)") and now
    and then its DOI. What is none of them stays in its field, so that the import refuses the entry
    naming it (LST-2) rather than lose it in silence."""
    isbns: list[str] = []
    issns: list[str] = []
    doi = ""
    for key, own in (("isbn", isbns), ("issn", issns)):
        value = _QUALIFIER.sub(" ", re.sub(r"\\[rnt]", " ", text.get(key, "")))
        parts = identifiers.split_identifiers(value)
        for part in parts:
            digits = len(re.sub(r"[^0-9Xx]", "", part))
            if _LABEL.match(part) and len(parts) > 1:  # "ISBN 978-..." (a lone "ISBN" is refused, naming it)
                continue
            if digits in (10, 13) and identifiers.normalize_isbn(part):
                isbns.append(part)
            elif digits == 8 and identifiers.normalize_issn(part):
                issns.append(part)
            elif (found := identifiers.normalize_doi(part)) and not doi:
                doi = found
            else:
                own.append(part)
    return list(dict.fromkeys(isbns)), list(dict.fromkeys(issns)), doi


def _edtf_season(side: str) -> list[int]:
    """``"2017-21"`` → ``[2017, 21]``; EDTF counts years astronomically (``0000`` is 1 BC, ``-0011`` 12 BC:
    biblatex's negative years), CSL-JSON in eras (``-12`` is 12 BC)."""
    year, season = re.fullmatch(r"\s*(-?\d{1,4})-(2[1-4])\s*", side).groups()  # type: ignore[union-attr]
    return [int(year) if int(year) > 0 else int(year) - 1, int(season)]


_EDTF_SIDE = re.compile(r"(?P<y>-?\d{4})(?:-(?P<m>\d{2}))?(?:-(?P<d>\d{2}))?(?P<q>[~?%]?)")


def edtf_date(text: str) -> dict | None:
    """biblatex's ``date`` (ISO 8601-2 / EDTF level 1, biblatex manual §2.3.8) → a CSL date: ``"2014-12-31/2015-01-01"``
    a range, ``"-0099-07-12"`` 100 BC (years counted astronomically: ``0000`` is 1 BC, CSL's ``-1``), ``"2011-05~"``
    circa, ``"1987/"`` or ``"1987/.."`` open (its start).  Only a date written wholly so (else ``None``): a range's
    end, a BC day and circa were lost (session 24: Better BibTeX's own exports of date-export-360-811)."""
    sides = [side.strip() for side in str(text or "").strip().split("/")]
    if not 1 <= len(sides) <= 2 or not sides[0]:
        return None
    parts: list[list[int]] = []
    circa = False
    for side in sides:
        if side in ("", "..") and parts:
            continue  # an open end
        if not (m := _EDTF_SIDE.fullmatch(side)):
            return None
        year = int(m.group("y"))
        one = [year if year > 0 else year - 1]
        month = int(m.group("m")) if m.group("m") else 0
        if month:
            if not (1 <= month <= 12 or 21 <= month <= 24):
                return None
            one.append(month)
            if m.group("d"):
                if month > 12 or not 1 <= int(m.group("d")) <= 31:
                    return None
                one.append(int(m.group("d")))
        parts.append(one)
        circa = circa or m.group("q") in ("~", "%")
    if len(parts) == 2 and parts[0] == parts[1]:
        parts = parts[:1]
    date: dict = {"date-parts": parts}
    if circa:
        date["circa"] = True
    return date


def _edtf_year(year: int) -> str:
    """CSL's year (``-12`` is 12 BC) → EDTF's, counted astronomically (``-0011``; 1 BC is ``0000``)."""
    year = int(year)
    return f"{year:04d}" if year > 0 else f"-{abs(year + 1):04d}" if year < -1 else "0000"


def to_edtf(date: dict) -> str:
    """A CSL date → biblatex's EDTF ``date`` (the inverse of :func:`edtf_date`); "" for a literal date."""
    parts = [p for p in (date or {}).get("date-parts") or [] if p]
    if not parts:
        return ""
    season = date.get("season")
    sides = []
    for one in parts[:2]:
        text = _edtf_year(one[0])
        rest = [int(p) for p in one[1:3]]
        if not rest and season and len(parts) == 1 and str(season).isdigit() and 1 <= int(season) <= 4:
            rest = [20 + int(season)]
        text += "".join(f"-{p:02d}" for p in rest)
        sides.append(text + ("~" if date.get("circa") else ""))
    return "/".join(sides)


def bib_entry_to_csl(entry: bib.Entry) -> dict:
    f = {k.lower(): v.value for k, v in entry.fields_dict.items()}
    etype = entry.entry_type.lower()
    text = {k: _tex(v) for k, v in f.items() if isinstance(v, str)}
    ctype = _bib_type(etype, text)
    data: dict = {"type": ctype, "title": _title(text)}
    for role, csl_role in (("author", "author"), ("editor", "editor"), ("translator", "translator"),
                           ("bookauthor", "container-author")):
        if isinstance(f.get(role), list):
            # "and others" is BibTeX's et al. (its manual, §4), no person named "others"
            data[csl_role] = [_bib_name(p) for p in f[role]
                              if " ".join(p.first + p.von + p.last + p.jr).strip().lower() != "others"]
    # fjournal: the full title next to an abbreviated journal (MathSciNet, zbMATH)
    container = text.get("fjournal") or _title(text, "journal") or text.get("journal") or _title(text, "book") \
        or _title(text, "main")
    if container and not (ctype in ("book", "periodical") and fold_title(container) == fold_title(data["title"])):
        data["container-title"] = container  # (a @proceedings' booktitle that repeats its title is no container)
    short = text.get("shortjournal") or (text.get("journal") if text.get("fjournal") else "")
    if short and short != container:
        data["container-title-short"] = short
    if text.get("shorttitle"):
        data["title-short"] = text["shorttitle"]
    year = text.get("year") or ""
    date = text.get("date") or ""
    issued = cslmod.date_parts(date) or cslmod.date_parts(year)
    if re.fullmatch(r"\s*-?\d{1,4}-2[1-4](\s*/\s*-?\d{1,4}-2[1-4])?\s*", date):  # biblatex's EDTF seasons
        issued = validate.read_date({"date-parts": [_edtf_season(side) for side in date.split("/")]}) or issued
    elif edtf := edtf_date(str(f.get("date") or "")):  # a range, a BC day, circa: biblatex's EDTF date whole
        # (read before TeX: its "~", circa, is TeX's unbreakable space)
        issued = validate.read_date(edtf) or issued
    if issued and text.get("month") and len(issued["date-parts"][0]) == 1:
        month = text["month"].strip().lower()[:3]
        number = MONTHS.get(month) or (int(month) if month.isdigit() and 1 <= int(month) <= 12 else None)
        if number:
            issued["date-parts"][0].append(number)
            day = str(text.get("day") or "").strip()  # IETF's datatracker, Zotero: "day = 18"
            if day.isdigit() and 1 <= int(day) <= 31:
                issued["date-parts"][0].append(int(day))
    data["issued"] = issued
    isbns, issns, doi_in_numbers = _bib_numbers(text)
    if text.get("urldate"):
        data["accessed"] = cslmod.date_parts(text["urldate"])
    # (a tie, TeX's unbreakable space, around the dash: "3~--~11" in a Better BibLaTeX export came out as
    # "3~-~11", and BibTeX export again as "3\textasciitilde{}-\textasciitilde{}11")
    data.update(volume=text.get("volume", ""), page=_PAGE_DASH.sub("-", str(f.get("pages", "")).replace("~", " ")).strip(),
                edition=text.get("edition", ""), ISBN=" ".join(isbns), ISSN=" ".join(issns), DOI=text.get("doi", "") or doi_in_numbers,
                URL=_first_url(str(f.get("url", ""))), abstract=text.get("abstract", ""),
                language=text.get("language") or text.get("langid") or "", note=text.get("note", ""))
    pages = data["page"]
    if text.get("pagetotal"):
        data["number-of-pages"] = text["pagetotal"]
    elif ctype in ("book", "thesis") and pages and not re.search(r"\d\s*-\s*\d", pages):
        data["number-of-pages"], data["page"] = pages, ""  # "XX, 327 Seiten": a book's extent, not a page range
    bib_number = text.get("number") or ""
    if ctype in REPORT_LIKE or ctype == "article":  # (a preprint's number: its identifier in the repository)
        data["number"] = bib_number
        data["issue"] = text.get("issue", "")
    elif ctype in SERIAL_TYPES or ctype == "paper-conference" and not text.get("series"):
        data["issue"] = bib_number or text.get("issue", "")
    else:
        data["collection-number"] = bib_number
        data["issue"] = text.get("issue", "")
    data["publisher"] = text.get("publisher") or text.get("school") or text.get("institution") or text.get("organization") or ""
    data["publisher-place"] = text.get("address") or text.get("location") or ""
    data["collection-title"] = text.get("series", "")
    if etype == "phdthesis":
        data["genre"] = "PhD thesis"
    elif etype == "mastersthesis":
        data["genre"] = "Master's thesis"
    elif text.get("type") and ctype in ("thesis", "report"):
        data["genre"] = {"phdthesis": "PhD thesis", "mathesis": "Master's thesis", "techreport": "Technical report"}.get(
            text["type"].lower(), text["type"])
    if ctype == "patent":
        _bib_patent(f, text, data)
    eprint = text.get("eprint", "").strip()
    eprint_type = (text.get("eprinttype") or text.get("archiveprefix") or "").strip().lower()
    if eprint:
        if eprint_type == "doi" and not data.get("DOI"):
            data["DOI"] = eprint
        elif eprint_type == "pubmed":
            data["PMID"] = eprint
        elif eprint_type in EPRINT_URLS:
            data["URL"] = data["URL"] or EPRINT_URLS[eprint_type].format(eprint)
            if eprint_type == "arxiv":
                data["archive"] = "arXiv"
                data["number"] = data.get("number") or f"arXiv:{eprint}"
    if ctype == "article":
        _bib_preprint(etype, text, data)
    _bib_chapter(etype, text.get("chapter", "").strip(), data)
    if text.get("keywords"):
        data["keyword"] = "; ".join(k.strip() for k in re.split(r"[;,]", text["keywords"]) if k.strip())
    # session 20: what a librarian misses when it is dropped — a multi-volume work's number of
    # volumes, PubMed's identifiers (the link resolver's), a program's version (biblatex; Zotero)
    for field_name, key in BIB_KEPT:
        if text.get(field_name, "").strip() and not data.get(key):
            data[key] = text[field_name].strip()
    # biblatex's event (a conference paper's conference: its name, place and dates), read back from our export
    # (session 24: a conference's name was lost through BibTeX)
    if text.get("eventtitle", "").strip():
        data["event-title"] = text["eventtitle"].strip()
    if text.get("venue", "").strip():
        data["event-place"] = text["venue"].strip()
    if event_date := edtf_date(str(f.get("eventdate") or "")) or cslmod.date_parts(text.get("eventdate")):
        data["event-date"] = validate.read_date(event_date) or event_date
    return cslmod.clean(data, keep_invalid=True)


def _bib_preprint(etype: str, text: dict, data: dict) -> None:
    """A preprint's repository and its identifier there (CSL ``archive`` and ``number``, as a
    preprint read from RIS has them: LST-2), from what the BibTeX says: the server it names
    (:func:`_bib_preprint_server`), a non-arXiv ``eprint`` (not a URL: bioRxiv's is its PDF), an
    arXiv DOI or URL; a journal that is a server is the repository, not a journal."""
    server = _bib_preprint_server(etype, text)
    if server and server != "preprint" and not data.get("archive"):
        data["archive"] = "arXiv" if server.lower() == "arxiv" else server
    if etype == "article" and server and fold_title(data.get("container-title") or "") == fold_title(server):
        data.pop("container-title", None)
    eprint = text.get("eprint", "").strip()
    if not data.get("number") and eprint and not re.match(r"(?i)^[a-z]+://", eprint) \
            and fold_title(data.get("archive") or "") == fold_title(text.get("eprinttype") or text.get("archiveprefix") or ""):
        data["number"] = eprint
    _preprint_number(data)


def _preprint_number(data: dict) -> None:
    """A preprint's identifier in its repository when only its address says it: "2005/033" (IACR),
    "1450387" (SSRN), "arXiv:1706.03762" (its DOI or URL), as Zotero's archiveID (RIS and BibTeX alike)."""
    server, number = _preprint_url(data.get("URL") or "")
    if server and not data.get("archive"):
        data["archive"] = server
    if data.get("number"):
        return
    if number:
        data["number"] = number
    elif arxiv := ARXIV_ID.search(" ".join([data.get("DOI") or "", data.get("URL") or ""])):
        data["number"] = f"arXiv:{arxiv.group(1)}"
        data["archive"] = data.get("archive") or "arXiv"


#: biblatex fields kept as they are, in CSL variables (read, and written back by :func:`csl_to_bib_entry`)
BIB_KEPT = (("volumes", "number-of-volumes"), ("pmid", "PMID"), ("pmcid", "PMCID"), ("version", "version"))


#: a chapter's number as books print it: "12", "IV", "3a", "A.2", "Chapter 5"
_CHAPTER_NUMBER = re.compile(r"(?i)^(?:(?:chapter|chap\.|ch\.|kapitel|chapitre)\s*)?([0-9]+[a-z]?(?:[.-][0-9a-z]+)*|[ivxlcdm]{1,8}|[a-z])$")


def _bib_chapter(etype: str, chapter: str, data: dict) -> None:
    """BibTeX's and biblatex's ``chapter`` (LST-2, session 23; dropped before): a chapter's number
    ("12", "IV") is CSL's ``chapter-number``; a name is a newspaper's section on an article
    (``chapter = {Sunday Book Review}``, as Zotero reads it) — else, on a BibTeX ``@inbook`` whose
    ``title`` is the book's (no ``booktitle``), the chapter's own title, the book its container."""
    if not chapter:
        return
    if m := _CHAPTER_NUMBER.match(chapter):
        data["chapter-number"] = m.group(1)
    elif data.get("type") in SERIAL_TYPES:
        data["section"] = chapter
    elif etype == "inbook" and not data.get("container-title") and data.get("title"):
        data["container-title"], data["title"] = data["title"], chapter
    else:
        data["chapter-number"] = chapter


NOT_WORKS = ("set", "xdata")
_LOST = re.compile(r"(?m)^[ \t]*(@[A-Za-z]+)[ \t]*(?:,|$)")


class _LostEntry(bib.Block):
    """An ``@type`` that bibtexparser took for text between entries ("@Article," with no brace
    and no key, as JabRef's test file has it): reported, never dropped without a word."""

    def __init__(self, start_line: int, text: str):
        super().__init__(start_line=start_line)
        self.text = text


def _lost_entries(library) -> list[_LostEntry]:
    lost = []
    for block in library.blocks:
        if isinstance(block, bib.ImplicitComment):
            for m in _LOST.finditer(block.comment):
                if m.group(1).lower() not in ("@comment", "@preamble", "@string"):
                    lost.append(_LostEntry((block.start_line or 0) + block.comment.count("\n", 0, m.start()),
                                           m.group(0).strip()))
    return lost  # biblatex's grouping entries: structure, like @string, not works to import


def _bib_stack() -> list:
    return [NormalizeFieldKeys(), ResolveStrings(), RemoveEnclosingMiddleware(), ResolveCrossref(), SeparateCoAuthors(),
            SplitNames()]


_SET_ASIDE = (bib.DuplicateBlockKeyBlock, bib.DuplicateFieldKeyBlock)


def _set_aside(library, labels: dict[str, tuple[str, tuple[str, ...]]],
               lines: dict[int, int]) -> list[bib.Entry | bib.ParsingFailedBlock]:
    """The entries bibtexparser sets aside, read after all: a key used before (Mendeley and
    JabRef files have them; BibTeX itself only warns) or none ("@article{," as EndNote writes
    it), and a field given twice (the first value is kept, as BibTeX does). Each gets a key of its
    own; ``labels`` maps it to the key the file gives and the fields given twice, for the report,
    ``lines`` (by ``id``) the block read again to its line in the file."""
    strings = "\n".join(b.raw for b in library.strings if b.raw)
    out: list[bib.Entry | bib.ParsingFailedBlock] = []
    fixed = []
    again_texts: list[tuple[int, str]] = []  # (the entry's line in the file, its text under its own key)
    for block in library.blocks:
        entry = getattr(block, "ignore_error_block", None) if isinstance(block, _SET_ASIDE) else None
        if not isinstance(entry, bib.Entry):
            continue
        key = f"{entry.key}__line{(entry.start_line or 0) + 1}"  # (no space: it goes back into the entry's text)
        twice: tuple[str, ...] = ()
        if isinstance(block, bib.DuplicateFieldKeyBlock):  # as the splitter left it: plain text values
            fields: dict[str, bib.Field] = {}
            for fld in entry.fields:
                fields.setdefault(fld.key.lower(), fld)
            twice = tuple(sorted(f"{k} (given twice: the first kept)" for k in fields
                                 if sum(1 for f in entry.fields if f.key.lower() == k) > 1))
            fixed.append(bib.Entry(entry.entry_type, key, list(fields.values()), start_line=entry.start_line))
        else:  # a key used before: middlewares have been at it already, so it is read again from its text
            head = re.match(r"\s*@\s*\w+\s*[{(]\s*[^,\s]*", entry.raw or "")
            text = (re.sub(r"[^,\s{(]*$", "", head.group(0)) + key + (entry.raw or "")[head.end():]) if head else ""
            again_texts.append((entry.start_line or 0, text))
        labels[key] = (entry.key, twice)
    if again_texts:
        # all read again in one parse after the file's @strings (one parse each, with every
        # @string again, was quadratic in a file of many strings and reused keys); each block is
        # traced back to its entry by the line it starts on. Their keys are all new ones, so no
        # crossref reaches from one to another, as before.
        chunks, starts, at = [strings], [], strings.count("\n") + 1
        for _line, text in again_texts:
            starts.append(at)
            chunks.append(text)
            at += text.count("\n") + 1
        parsed = bibtexparser.parse_string("\n".join(chunks), parse_stack=_bib_stack())
        for b in parsed.blocks:
            if isinstance(b, (bib.Entry, bib.ParsingFailedBlock)):
                lines[id(b)] = again_texts[max(bisect.bisect_right(starts, b.start_line or 0) - 1, 0)][0]
                out.append(b)
    if fixed:  # through the same middlewares, with the file's @strings
        again = bibtexparser.Library([*library.strings, *fixed])
        for middleware in _bib_stack():
            again = middleware.transform(again)
        out += [b for b in again.blocks if isinstance(b, (bib.Entry, bib.ParsingFailedBlock))]
    return out


def _bib_notes(entry: bib.Entry) -> tuple[str, ...]:
    """An entry's notes (:data:`BIB_NOTE_FIELDS`, in that order) as plain text, each once."""
    values = {k.lower(): v.value for k, v in entry.fields_dict.items()}
    out: list[str] = []
    for name in BIB_NOTE_FIELDS:
        if isinstance(values.get(name), str) and (text := note_text(_tex(values[name]))) and text not in out:
            out.append(text)
    return tuple(out)


def parse_bibtex(text: str) -> list[ParsedEntry]:
    """Every entry of a BibTeX/biblatex file, with ``@string``s, ``#`` concatenation, month
    macros and ``crossref`` resolved and field names in any case (``AUTHOR =``)."""
    # an empty field slot ("title = {...},  , number = ...", as a clipboard copy had it): skipped, as biber does
    text = re.sub(r'([}"])(\s*,)(?:\s*,)+', r"\1\2", text.lstrip("\ufeff"))
    library = bibtexparser.parse_string(text, parse_stack=_bib_stack())
    labels: dict[str, tuple[str, tuple[str, ...]]] = {}
    read_again: dict[int, int] = {}
    kept = _set_aside(library, labels, read_again)
    blocks: list[bib.Entry | bib.ParsingFailedBlock | _LostEntry] = [
        b for b in library.blocks + kept if isinstance(b, (bib.Entry, bib.ParsingFailedBlock))
        and not (isinstance(b, _SET_ASIDE) and isinstance(b.ignore_error_block, bib.Entry))
        and not (isinstance(b, bib.Entry) and b.entry_type.lower() in NOT_WORKS)]
    blocks += _lost_entries(library)
    out = []
    for position, block in enumerate(sorted(blocks, key=lambda b: read_again.get(id(b), b.start_line or 0)), start=1):
        line = read_again.get(id(block), block.start_line or 0) + 1
        if isinstance(block, _LostEntry):
            out.append(ParsedEntry(position, None, f"unreadable BibTeX entry at line {line}: {block.text!r} is not followed "
                                                   "by '{' or '(' and a key (write @type{key, field = {value}, ...})", line=line))
            continue
        if isinstance(block, bib.ParsingFailedBlock):
            lines = str(block.error or "").splitlines()
            detail = lines[0] if lines else "syntax error (unbalanced braces or a missing comma?)"
            out.append(ParsedEntry(position, None, f"unreadable BibTeX entry at line {line}: {detail}", line=line))
            continue
        try:
            data = bib_entry_to_csl(block)
        except Exception as exc:
            out.append(ParsedEntry(position, None, f"cannot read entry {block.key} at line {line}: {exc}", block.key, line=line))
            continue
        if not data.get("title"):
            out.append(ParsedEntry(position, None, f"entry {block.key} at line {line} has no title", block.key, line=line))
        else:
            fields = {k.lower() for k, v in block.fields_dict.items() if v.value not in (None, "", [])}
            key, twice = labels.get(block.key, (block.key, ()))
            lost = {"url"} if "url" in fields and not data.get("URL") else set()  # "<Go to ISI>://..."
            out.append(ParsedEntry(position, data, "", key, line=line,
                                   dropped=tuple(sorted(fields - BIB_READ | lost)) + twice, notes=_bib_notes(block)))
    return out


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()


def _bib_key(data: dict, used: set[str]) -> str:
    people = cslmod.names(data, "author") or cslmod.names(data, "editor")
    who = people[0].get("family") or people[0].get("literal") or "" if people else ""
    who = re.sub(r"[^a-z]", "", _ascii(who).lower())[:20] or "anon"
    year = cslmod.year_of(data) or "nd"
    words = [w for w in re.findall(r"[a-z]+", _ascii(data.get("title", "")).lower()) if w not in ("a", "an", "the", "on", "of")]
    base = f"{who}{year}{words[0] if words else ''}"
    key, n = base, 0
    while key in used:
        n += 1
        key = base + chr(ord("a") + (n - 1) % 26) * (1 + (n - 1) // 26)
    used.add(key)
    return key


LATEX_SPECIALS = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
                  "_": r"\_", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}
VERBATIM_FIELDS = {"date", "eventdate", "url", "doi"}


# biblatex reads these as lists of names separated by "and": a publisher we hold as one text
# ("Routledge and Kegan Paul") is written with its "and" braced, so that it stays one publisher
LIST_FIELDS = {"publisher", "address", "location", "institution", "school", "organization"}


def _bib_value(key: str, text) -> str:
    """Escape what LaTeX would eat (``& % $ # _ { }``...); URLs and DOIs stay verbatim."""
    text = str(text)
    if key in VERBATIM_FIELDS:
        return text
    text = "".join(LATEX_SPECIALS.get(ch, ch) for ch in text)
    if key in LIST_FIELDS:
        text = re.sub(r"(?<=\s)and(?=\s)", "{and}", text)
    return text


def _bib_name_part(text: str) -> str:
    """A name part as BibTeX reads it back: a word "and" braced (it would split the name in two), a
    family name that starts in lower case ("den Hertog" written as one, "{den Hertog}") braced, or
    BibTeX takes its first word for a particle."""
    text = re.sub(r"(?i)(?<![^\s])and(?![^\s])", lambda m: "{" + m.group(0) + "}", _bib_value("author", text))
    # a comma inside a part ("Vernon, Professor", as Zotero's RIS export gives a given name) braced,
    # or BibTeX reads the name as "von Last, Jr, First"
    return "{" + text + "}" if "," in text else text


def _bib_names(people: list[dict]) -> str:
    out = []
    for p in people:
        if p.get("literal"):
            out.append("{" + _bib_value("author", p["literal"]) + "}")
            continue
        family = _bib_name_part(str(p.get("family") or ""))
        given = " ".join(x for x in (p.get("given"), p.get("dropping-particle")) if x)
        if family[:1].islower() or " " in family and not given and not p.get("suffix") \
                or " " in family and any(not word[:1].isupper() for word in family.split(" ")[:-1]):
            # else BibTeX reads "den" as a particle, "UN DESA" as given + family, and the family "Vázques de Parga"
            # as "Parga" with the particle "Vázques de" (every word up to the last lower-case or caseless one:
            # "أبو هلال", "Instituti Pedagogjik i Kosovës")
            family = "{" + family + "}"
        family = " ".join(x for x in (_bib_name_part(str(p.get("non-dropping-particle") or "")), family) if x)
        parts = [family]
        if p.get("suffix"):
            parts.append(_bib_name_part(p["suffix"]))
        if given:
            parts.append(_bib_name_part(given))
        out.append(", ".join(parts))
    return " and ".join(out)


def csl_to_bib_entry(data: dict, used: set[str]) -> bib.Entry:
    ctype = data.get("type") or "book"
    etype = CSL_TO_BIB.get(ctype, "misc")
    if ctype == "thesis" and "master" in str(data.get("genre", "")).lower():
        etype = "mastersthesis"
    fields: list[bib.Field] = []

    def add(key: str, value) -> None:
        if value not in (None, "", []):
            fields.append(bib.Field(key, _bib_value(key, value)))

    if ctype in ("article-magazine", "article-newspaper"):
        add("entrysubtype", ctype.split("-")[1])
    elif etype == "misc" and ctype in cslmod.TYPES:
        add("entrysubtype", ctype)
    add("title", data.get("title"))
    add("shorttitle", data.get("title-short"))
    for role, bib_role in (("author", "author"), ("editor", "editor"), ("translator", "translator"),
                           ("container-author", "bookauthor")):
        if cslmod.names(data, role):
            fields.append(bib.Field(bib_role, _bib_names(cslmod.names(data, role))))
    if ctype in MEDIA_TYPES and ctype != "song" and not data.get("author") and cslmod.names(data, "director"):
        # a film's or a programme's director, when it has no author: BibTeX has no director field
        fields.append(bib.Field("author", _bib_names(cslmod.names(data, "director"))))
    container = data.get("container-title")
    if container:
        add("journal" if etype == "article" else "booktitle", container)
    add("shortjournal", data.get("container-title-short"))
    issued = (data.get("issued") or {}).get("date-parts", [[]])[0] if isinstance(data.get("issued"), dict) else []
    if issued:
        add("year", str(issued[0]))
        whole = data["issued"]
        if seasons := cslmod.seasons_of(whole):  # biblatex's EDTF date: seasons 21–24, a range with "/"
            add("date", "/".join(f"{_edtf_year(y)}-{20 + season}" for y, season in seasons))
        if len(issued) > 1 and 1 <= int(issued[1]) <= 12:
            add("month", list(MONTHS)[int(issued[1]) - 1])
        if not seasons and (len(issued) > 2 or len(whole.get("date-parts") or []) > 1 or whole.get("circa")
                            or int(issued[0]) < 1):
            # the day, a range's end, circa, a BC year: biblatex's EDTF date (BibTeX has no field for them; year and
            # month stay for it) — a range's end and circa were lost, a BC season range came back a year earlier
            add("date", to_edtf(whole))
    elif year := cslmod.year_of(data):  # a literal date: its year
        add("year", str(year))
    add("volume", data.get("volume"))
    arxiv = str(data.get("archive") or "").lower() == "arxiv" and str(data.get("number") or "").lower().startswith("arxiv:")
    if ctype in REPORT_LIKE or ctype == "article" and not arxiv:
        add("number", data.get("number"))
        add("issue", data.get("issue"))
    elif ctype in SERIAL_TYPES or ctype == "paper-conference" and not data.get("collection-title"):
        add("number", data.get("issue"))
    else:
        add("number", data.get("collection-number"))
        add("issue", data.get("issue"))
    if arxiv:  # biblatex's eprint and eprinttype, and BibTeX's archivePrefix (arXiv's own export; natbib styles)
        add("eprint", str(data["number"])[6:])
        add("eprinttype", "arxiv")
        add("archiveprefix", "arXiv")
    elif ctype == "article" and data.get("archive") and data.get("archive") != data.get("publisher"):
        add("howpublished", data["archive"])  # a preprint's repository (@misc; read back by _bib_preprint_server)
    add("chapter", data.get("chapter-number"))  # (read back by bib_entry_to_csl: LST-9 round trip)
    add("pages", _PAGE_DASHES.sub("--", str(data.get("page") or "")))
    add("pagetotal", data.get("number-of-pages"))
    add("edition", data.get("edition"))
    # what session 20 reads from biblatex is written back (a round trip lost PubMed's identifiers, a program's
    # version, a work's number of volumes), and a conference's name, place and dates (biblatex's event)
    for field_name, key in BIB_KEPT:
        add(field_name, data.get(key))
    add("eventtitle", data.get("event-title") if data.get("event-title") != data.get("container-title") else None)
    add("venue", data.get("event-place"))
    if isinstance(data.get("event-date"), dict):
        add("eventdate", to_edtf(data["event-date"]))
    if etype in ("phdthesis", "mastersthesis"):
        add("school", data.get("publisher"))
    elif etype == "techreport":
        add("institution", data.get("publisher"))
    elif etype == "patent":  # biblatex: holder (a list), type (patentus...), location (countries), pubstate
        holders = [h.strip() for h in str(data.get("publisher") or "").split(";") if h.strip()]
        if holders:
            fields.append(bib.Field("holder", " and ".join("{" + _bib_value("holder", h) + "}" for h in holders)))
        genre = str(data.get("genre") or "")
        add("type", next((key for key, name in PATENT_TYPES.items() if name.lower() == genre.lower()), genre))
        countries = [c.strip() for c in str(data.get("jurisdiction") or "").split(";") if c.strip()]
        if countries:
            fields.append(bib.Field("location", " and ".join(
                next((key for key, name in COUNTRIES.items() if name == c), "{" + _bib_value("location", c) + "}")
                for c in countries)))
        add("pubstate", data.get("status"))
    else:
        add("publisher", data.get("publisher"))
    add("address", data.get("publisher-place"))
    add("series", data.get("collection-title"))
    add("isbn", " ".join(identifiers.split_identifiers(data.get("ISBN"))))
    add("issn", " ".join(identifiers.split_identifiers(data.get("ISSN"))))
    add("doi", data.get("DOI"))
    add("url", data.get("URL"))
    accessed = (data.get("accessed") or {}).get("date-parts", [[]])[0] if isinstance(data.get("accessed"), dict) else []
    if accessed:
        add("urldate", "-".join(f"{int(p):02d}" if i else str(p) for i, p in enumerate(accessed)))
    add("abstract", data.get("abstract"))
    add("keywords", ", ".join(k.strip() for k in str(data.get("keyword") or "").split(";") if k.strip()))
    add("language", data.get("language"))
    add("note", data.get("note"))
    return bib.Entry(etype, _bib_key(data, used), fields)


def to_bibtex(items: list[dict]) -> str:
    items = strip_control_deep(items)
    library = bibtexparser.Library()
    used: set[str] = set()
    for data in items:
        library.add(csl_to_bib_entry(data, used))
    return bibtexparser.write_string(library)


# --- CSL-JSON and detection -------------------------------------------------------------------

def to_csl_json(items: list[dict]) -> str:
    items = strip_control_deep(items)
    out = []
    for n, data in enumerate(items, start=1):
        entry = {"id": str(data.get("id") or f"item-{n}")}
        entry.update({k: v for k, v in data.items() if k != "id"})
        out.append(entry)
    return json.dumps(out, ensure_ascii=False, indent=2)


# CSL-JSON (csl-data.json) also has deprecated names for two variables, and members that are no
# bibliographic data (citation-key, categories, custom...): the first are read under their
# current name, the others named in the report as dropped — an item valid by the schema is
# never refused for them (LST-9).
CSL_LEGACY = {"journalAbbreviation": "container-title-short", "shortTitle": "title-short"}
CSL_KNOWN = validate.KNOWN - {"id"}


def _csl_name(name):
    """citeproc-js's (and Juris-M's) extension of a CSL name: ``isInstitution`` marks a family name
    that is a body ("UN DESA"): a literal name in CSL 1.0.2; its other private parts are left out."""
    if not isinstance(name, dict) or "isInstitution" not in name:
        return name
    name = {k: v for k, v in name.items() if k != "isInstitution"}
    if name.get("family") and not name.get("given") and not name.get("literal"):
        name["literal"] = name.pop("family")
    return name


#: the members a JSON object wraps its CSL-JSON items in, as real tools write them (session 19):
#: ``items`` — Zotero's web API (``format=csljson``) and citeproc-js-server (also a map id → item);
#: ``references`` — pandoc's citeproc inputs; ``input`` — the CSL test suite's fixtures as JSON
#: (citeproc-js's ``processor-tests/machines``, with ``mode``/``result``/``csl`` beside it)
CSL_WRAPPERS = ("items", "references", "input")
#: the human-readable fixtures of the CSL test suite: sections, not JSON
FIXTURE_MARK = re.compile(r">>=+\s*[A-Z][A-Z-]*\s*=+>>")


def _looks_like_item(value: dict) -> bool:
    return any(key in value for key in ("title", "type", "author", "editor", "issued", "container-title", "DOI", "ISBN"))


def csl_json_items(value) -> list:
    """The items of a parsed CSL-JSON file in the shapes real tools write: an array (CSL 1.0.2,
    citation-js, Zotero's export), one item alone, or an object wrapping them (:data:`CSL_WRAPPERS`);
    anything else is refused with what it is (LST-9), e.g. a citation cluster or the JSON schema."""
    if isinstance(value, list):
        return value
    if not isinstance(value, dict):
        raise RuleViolation("LST-9", f"the JSON file holds a {type(value).__name__}, not CSL-JSON items "
                                     "(an array of items, or one item)", field="file")
    for key in CSL_WRAPPERS:
        inner = value.get(key)
        if isinstance(inner, list) and not _looks_like_item(value):
            return inner
        if isinstance(inner, dict) and key == "items" and inner and all(isinstance(v, dict) for v in inner.values()):
            return [dict(item, id=item.get("id", item_id)) for item_id, item in inner.items()]  # citeproc-js-server's map
    if "citationItems" in value or "citationID" in value:
        raise RuleViolation("LST-9", "the JSON file is a CSL citation (citationItems), which only points at items by "
                                     "id: export the items themselves (CSL-JSON)", field="file")
    if "$schema" in value or "properties" in value and "type" in value and not isinstance(value.get("type"), str):
        raise RuleViolation("LST-9", "the JSON file is a JSON schema, not CSL-JSON items", field="file")
    if not _looks_like_item(value):
        keys = ", ".join(sorted(str(k) for k in value)[:8]) or "none"
        raise RuleViolation("LST-9", f"the JSON object is neither a CSL-JSON item nor holds items under "
                                     f"{', '.join(repr(k) for k in CSL_WRAPPERS)} (its members: {keys})", field="file")
    return [value]


def not_a_citation_file(text: str) -> str:
    """Why ``text`` is refused as no citation file at all (LST-9): the CSL test suite's fixtures say
    what they are; anything else is neither RIS nor BibTeX nor CSL-JSON."""
    if FIXTURE_MARK.search(text[:20000]):
        return ("the file is a CSL test-suite fixture (sections marked >>===== INPUT =====>>), not a citation file: "
                "save its INPUT section alone as a .json file to import its items")
    return "the file is neither RIS nor BibTeX (nor CSL-JSON)"


def parse_csl_json(text: str) -> list[ParsedEntry]:
    try:
        value = jsondata.loads(text)
    except jsondata.TooDeep as exc:   # no CSL-JSON nests so: the whole file is refused (session 20)
        raise RuleViolation("LST-9", f"the file is not CSL-JSON: {exc} (CSL-JSON needs 5)", field="file") from None
    except ValueError as exc:
        if FIXTURE_MARK.search(text[:20000]):
            raise RuleViolation("LST-9", not_a_citation_file(text), field="file") from None
        return [ParsedEntry(1, None, f"not JSON: {exc}")]
    items = csl_json_items(value)
    out = []
    for position, item in enumerate(items, start=1):
        if not isinstance(item, dict) or not item.get("title"):
            out.append(ParsedEntry(position, None, "not a CSL-JSON item with a title"))
            continue
        item = dict(item)
        for legacy, current in CSL_LEGACY.items():  # csl-data.json's deprecated names (Zotero, pandoc)
            if legacy in item:
                value = item.pop(legacy)
                item.setdefault(current, value)
        for role in validate.NAME_VARIABLES:
            if isinstance(item.get(role), list):
                item[role] = [_csl_name(n) for n in item[role]]
        dropped = tuple(sorted(k for k in item if k not in CSL_KNOWN and k != "id"))
        data = cslmod.clean({k: v for k, v in item.items() if k != "id" and k in CSL_KNOWN}, keep_invalid=True)
        notes = tuple(dict.fromkeys(text for k in CSL_NOTE_FIELDS if isinstance(item.get(k), str) and (text := note_text(item[k]))))
        out.append(ParsedEntry(position, data, "", data.get("title", "")[:60], dropped=dropped, notes=notes))
    return out


def decode(raw: bytes) -> str:
    """The text of an uploaded RIS/BibTeX/CSL-JSON file: UTF-8 (with or without BOM), UTF-16
    with its BOM (EndNote on Windows), else Windows-1252 — what EndNote, RefWorks and
    Excel write as "ANSI" — whose curly quotes and dashes (0x91-0x97) Latin-1 would turn into
    control characters that are then stripped ("Women’s history – a reader" read as "Womens
    history  a reader"); Latin-1 only for the five bytes Windows-1252 leaves undefined."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            pass
    # UTF-16 without a BOM (JabRef's "tiny-LE-noBOM" test files): every other byte of ASCII text is NUL
    head = raw[:200]
    if len(head) >= 4 and head.count(0) * 3 >= len(head):
        odd_nuls = head[1::2].count(0) > head[0::2].count(0)
        try:
            return raw.decode("utf-16-le" if odd_nuls else "utf-16-be").lstrip("\ufeff")
        except UnicodeDecodeError:
            pass
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


#: the names BibTeX files go by: ``.bib``; Better BibTeX's and biber's ``.bibtex`` and ``.biblatex`` (session 23)
BIBTEX_SUFFIXES = (".bib", ".bibtex", ".biblatex")
#: how the pages and reports name each format read (not "BIBTEX", session 24)
FORMAT_NAMES = {"ris": "RIS", "bibtex": "BibTeX", "csl-json": "CSL-JSON", "xlsx": "Excel", "csv": "CSV", "docx": "Word",
                "text": "pasted text"}
#: every name a list import reads by its suffix (the file picker's ``accept``): RIS (EndNote saves it
#: as ``.txt``), BibTeX and biblatex, CSL-JSON
IMPORT_SUFFIXES = (".ris", *BIBTEX_SUFFIXES, ".txt", ".json")


def detect(text: str, filename: str = "") -> str:
    name = filename.lower()
    # [^\S\r\n]: blanks within the line — a \s* from each line's start could run on over every
    # following line break, so a file of blank lines took quadratic time (ReDoS, session 17)
    ris = re.search(r"(?mi)^\ufeff?[^\S\r\n]*TY[^\S\r\n]{0,4}-", text)
    if name.endswith((".ris", ".txt")) and ris or name.endswith(".ris"):
        return "ris"  # (a .ris without any TY line is read as RIS, to say which line lacks its TY)
    if name.endswith(BIBTEX_SUFFIXES):
        return "bibtex"
    if name.endswith(".json"):
        return "csl-json"
    stripped = text.lstrip("\ufeff \t\r\n")
    if ris or len(re.findall(r"(?m)^[A-Z][A-Z0-9]  - ", text)) >= 3 and re.search(r"(?m)^ER  -", text):
        return "ris"
    if re.search(r"(?m)^[^\S\r\n]*@\w+\s*[{(]", text):
        return "bibtex"
    if stripped.startswith(("[", "{")):
        return "csl-json"
    return ""


WEB_TYPES = ("webpage", "post", "post-weblog")


def _links(data: dict) -> dict:
    """LST-2 (session 22): an entry's DOI and web address as a list item can hold them.

    * A shortDOI (``10/fqd6hj``, from the DOI Foundation's shortDOI service; Zotero's DOI
      shortener and Better BibTeX write them; also its form without ``10/``, ``https://doi.org/fqd6hj``,
      which doi.org resolves alike — session 23) is no DOI the catalog, Crossref or the OpenURL
      resolver can match, but doi.org resolves it: the entry keeps the full DOI when its URL is
      a doi.org link to one, else the shortDOI's doi.org link as its URL.
    * A web page with a DOI but no URL (biblatex's ``@online`` with a ``doi``) is reached by its DOI."""
    short = identifiers.short_doi_link(data.get("DOI"))
    if short:
        full = identifiers.normalize_doi(str(data.get("URL") or ""))
        data = {k: v for k, v in data.items() if k != "DOI"} | ({"DOI": full} if full else {})
        if not data.get("URL"):
            data["URL"] = short
    if data.get("type") in WEB_TYPES and not data.get("URL") and (full := identifiers.normalize_doi(str(data.get("DOI") or ""))):
        data = {**data, "URL": f"https://doi.org/{full}"}
    return data


def parse(text: str, fmt: str = "", filename: str = "") -> tuple[str, list[ParsedEntry]]:
    """(format, entries) of an RIS, BibTeX or CSL-JSON text; ``fmt`` empty = detect."""
    fmt = (fmt or detect(text, filename)).lower()
    if fmt == "ris":
        fmt, entries = fmt, parse_ris(text)
    elif fmt in ("bibtex", "bib"):
        fmt, entries = "bibtex", parse_bibtex(text)
    elif fmt in ("csl-json", "json"):
        fmt, entries = "csl-json", parse_csl_json(text)
    else:
        return "", []
    return fmt, [dataclasses.replace(e, csl=_links(e.csl)) if e.csl else e for e in entries]
