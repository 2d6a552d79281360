"""A formatted reference read back into fields (LST-9, LST-2): the line of a bibliography that a
word processor, Zotero's "Create Bibliography" or a person typed in APA, Harvard, Chicago
(author-date) or MLA style, as CSL-JSON.

No maintained offline parser exists for this in Python (session 21 looked: ``refextract`` is
tuned for physics references and leaves the title in "misc"; ``refparse`` reads Web of Science
and Scopus exports only; AnyStyle is Ruby, GROBID a server, Crossref a network service), so this
is a careful reading of what those styles print, measured on real bibliographies (BENCHMARKS.md:
the CSL test-suite's items rendered by citeproc in four styles, English and French):

* the identifiers first — DOI (also as a doi.org link), ISBN, the web address, with their labels
  ("Available at:", "Retrieved from", "(Accessed: ...)") — then taken out of the text;
* the **authors and year**: ``Authors (2010).`` (APA, Harvard), ``Authors. 2010.`` (Chicago
  author-date), else the authors up to the first full stop and the year found later (MLA);
* the **title**: the quoted one (“...”, "...", ‘...’) or the sentence after the year;
* what follows: the **container** (journal, book after "In"), **volume**, **issue** and
  **pages** (``5(3), 12–20``, ``vol. 5, no. 3, pp. 12–20``, ``5 (3): 12–20``), else the
  **publisher** (a book, after its place "London:").

:func:`parse_reference` says how sure it is: ``confident`` only when it found the authors, the year
and a title; the list import keeps the rest tagged "Needs review"."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import csl as cslmod
from . import identifiers

YEAR = r"(?:1[5-9]\d\d|20\d\d)[a-z]?"
#: a page or a page range ("892", "250–2", "e1234-e1240", "S12 - S19")
PAGE_RANGE = r"[A-Za-z]?\d+(?:\s*[–—-]\s*[A-Za-z]?\d+)?"
#: the particles a family name may start with ("van Dijk", "de la Cruz")
_PARTICLE = r"(?:van|von|de|der|den|da|del|di|le|la|du|dos)"
NO_DATE = r"n\.\s?d\.|no date|s\.\s?d\.|sans date|undated"
QUOTES = (("“", "”"), ("\"", "\""), ("‘", "’"), ("«", "»"), ("'", "'"))
DOI_LINK = re.compile(r"(?i)(?:https?://(?:dx\.)?doi\.org/|\bdoi:\s*)(10\.\d{4,9}/\S+)")
BARE_DOI = re.compile(r"\b(10\.\d{4,9}/\S+)")
URL = re.compile(r"(?i)(?:<)?\b(?:https?://|www\.)[^\s<>\"]+(?:>)?")
ISBN = re.compile(r"(?i)\bISBN(?:-1[03])?[:\s]*((?:97[89][\s-]?)?(?:\d[\s-]?){9}[\dX])\b")
LABELS = re.compile(
    r"(?i)\s*(?:available\s+(?:at|from)|retrieved\s+(?:from|on)|accessed|consulté\s+le|disponible\s+(?:à|sur)"
    r"|en\s+ligne|online)\s*:?\s*$")
ACCESSED = re.compile(r"(?i)[\[(]\s*(?:accessed|consulté|viewed|cited)[^\])]*[\])]\.?")
APA_HEAD = re.compile(rf"^(?P<a>.+?)\s*\((?P<y>{YEAR}|{NO_DATE})(?:,[^)]*)?\)[.,]?\s*(?P<rest>.*)$", re.I)
CHICAGO_HEAD = re.compile(rf"^(?P<a>.+?\S)\.\s+(?P<y>{YEAR}|(?i:{NO_DATE}))\.\s+(?P<rest>.*)$")
INITIALS = re.compile(r"^(?:[A-ZÀ-ÖØ-ÞА-ЯΑ-Ω][a-zа-я]?\.?[\s-]?){1,4}(?:\s+(?:de|da|dos|van|von|la|le|du))?$")
JOURNAL = re.compile(r"^(?P<c>[^,:]+?)(?:,\s*|\s+)(?P<tail>\d+[A-Z]?(?:\s+Suppl\.?(?:\s*\d+)?)?\s*(?:\([^)]{1,20}\))?"
                     rf"(?:\s*[,:]\s*.*|(?<=\))\s+{PAGE_RANGE})?)$")
JOURNAL_COLON = re.compile(r"^(?P<c>[^,]+?:\s+[A-Z][^,]+?)(?:,\s*|\s+)(?P<tail>\d+[A-Z]?\s*(?:\([^)]{1,20}\))?(?:\s*[,:]\s*.*)?)$")
PAGES_ALONE = re.compile(r"^(?:\([^)]{1,60}\),?\s*)?(?:pp?\.\s*)?(?P<p>\d+\s*[–—-]\s*\d+)$")
VOLUME_ISSUE = re.compile(r"^(?P<v>\d+[A-Z]?)\s*\((?P<i>[^)]{1,20})\)")
PAGES = re.compile(rf"(?i)(?:\bpp?\.\s*|:\s*)?(?P<p>{PAGE_RANGE})")
MLA_VOL = re.compile(r"(?i)\bvol\.\s*(\w+)")
MLA_NO = re.compile(r"(?i)\b(?:nos?|issue)\.\s*(\w+(?:[–-]\w+)?)")
MLA_PAGES = re.compile(rf"(?i)\bpp?\.\s*({PAGE_RANGE})")
#: a numbered reference's number (IEEE "[12]", Vancouver "12.", "(12)", Nature "30 Basso, D. M."): no part of the reference
NUMBERED = re.compile(r"^(?:\[\d{1,4}\]|\(\d{1,3}\)|\d{1,3}\.(?=\s+\D)|\d{1,3}(?=\s+[A-ZÀ-Þ][\w'’-]+,\s+[A-ZÀ-Þ]\.))\s*")
#: the author list of a numbered style (IEEE, Vancouver, ACS, Nature), where no year follows it:
#: "S. Y. Patel, L. Ding, and S. M. Holland." / "Lin TC, Yen JM, et al." / "Zhou, W.; Vavro, J.; Smalley, R. E.,"
#: / "Soriano, P., " / "Daugherty CK, Hlubocky FJ:" — each name in one of three shapes, all the names in one
#: (a family name: a capital, at most 40 letters with a small one among them, taken whole — no backtracking
#: into it: a 4,000-letter "word" took seconds, session 23's ReDoS check)
_FAMILY = rf"(?:{_PARTICLE}\s+){{0,3}}[A-ZÀ-Þ](?=[\w'’-]{{0,40}}[a-zà-ÿ])[\w'’-]{{0,40}}+\b"
_NAME_SHAPES = (rf"(?:[A-ZÀ-Þ]\.\s?-?){{1,3}}\s*{_FAMILY}",                          # S. Y. Patel
                rf"{_FAMILY}(?:\s+{_FAMILY})?\s+[A-Z]{{1,3}}",                            # Lin TC
                rf"{_FAMILY},\s+(?:[A-ZÀ-Þ]\.\s?-?){{1,3}}")                               # Soriano, P.
NUMBERED_HEAD = re.compile(
    "^(?P<a>" + "|".join(rf"(?:{n})(?:(?:,\s+(?:and\s+|&\s+)?|;\s+|\s+(?:and|&)\s+)(?:{n})){{0,40}}" for n in _NAME_SHAPES)
    + r")(?P<etal>,?\s+et\s+al\.?)?(?:(?<=\.)\s+|\s*[.,:]\s+)(?P<rest>[\w“\"‘«(\[¿¡].*)$")
#: the authors of a numbered reference written given names first and whole, as BibTeX's plain and abbrv styles print
#: them ("[64] Eric J. Rossetter, Joshua P. Switkes, and J. Christian Gerdes. Title."): read only after a number, one
#: name or the last after "and" (so "F. R. K. Chung, Spectral Graph Theory." is one author and a title)
_GIVEN = r"(?:[A-ZÀ-Þ][a-zà-ÿ'’]+(?:-[A-ZÀ-Þ]?[a-zà-ÿ'’]+)?|[A-ZÀ-Þ]\.(?:\s?-?[A-ZÀ-Þ]\.){0,2})"
_FULL_NAME = rf"{_GIVEN}(?:\s+{_GIVEN}){{0,2}}\s+{_FAMILY}"
NUMBERED_FULL_HEAD = re.compile(
    rf"^(?P<a>{_FULL_NAME}(?:(?:,\s+{_FULL_NAME}){{0,40}},?\s+and\s+{_FULL_NAME})?)(?P<etal>,?\s+et\s+al\.?)?"
    r"\.\s+(?P<rest>[\w“\"‘«(\[¿¡].*)$")
#: a journal's abbreviated word before the year (Vancouver's "Ann Rheum Dis. 1982;41"), never a month to drop with it
MONTHLESS = r"(?:Dis|Med|Res|Sci|Biol|Chem|Phys|Rev|Soc|Lett|Acta|Genet|Behav|Syndr|Health|Mag|Proc)\.?\s"
#: a month or a season before or after a year ("Jan. 1977", "2010 Mar 18", "mai 2001", "Spring 1999") — only these
#: go with the year: the word before it may be the journal's ("J Neurosurg 2001; 95", "Anesth Analg. 2009;108")
MONTH = (r"(?i:jan(?:uary|v|vier)?|feb(?:ruary)?|f[ée]vr?(?:ier)?|mar(?:ch|s)?|apr(?:il)?|avr(?:il)?|may|mai|june?|juin|"
         r"july?|juil(?:let)?|aug(?:ust)?|ao[ûu]t|sept?(?:ember|embre)?|oct(?:ober|obre)?|nov(?:ember|embre)?|"
         r"dec(?:ember)?|d[ée]c(?:embre)?|spring|summer|autumn|fall|winter|printemps|[ée]t[ée]|automne|hiver)(?![a-zà-ÿ])")
#: Nature's, physics' and some numbered styles' year in brackets at the very end ("Neuron 88, 892-901 (2015).")
YEAR_LAST = re.compile(rf"\s*[,;]?\s*\((?P<y>{YEAR})\)\s*\.?$")
#: a word of a journal's name: abbreviated ("Chem.", at most 7 letters) or whole and capitalised
_JOURNAL_WORD = r"(?:[A-ZÀ-Þ][\w'’-]{0,6}\.|[A-ZÀ-Þ][\w'’-]{0,14})"
#: a numbered reference that has no title (ACS, physics, RSC): "J. Am. Chem. Soc. 2007, 129, 3226–3237",
#: "Appl. Phys. Lett. 77, pp. 250–2", "Spectroscopy Europe, 2014, 26, 14-19" — a journal's name (capitalised words,
#: abbreviated — at most 7 letters before the full stop: "Computation." ends a title — or not), its year, volume,
#: issue and first page, and nothing else
TITLELESS = re.compile(
    rf"^(?P<c>(?:(?:{_JOURNAL_WORD}|of|the|and|for|in|&)\s+){{0,9}}{_JOURNAL_WORD})"
    rf"\s*,?\s+(?:(?P<y>{YEAR})\s*,\s*)?(?:vol\.\s*)?(?P<v>\d{{1,5}}[A-Z]?)\s*(?:\((?P<i>[^)]{{1,12}})\))?\s*[,:]\s*"
    rf"(?:(?:pp?\.|no\.\s*\w+,\s*pp?\.)\s*)?(?P<p>{PAGE_RANGE})\s*(?:[,(]\s*(?P<y2>{YEAR})\)?)?\s*\.?$")
#: a conference's proceedings (IEEE's "in Proc. ...") and where its title ends
CONFERENCE = re.compile(r"(?i)\b(?:proc\.|proceedings|conference|conf\.|symposium|symp\.|workshop|congress)")
CONFERENCE_END = re.compile(rf"(?i),\s*(?:vol|pp?|no)\.|,\s*(?:[A-Z][a-z]{{2,8}}\.?\s+)?(?:\d{{1,2}}[–-]?\d{{0,2}},?\s+)?{YEAR}\s*(?:[,.]|$)")
#: a name as Vancouver (NLM) writes it: the family name, then the initials with no full stops ("Lin TC")
VANCOUVER_NAME = re.compile(rf"^({_FAMILY}(?:\s+{_FAMILY})?)\s+([A-Z]{{1,3}})$")
#: a name written given name first with initials: "S. Steinmo", "K. A. Thelen" (no family name follows it)
GIVEN_FIRST = re.compile(rf"^(?:[A-ZÀ-Þ]\.\s?-?){{1,3}}(?:{_PARTICLE}\s+)*[A-ZÀ-Þ][a-zà-ÿ'’-]+$")
#: an author that is a body: one to five words, no comma, its last word no initials ("Smith J" is a person)
ORGANISATION = re.compile(r"^(?!.*,)(?!.*\s(?:and|&)\s)(?:[A-ZÀ-Þ0-9][\w'’&.-]*\s+){1,4}(?:[A-ZÀ-Þ][a-zà-ÿ'’-]+|[A-Z]{4,})$")
EDITORS = re.compile(r"(?i)\s*(?:\((?:eds?|dir|hrsg|coord)\.?\)|,?\s*(?:editors?|eds?\.|éd\.|dir\.))\s*$")


@dataclass
class Reference:
    """What was read from one reference: CSL-JSON, the style it looked like, and whether every
    main field (authors, year, title) was found."""

    csl: dict
    style: str = ""
    confident: bool = False
    found: list[str] = field(default_factory=list)


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def _identifiers(text: str, csl: dict) -> str:
    """The DOI, ISBN and URL of ``text`` into ``csl``; the text without them (and their labels)."""
    if m := DOI_LINK.search(text) or BARE_DOI.search(text):
        doi = identifiers.normalize_doi(m.group(1).rstrip(".,;)>]"))
        if doi:
            csl["DOI"] = doi
        text = text[:m.start()] + text[m.end():]
    if m := ISBN.search(text):
        if isbn := identifiers.normalize_isbn(m.group(1)):
            csl["ISBN"] = isbn
        text = text[:m.start()] + text[m.end():]
    text = ACCESSED.sub("", text)
    # what PubMed and PMC add after a Vancouver reference: "[PubMed]", "PMID: 24568259", "PMCID: PMC3867744",
    # "NIHMSID NIHMS573684", "PubMed [journal]"
    text = re.sub(r"(?i)\s*(?:\[(?:PubMed|PMC free article|Google Scholar|CrossRef)[^\]]{0,30}\]|\bPMC?ID:?\s*(?:PMC)?\d+"
                  r"|\bNIHMSID:?\s*NIHMS\d+|\bPubMed\s+\[journal\])\.?", "", text)
    if m := URL.search(text):
        url = m.group(0).strip("<>").rstrip(".,;)]")
        csl["URL"] = url if url.lower().startswith("http") else "https://" + url
        text = text[:m.start()] + text[m.end():]
    before = LABELS.sub("", text[:m.start()] if m else text)
    text = before + (text[m.start():] if m else "")
    text = re.sub(r"(?i)\s*[\[(]?\s*(?:online|en ligne)\s*[\])]\s*", " ", text)
    return _clean(text).rstrip(" ,;:").rstrip()


def split_authors(text: str) -> list[dict]:
    """"Santos, B. W. L., Oliveira, R. C. de, & Caldas, E. D." / "Santos, Beatriz, Regina Célia de
    Oliveira, and Eloisa Caldas" / "Jenrich, R.I. and Bentler, P.M." → CSL names (et al. dropped)."""
    text = EDITORS.sub("", re.sub(r"(?<!\b[A-ZÀ-ÞА-ЯΑ-Ω])\.$", "", _clean(text)))
    text = re.sub(r"(?i),?\s*(?:et al\.?|…|\.\.\.|and others|et coll\.?)\s*", ", ", text).strip(" ,")
    if all(VANCOUVER_NAME.match(t.strip()) for t in re.split(r",\s*|\s+(?:and|&)\s+", text)):
        # Vancouver: "Lin TC, Yen JM, Gong KB" — each name its family and initials, no comma between them
        return [{"family": m.group(1), "given": ". ".join(m.group(2)) + "."}
                for t in re.split(r",\s*|\s+(?:and|&)\s+", text) if (m := VANCOUVER_NAME.match(t.strip()))][:100]
    if ORGANISATION.match(text) and not GIVEN_FIRST.match(text):  # ("E. Berlekamp" is a person)  # "UN DESA", "Beijing Zoo", "World Health Organization": a body, not a person
        return [{"literal": text}]
    chunks = [c for c in re.split(r"(?i)\s*(?:,\s*(?:and|&|et|und|y)\s+|\s+(?:and|&|et|und|y)\s+|;\s*)", text) if c]
    tokens = [t.strip() for c in chunks for t in c.split(",") if t.strip()]
    names: list[dict] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        after = tokens[i + 1] if i + 1 < len(tokens) else ""
        if after and not GIVEN_FIRST.match(token) and (INITIALS.match(after) or (i == 0 and len(after.split()) <= 3)):
            name = cslmod.parse_name(f"{token}, {after}")
            i += 2
        else:
            name = cslmod.parse_name(token)
            i += 1
        if name:
            names.append(name)
    return names[:100]


def _quoted(rest: str) -> tuple[str, str] | None:
    """(quoted title, what follows) when ``rest`` starts with a quoted title."""
    for opening, closing in QUOTES:
        if rest.startswith(opening):
            end = rest.find(closing, 1)
            if end > 1:
                return rest[1:end].strip().rstrip(".,"), rest[end + 1:].lstrip(" .,")
    return None


def _sentence(rest: str) -> tuple[str, str]:
    """(the first sentence, the rest): ends at ". " not after an initial or an abbreviation — or,
    when there is none, at "? " or "! " (a title may ask a question in its middle)."""
    for marks in (".", "?!"):
        for m in re.finditer(rf"([{marks}])([\"”’»]?)\s+(?=\S)", rest):
            before = rest[:m.start()]
            # (its last characters only: the whole text before each full stop made a long line quadratic)
            if m.group(1) == "." and re.search(r"(?:\b[A-Z]|(?i:\bed|\bvol|\bnos?|\bpp|\bst|\bdr|\bmr)|\bin\s\w{1,3})$", before[-16:]):
                continue
            title = before + (m.group(1) if m.group(1) in "?!" else "") + m.group(2)
            return title.strip(), rest[m.end():]
    return rest.rstrip(".").strip(), ""


def _container(rest: str, csl: dict) -> None:
    """Journal, volume, issue, pages — or a book's publisher — from what follows the title."""
    rest = rest.strip().rstrip(".")
    if not rest:
        return
    chapter = re.match(r"(?i)^(?:in|dans)\s*:?\s+(?P<body>.+)$", rest)
    if chapter:
        body = chapter.group("body")
        body = re.sub(r"^.*?\((?:eds?|éds?|dir|hrsg)\.?(?:\s*&\s*trans\.)?\),?\s*", "", body, flags=re.I)
        if CONFERENCE.search(body) and (MLA_VOL.search(body) or MLA_PAGES.search(body) or re.search(rf",\s*{YEAR}\s*$", body)):
            # IEEE: "in Proc. IEEE Conf. on Decision and Control, vol. 5, 2001, pp. 4228–4233" — the proceedings'
            # title up to its volume, pages or year; no publisher follows
            csl["container-title"] = CONFERENCE_END.split(body, maxsplit=1)[0].strip(" ,.")
            if m := MLA_VOL.search(body):
                csl["volume"] = m.group(1)
            if m := MLA_PAGES.search(body):
                csl["page"] = m.group(1).replace(" ", "")
            csl["type"] = "paper-conference"
            return
        title, after = _sentence(body)
        title = re.sub(r"\s*\((?:pp?\.)[^)]*\)\s*$", "", title)
        # BibTeX's plain style: "In Annales Henri Poincare, volume 12, pages 1349–1385. Springer, 2011."
        if numbers := re.search(r",\s*(?:volume\s+(?P<v>\w+)(?:\s+of\s+[^,]+)?)?,?\s*(?:pages?\s+(?P<p>[A-Za-z]?\d+(?:\s*[–—-]+\s*[A-Za-z]?\d+)?))?\s*$",
                                title):
            if numbers.group("v") or numbers.group("p"):
                title = title[:numbers.start()]
                if numbers.group("v"):
                    csl["volume"] = numbers.group("v")
                if numbers.group("p"):
                    csl["page"] = re.sub(r"\s+", "", numbers.group("p"))
        if pages := re.search(r"\((?:pp?\.)\s*([^)]+)\)", body) or MLA_PAGES.search(body):
            csl["page"] = pages.group(1).strip().replace(" ", "")
        csl["container-title"] = title.strip(" ,.")
        csl["type"] = "chapter"
        if after and not csl.get("publisher"):
            csl["publisher"] = _publisher(after)
        return
    # MLA: "Journal, vol. 59, no. 5, Jan. 2004, pp. 339–51"
    if MLA_VOL.search(rest) or (MLA_PAGES.search(rest) and "," in rest and not re.search(r",\s*\d+[A-Z]?\s*[(,]", rest)):
        head = rest.split(",", 1)[0]
        if not MLA_VOL.match(head) and not MLA_PAGES.match(head):
            csl["container-title"] = head.strip()
        if m := MLA_VOL.search(rest):
            csl["volume"] = m.group(1)
        if m := MLA_NO.search(rest):
            csl["issue"] = m.group(1)
        if m := MLA_PAGES.search(rest):
            csl["page"] = m.group(1).replace(" ", "")
        if not MLA_VOL.search(rest) and (re.search(r"(?i)\bedited by\b", rest) or _publisher_part(rest)):
            csl["publisher"] = _publisher(rest.split(",", 1)[1] if "," in rest else rest)
            csl["type"] = "chapter" if csl.get("container-title") else "book"
        elif csl.get("container-title"):
            csl["type"] = "article-journal"
        return
    # APA / Harvard "Journal, 59(5), 339–351" — Chicago "Journal 59 (5): 339–51" — "Journal 10: 5"
    if p := PAGES_ALONE.match(rest):  # "(Belgrade, Serbia), 129–30" / "129–130": the pages of what has no container
        csl["page"] = re.sub(r"\s+", "", p.group("p"))
        return
    rest = re.sub(r"^([^(\d]{2,200}?)\s*\([^)\d]{0,30}[A-Za-z][^)\d]{0,30}\)(?=,?\s+\d)", r"\1", rest)  # its place
    rest = re.sub(r"^([^;\d]{2,200}?)\s*;\s*(?=\d)", r"\1, ", rest)  # Vancouver: "Journal. 2011;17(1): 141-51"
    m = JOURNAL.match(rest) or ((m2 := JOURNAL_COLON.match(rest)) and re.match(r"\d+[A-Z]?\s*(?:\(|,\s*(?:pp?\.\s*)?\d|:\s*\d)",
                                                                             m2.group("tail")) and m2)
    if m and re.match(r"(?i)^(?:nos?|vol|report|issue)\b", m.group("c")):
        m = None  # "no. 30, United Nations": a report's number, not a journal
    if m:
        csl["container-title"] = m.group("c").strip()
        tail = m.group("tail")
        if vi := VOLUME_ISSUE.match(tail):
            csl["volume"], csl["issue"] = vi.group("v"), vi.group("i").strip()
            tail = tail[vi.end():]
        elif v := re.match(r"^(\d+[A-Z]?)", tail):
            csl["volume"] = v.group(1)
            tail = tail[v.end():]
            if supplement := re.match(r"(?i)^\s+(Suppl\.?(?:\s*\d+)?)", tail):  # Vancouver's "2013;58 Suppl 1: e119-22"
                csl["issue"] = supplement.group(1)
                tail = tail[supplement.end():]
        tail = re.sub(r"(?i)^\s*[,:]\s*(?:article\s+)?", "", tail)
        if p := PAGES.match(tail.strip()):
            csl["page"] = re.sub(r"\s+", "", p.group("p"))
        csl["type"] = "article-journal"
        return
    # a newspaper or a magazine: "The Guardian, 31 July" / "The Guardian (London), July 31"
    # a book: "Publisher" / "Place: Publisher" / "Publisher, 1992"
    csl["publisher"] = _publisher(rest)


#: what a book's publisher is not: its edition, pages, number, a date, a thesis, who edited it
NOT_PUBLISHER = re.compile(
    r"(?i)^(?:\d+(?:st|nd|rd|th)?\s*(?:ed|edn|edition|éd)\b.*|(?:rev|revised|new)\s+ed.*|pp?\.?\s*\d.*|[\d\s–—-]+|"
    r"(?:nos?|vol|vols|report|issue|tome)\b.*\d.*|.*\b(?:report\s+type)\b.*|(?:edited|translated|trans|eds?|dir)\b.*|"
    r"ph\.?\s?d\.?.*|.*\b(?:diss|dissertation|thesis|thèse|mémoire)\b.*|"
    r"(?:\d{1,2}\s+)?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?(?:\s+\d{1,2})?,?\s*\d{4}|"
    r"\d{1,2}\s+\w+\s+\d{4}|.*\[[^\]]*\]|accessed.*|available.*|loc\b.*)$")
#: the words of a publisher's name
PUBLISHER_WORDS = re.compile(
    r"(?i)\b(?:press|presses|university|universit[éy]|publish\w*|publications?|verlag|books|editions?|éditions|"
    r"inc|ltd|llc|gmbh|co|company|group|institut\w*|nations|society|association|office|council|ministry|"
    r"department|bank|organi[sz]ation|foundation|museum|library|agency|commission|routledge|wiley|springer|elsevier|"
    r"penguin|sage|gallimard|seuil|dover|macmillan|blackwell|norton|harper\w*|random house|pearson|mcgraw|polity|"
    r"verso|knopf|vintage|doubleday|gollancz|crc)\b")


def _parts(text: str) -> list[tuple[str, str]]:
    """``text`` cut at ". " and ", " (not after an initial or an abbreviation): (part, the mark after it)."""
    out, start = [], 0
    for m in re.finditer(r"([.,;])\s+", text):
        before = text[start:m.start()]
        if m.group(1) == "." and re.search(r"(?:(?<![.])\b[A-Z]|(?i:\bvol|\bnos?|\bpp|\bst))$", before[-16:]):
            continue
        out.append((before.strip(), m.group(1)))
        start = m.end()
    out.append((text[start:].strip().rstrip("."), ""))
    return out  # an empty part where marks follow each other (", . "): a name does not run on over it


def _publisher_part(text: str) -> str:
    """The publisher among the parts of what follows a book's title: the first part that names one
    ("CRC Press", "Pennsylvania State University, History", "United Nations"), with the parts after
    it up to the next thing that is not part of a name (a year, pages, a date); "" when none does."""
    parts = _parts(text)
    for n, (part, mark) in enumerate(parts):
        if not part:
            continue
        part = re.sub(r"^[^:]{2,40}:\s+", "", part)  # "Minneapolis: University of Minnesota Press"
        part = re.sub(r"\s*\([^)]*\)$", "", part).strip(" .,")  # "(Cambridge studies in comparative politics)": a series
        if NOT_PUBLISHER.match(part) or not PUBLISHER_WORDS.search(part):
            continue
        name = [part]
        while mark == "," and n + 1 < len(parts) and parts[n + 1][0] and not NOT_PUBLISHER.match(parts[n + 1][0]) \
                and not re.search(r"\d", parts[n + 1][0]) and len(parts[n + 1][0].split()) <= 3:
            n += 1
            name.append(parts[n][0])
            mark = parts[n][1]
        return ", ".join(name)[:200]
    return ""


def _publisher(text: str) -> str:
    if named := _publisher_part(text):
        return named
    text = re.sub(r"(?i)^(?:(?:edited|translated|edited and translated)\s+by|(?:sous la )?dir\.|éd\.)\s+[^,.]+[,.]\s*", "",
                  text.strip())
    text = re.sub(rf",?\s*{YEAR}\s*$", "", text.strip().rstrip(".")).strip(" ,")
    text = re.sub(r"\s*\([^)]*\)\s*$", "", text)  # "(Cambridge studies in ...)": a series
    if ":" in text:
        text = text.split(":", 1)[1]
    return text.split(". ")[0].strip(" ,.")[:200]


def parse_reference(text: str) -> Reference:
    """One formatted reference → CSL-JSON fields (see the module's text)."""
    text = _clean(text)[:4000]
    csl: dict = {}
    unnumbered = _identifiers(text, csl)
    rest_text = NUMBERED.sub("", unnumbered, count=1)
    numbered = rest_text != unnumbered
    given_first = False
    style, authors, year, rest = "", "", "", ""
    last_year = ""
    if (m := YEAR_LAST.search(rest_text)) and (head := APA_HEAD.match(rest_text)) and not head.group("rest").strip(" .,"):
        # Nature's "Title. Journal 12, 1-21 (1995)." ends with its year: no APA head (its "authors" would be the line)
        last_year, rest_text = m.group("y"), rest_text[:m.start()]
    if (m := APA_HEAD.match(rest_text)) and not re.search(r"[“”\"]", m.group("a")):  # "(1970)" after a quoted title
        style, authors, year, rest = "apa", m.group("a"), m.group("y"), m.group("rest")
    elif (m := CHICAGO_HEAD.match(rest_text)) and not re.search(r"[:“”\"?!]", m.group("a")):  # a title is no name
        style, authors, year, rest = "chicago", m.group("a"), m.group("y"), m.group("rest")
        if re.search(r"(?:^|[\s.,])[A-ZÀ-ÞА-ЯΑ-Ω]$", authors):  # "Zimbardo, Philip G. 2004.": the initial's full stop
            authors += "."
    elif (q := re.search(r"[.,]\s+[“\"‘«]", rest_text)) and q.start() < 300:
        style, authors, rest = "mla", rest_text[:q.start()], rest_text[q.start() + 1:].strip()
        if re.search(r"(?:^|[\s.,])[A-ZÀ-ÞА-ЯΑ-Ω]$", authors):  # "Zimbardo, Philip G. “Does...": the initial's full stop
            authors += "."
    elif numbered and (m := NUMBERED_FULL_HEAD.match(rest_text)):
        style, authors, rest = "numbered", m.group("a"), m.group("rest")
        given_first = True
    elif (m := NUMBERED_HEAD.match(rest_text)) and not re.match(rf"(?i)(?:{NO_DATE}|s\.|pp?\.\s*\d)", m.group("rest")):
        style, authors, rest = "numbered", m.group("a"), m.group("rest")
    elif m := re.match(r"^(?P<a>[^.]{2,150}?(?:,\s*[^.]{1,60})?)\.\s+(?P<rest>[A-ZÀ-Þ].*)$", rest_text):
        style, authors, rest = "mla", m.group("a"), m.group("rest")
    else:
        rest = rest_text
    if last_year:
        year = last_year
    if style == "numbered" and (t := TITLELESS.match(rest.strip())):
        # no title: what follows the authors is the journal and its numbers (ACS, physics, RSC)
        csl.update({"container-title": t.group("c").strip(), "volume": t.group("v"),
                    "page": re.sub(r"\s+", "", t.group("p")), "type": "article-journal"})
        if t.group("i"):
            csl["issue"] = t.group("i").strip()
        year = year or t.group("y") or t.group("y2") or ""
        rest = ""
    if authors and given_first:  # "Eric J. Rossetter, Joshua P. Switkes, and J. Christian Gerdes": each name whole
        csl["author"] = [n for part in re.split(r",\s+(?:and\s+)?|\s+and\s+", authors)[:100]
                         if (n := cslmod.parse_name(part.strip()))]
    elif authors:
        if names := split_authors(authors):
            editors = bool(EDITORS.search(_clean(authors).rstrip(".")))
            csl["editor" if editors else "author"] = names
    quoted = _quoted(rest)
    if quoted:
        title, after = quoted
    else:
        title, after = _sentence(rest)
        # APA's "(2nd ed.)", "(Vol. 2)", "(Report No. 17)", "(tenth printing)" after a title are no part of it
        if extra := re.search(r"\s*\((?P<x>[^()]*\b(?:ed|edition|printing|vol|no|report|trans|éd|tome)\b[^()]*)\)\s*$",
                              title, re.I):
            if edition := re.search(r"(?i)[^,;]*\b(?:ed|edition|éd)\b\.?", extra.group("x")):
                csl["edition"] = cslmod.normalize_edition(edition.group(0).strip()) or edition.group(0).strip()
            if volume := re.search(r"(?i)\bvol\.?\s*(\w+)", extra.group("x")):
                csl["volume"] = volume.group(1)
            title = title[:extra.start()]
        title = re.sub(r"\s*\[[^\]]*\]\s*$", "", title)  # "[Video]", "[Online]"
    if title:
        csl["title"] = title.strip()
    run_on = False
    if not year:  # MLA: the date comes late
        years = re.findall(rf"(?<![–—-])\b({YEAR})\b(?!\s*[–—-]\s*\d)", after)  # (not a page: "p. 1653-63")
        if not years:  # the year inside what was read as the title: the title ran on (trusted no more)
            years = re.findall(rf"\b({YEAR})\b", rest)
            run_on = bool(years)
        year = years[-1] if years else ""
        # the year printed last (IEEE "in OCEANS, 2001. Proceedings ..., 2001, pp. 369–374": the first is the title's)
        # the year with its month ("Jan. 1977", "2010 Mar 18"); at the very end with the word before it ("Warszawa 1999.",
        # a place), never elsewhere ("J Neurosurg 2001; 95": the journal's)
        dates = list(re.finditer(rf",?\s*(?:(?:\d{{1,2}}\s+)?(?<![A-Za-zé.])(?:{MONTH}\.?,?\s+(?:\d{{1,2}},?\s+)?)?)?"
                                 rf"{re.escape(year)}\b(?:\s+{MONTH}\.?(?:\s+\d{{1,2}}(?!\d))?)?", after)) if year else []
        if year and (last := re.search(rf",?\s*(?:\d{{1,2}}\s+)?(?<![A-Za-zé.])(?!{MONTHLESS})[A-Za-zé.]+\s+{re.escape(year)}\s*\.?$",
                                       after)):
            dates.append(last)
        after_wo_year = after[:dates[-1].start()] + after[dates[-1].end():] if dates else after
    else:
        after_wo_year = after
    if not csl.get("container-title"):
        _container(after_wo_year, csl)
    if year and not re.match(NO_DATE, year, re.I):
        csl["issued"] = {"date-parts": [[int(year[:4])]]}
    if "type" not in csl:
        csl["type"] = "webpage" if csl.get("URL") and not csl.get("publisher") else "book"
    found = [k for k in ("author", "editor", "issued", "title", "container-title", "volume", "issue", "page",
                         "publisher", "DOI", "ISBN", "URL") if csl.get(k)]
    confident = bool(style and (csl.get("author") or csl.get("editor")) and csl.get("issued") and csl.get("title")
                     and not run_on)
    if not csl.get("title"):
        csl["title"] = text[:1000]
    return Reference(csl, style, confident, found)
