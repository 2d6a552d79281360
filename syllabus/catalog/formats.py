"""RIS and BibTeX ⇄ CSL-JSON (LST-9), with the libraries made for them: rispy and bibtexparser 2.

    entries = parse(text)                  # format detected; [ParsedEntry(position, csl, error)]
    text = to_ris([csl, ...]); text = to_bibtex([csl, ...]); text = to_csl_json([csl, ...])

What a round trip keeps: type, title, container title, authors and editors, date, volume,
issue, pages, edition, publisher and place, ISBN/ISSN/DOI, URL, abstract, keywords, language.
Entries that cannot be read are reported by position (1 = first entry of the file) and the
others are kept.
"""
from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass

import bibtexparser
import rispy
from bibtexparser import model as bib
from bibtexparser.middlewares import SeparateCoAuthors, SplitNameParts
from pylatexenc.latex2text import LatexNodes2Text

from syllabus.core.text import strip_control_deep

from . import csl as cslmod

FORMATS = ("ris", "bibtex", "csl-json")


@dataclass
class ParsedEntry:
    position: int
    csl: dict | None
    error: str = ""
    label: str = ""  # the entry's key / first title words, for the report


# --- RIS ------------------------------------------------------------------------------------

RIS_TO_CSL = {
    "JOUR": "article-journal", "EJOUR": "article-journal", "JFULL": "periodical", "ABST": "article-journal",
    "INPR": "article-journal", "MGZN": "article-magazine", "NEWS": "article-newspaper", "BOOK": "book",
    "EBOOK": "book", "EDBOOK": "book", "WHOLE": "book", "CHAP": "chapter", "ECHAP": "chapter", "THES": "thesis",
    "RPRT": "report", "CONF": "paper-conference", "CPAPER": "paper-conference", "ELEC": "webpage", "WEB": "webpage",
    "BLOG": "post-weblog", "VIDEO": "motion_picture", "MPCT": "motion_picture", "ADVS": "motion_picture",
    "SOUND": "song", "MUSIC": "musical_score", "MAP": "map", "DATA": "dataset", "DBASE": "dataset", "PAT": "patent",
    "CASE": "legal_case", "STAT": "legislation", "BILL": "bill", "MANSCPT": "manuscript", "UNPB": "manuscript",
    "PAMP": "pamphlet", "ENCYC": "entry-encyclopedia", "DICT": "entry-dictionary", "PCOMM": "personal_communication",
    "GEN": "document", "ART": "graphic", "FIGURE": "figure", "SLIDE": "speech", "COMP": "dataset",
}
CSL_TO_RIS = {
    "article-journal": "JOUR", "periodical": "JFULL", "article-magazine": "MGZN", "article-newspaper": "NEWS", "book": "BOOK",
    "chapter": "CHAP", "thesis": "THES", "report": "RPRT", "paper-conference": "CPAPER", "webpage": "ELEC",
    "post-weblog": "BLOG", "post": "ELEC", "motion_picture": "VIDEO", "song": "SOUND", "musical_score": "MUSIC", "map": "MAP",
    "dataset": "DATA", "patent": "PAT", "legal_case": "CASE", "legislation": "STAT", "bill": "BILL", "manuscript": "MANSCPT",
    "pamphlet": "PAMP", "entry-encyclopedia": "ENCYC", "entry-dictionary": "DICT", "personal_communication": "PCOMM",
    "graphic": "ART", "figure": "FIGURE", "speech": "SLIDE", "document": "GEN", "article": "GEN", "broadcast": "VIDEO",
}


def _ris_date(text: str) -> dict | None:
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
        return {"date-parts": [nums[:3]]}
    return cslmod.date_parts(text)


SERIAL_TYPES = ("article-journal", "article-magazine", "article-newspaper", "periodical")


def ris_entry_to_csl(entry: dict) -> dict:
    """CSL-JSON of one rispy entry; an invalid ISBN/ISSN/DOI is kept as given, so that the
    import refuses the entry with the lists app's LST-2 reason (docs/catalog.md)."""
    ctype = RIS_TO_CSL.get((entry.get("type_of_reference") or "GEN").upper(), "document")
    title = entry.get("title") or entry.get("primary_title") or entry.get("translated_title") or ""
    secondary = entry.get("secondary_title") or ""
    journal = (entry.get("journal_name") or entry.get("alternate_title3") or entry.get("alternate_title1")
               or entry.get("alternate_title2") or "")
    data: dict = {"type": ctype, "title": title}
    if ctype in ("article-journal", "article-magazine", "article-newspaper", "paper-conference"):
        data["container-title"] = journal or secondary
    elif ctype in ("chapter", "entry-encyclopedia", "entry-dictionary", "webpage", "post-weblog"):
        data["container-title"] = secondary or journal
    elif secondary and ctype in ("book", "report"):
        data["collection-title"] = secondary
    if not title and ctype == "periodical":
        data["title"] = journal or secondary
    authors = list(entry.get("authors") or []) + [a for a in entry.get("first_authors") or [] if a not in (entry.get("authors") or [])]
    if authors:
        data["author"] = [cslmod.parse_name(a) for a in authors]
    if entry.get("secondary_authors"):
        data["editor"] = [cslmod.parse_name(a) for a in entry["secondary_authors"]]
    data["issued"] = _ris_date(entry.get("date") or entry.get("publication_year") or entry.get("year"))
    if not data["issued"] and entry.get("year"):
        data["issued"] = cslmod.date_parts(entry["year"])
    if entry.get("access_date"):
        data["accessed"] = _ris_date(entry["access_date"])
    isbns, issns = [], []
    for value in re.split(r"[\s;,]+", entry.get("issn") or ""):
        digits = len(re.sub(r"[^0-9Xx]", "", value))
        if cslmod.normalize_isbn(value) and digits in (10, 13):
            isbns.append(cslmod.normalize_isbn(value))
        elif cslmod.normalize_issn(value):
            issns.append(cslmod.normalize_issn(value))
        elif value:  # neither: kept as given so the entry is refused naming it (LST-2), not silently dropped
            serial = digits == 8 or (digits not in (10, 13) and ctype in SERIAL_TYPES)
            (issns if serial else isbns).append(value)
    data.update(ISBN=" ".join(isbns), ISSN=" ".join(issns), DOI=entry.get("doi") or "",
                URL=(entry.get("urls") or [""])[0], volume=entry.get("volume") or "", issue=entry.get("number") or "",
                publisher=entry.get("publisher") or "", edition=entry.get("edition") or "",
                abstract=entry.get("abstract") or entry.get("notes_abstract") or "", language=entry.get("language") or "")
    data["publisher-place"] = entry.get("place_published") or ""
    data["collection-title"] = data.get("collection-title") or entry.get("tertiary_title") or ""
    data["title-short"] = entry.get("short_title") or ""
    sp, ep = entry.get("start_page") or "", entry.get("end_page") or ""
    data["page"] = f"{sp}-{ep}" if sp and ep else sp
    if entry.get("keywords"):
        data["keyword"] = "; ".join(entry["keywords"])
    if entry.get("number_of_volumes"):
        data["number-of-volumes"] = entry["number_of_volumes"]
    return cslmod.clean(data, keep_invalid=True)


def csl_to_ris_entry(data: dict) -> dict:
    ctype = data.get("type") or "book"
    entry: dict = {"type_of_reference": CSL_TO_RIS.get(ctype, "GEN"), "title": data.get("title", "")}
    if data.get("author"):
        entry["authors"] = [cslmod.name_text(n) for n in cslmod.names(data, "author")]
    if data.get("editor"):
        entry["secondary_authors"] = [cslmod.name_text(n) for n in cslmod.names(data, "editor")]
    container = data.get("container-title")
    if container:
        if ctype in ("article-journal", "article-magazine", "article-newspaper"):
            entry["journal_name"] = container
        entry["secondary_title"] = container
    if data.get("collection-title"):
        entry["tertiary_title"] = data["collection-title"]
    issued = (data.get("issued") or {}).get("date-parts", [[]])[0] if isinstance(data.get("issued"), dict) else []
    if issued:
        entry["year"] = str(issued[0])
        entry["date"] = "/".join(f"{int(p):02d}" if i else str(p) for i, p in enumerate(issued)) + "/"
    accessed = (data.get("accessed") or {}).get("date-parts", [[]])[0] if isinstance(data.get("accessed"), dict) else []
    if accessed:
        entry["access_date"] = "/".join(f"{int(p):02d}" if i else str(p) for i, p in enumerate(accessed))
    idents = cslmod.split_identifiers(data.get("ISBN")) + cslmod.split_identifiers(data.get("ISSN"))
    if idents:
        entry["issn"] = "; ".join(idents)  # RIS SN holds ISBN and ISSN alike
    page = str(data.get("page") or "")
    if m := re.match(r"^\s*([^\s\-–]+)\s*[-–]+\s*(\S+)\s*$", page):
        entry["start_page"], entry["end_page"] = m.group(1), m.group(2)
    elif page:
        entry["start_page"] = page
    simple = {"DOI": "doi", "volume": "volume", "issue": "number", "publisher": "publisher", "publisher-place": "place_published",
              "edition": "edition", "abstract": "abstract", "language": "language", "title-short": "short_title",
              "number-of-volumes": "number_of_volumes"}
    for key, ris_key in simple.items():
        if data.get(key):
            entry[ris_key] = str(data[key])
    if data.get("URL"):
        entry["urls"] = [data["URL"]]
    if data.get("keyword"):
        entry["keywords"] = [k.strip() for k in str(data["keyword"]).split(";") if k.strip()]
    return entry


def parse_ris(text: str) -> list[ParsedEntry]:
    """Each ``TY  - ... ER  -`` block is read on its own, so that one broken block is reported
    and the others load."""
    blocks = re.split(r"(?m)^(?=TY  - )", text.replace("\r\n", "\n").lstrip("\ufeff"))
    # drop blank blocks and counter lines ("1.") some writers put between entries
    blocks = [re.sub(r"(?m)^\s*\d+\.\s*$", "", b) for b in blocks]
    blocks = [b for b in blocks if b.strip()]
    out = []
    for position, block in enumerate(blocks, start=1):
        if not block.startswith("TY  - "):
            out.append(ParsedEntry(position, None, "text outside of an entry (no 'TY  - ' line)"))
            continue
        try:
            entries = rispy.loads(block if re.search(r"(?m)^ER  -", block) else block + "\nER  - \n")
        except Exception as exc:  # rispy raises on malformed tags/lines
            out.append(ParsedEntry(position, None, f"unreadable RIS: {exc}"))
            continue
        if not entries:
            out.append(ParsedEntry(position, None, "empty entry"))
            continue
        data = ris_entry_to_csl(entries[0])
        label = data.get("title", "")[:60]
        if not data.get("title"):
            out.append(ParsedEntry(position, None, "the entry has no title (TI/T1)", label))
        else:
            out.append(ParsedEntry(position, data, "", label))
    return out


class _RisWriter(rispy.RisWriter):
    """rispy's writer without its "1." counter line before each entry (not RIS)."""

    def set_header(self, count):
        return ""


def to_ris(items: list[dict]) -> str:
    items = strip_control_deep(items)  # stored before the boundary refused them (issue 18)
    return rispy.dumps([csl_to_ris_entry(d) for d in items], implementation=_RisWriter)


# --- BibTeX ---------------------------------------------------------------------------------

BIB_TO_CSL = {
    "article": "article-journal", "book": "book", "mvbook": "book", "inbook": "chapter", "incollection": "chapter",
    "bookinbook": "chapter", "inproceedings": "paper-conference", "conference": "paper-conference", "proceedings": "book",
    "phdthesis": "thesis", "mastersthesis": "thesis", "thesis": "thesis", "techreport": "report", "report": "report",
    "manual": "book", "booklet": "pamphlet", "unpublished": "manuscript", "online": "webpage", "electronic": "webpage",
    "www": "webpage", "misc": "document", "dataset": "dataset", "patent": "patent", "periodical": "periodical",
    "inreference": "entry-encyclopedia", "video": "motion_picture", "movie": "motion_picture", "audio": "song", "music": "song",
}
CSL_TO_BIB = {
    "article-journal": "article", "article-magazine": "article", "article-newspaper": "article", "book": "book",
    "chapter": "incollection", "paper-conference": "inproceedings", "thesis": "phdthesis", "report": "techreport",
    "pamphlet": "booklet", "manuscript": "unpublished", "webpage": "online", "post-weblog": "online", "post": "online",
    "dataset": "dataset", "patent": "patent", "periodical": "periodical", "entry-encyclopedia": "inreference",
}
MONTHS = {m: i for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}
_latex = LatexNodes2Text()


def _tex(value: str) -> str:
    text = str(value or "")
    if "\\" in text or "{" in text or "$" in text:
        text = _latex.latex_to_text(text)
    return re.sub(r"\s+", " ", text).strip()


def _bib_name(parts) -> dict:
    first, von, last, jr = (" ".join(_tex(p) for p in getattr(parts, k)) for k in ("first", "von", "last", "jr"))
    raw_last = " ".join(parts.last)
    if not first and raw_last.startswith("{") and raw_last.endswith("}"):
        return {"literal": last}
    name: dict = {"family": last}
    if first:
        name["given"] = first
    if von:
        name["non-dropping-particle"] = von
    if jr:
        name["suffix"] = jr
    return name


def bib_entry_to_csl(entry: bib.Entry) -> dict:
    f = {k.lower(): v.value for k, v in entry.fields_dict.items()}
    etype = entry.entry_type.lower()
    ctype = BIB_TO_CSL.get(etype, "document")
    if ctype == "document" and f.get("url") and not f.get("publisher"):
        ctype = "webpage"
    text = {k: _tex(v) for k, v in f.items() if isinstance(v, str)}
    data: dict = {"type": ctype, "title": text.get("title", "")}
    for role in ("author", "editor", "translator"):
        if isinstance(f.get(role), list):
            data[role] = [_bib_name(p) for p in f[role]]
    container = text.get("journaltitle") or text.get("journal") or text.get("booktitle") or ""
    if container:
        data["container-title"] = container
    year = text.get("year") or ""
    date = text.get("date") or ""
    issued = cslmod.date_parts(date) or cslmod.date_parts(year)
    if issued and text.get("month") and len(issued["date-parts"][0]) == 1:
        month = text["month"].strip().lower()[:3]
        number = MONTHS.get(month) or (int(month) if month.isdigit() and 1 <= int(month) <= 12 else None)
        if number:
            issued["date-parts"][0].append(number)
    data["issued"] = issued
    if text.get("urldate"):
        data["accessed"] = cslmod.date_parts(text["urldate"])
    data.update(volume=text.get("volume", ""), issue=text.get("number") or text.get("issue") or "",
                page=re.sub(r"\s*(--|–|-)\s*", "-", str(f.get("pages", ""))).strip(), edition=text.get("edition", ""),
                ISBN=text.get("isbn", ""), ISSN=text.get("issn", ""), DOI=text.get("doi", ""), URL=str(f.get("url", "")).strip(),
                abstract=text.get("abstract", ""), language=text.get("language") or text.get("langid") or "",
                note=text.get("note", ""))
    data["publisher"] = text.get("publisher") or text.get("school") or text.get("institution") or text.get("organization") or ""
    data["publisher-place"] = text.get("address") or text.get("location") or ""
    data["collection-title"] = text.get("series", "")
    if etype == "phdthesis":
        data["genre"] = "PhD thesis"
    elif etype == "mastersthesis":
        data["genre"] = "Master's thesis"
    if text.get("keywords"):
        data["keyword"] = "; ".join(k.strip() for k in re.split(r"[;,]", text["keywords"]) if k.strip())
    return cslmod.clean(data, keep_invalid=True)


def parse_bibtex(text: str) -> list[ParsedEntry]:
    library = bibtexparser.parse_string(text.lstrip("\ufeff"), append_middleware=[SeparateCoAuthors(), SplitNameParts()])
    blocks = [b for b in library.blocks if isinstance(b, (bib.Entry, bib.ParsingFailedBlock))]
    out = []
    for position, block in enumerate(sorted(blocks, key=lambda b: b.start_line or 0), start=1):
        if isinstance(block, bib.ParsingFailedBlock):
            line = (block.start_line or 0) + 1
            lines = str(block.error or "").splitlines()
            detail = lines[0] if lines else "syntax error (unbalanced braces or a missing comma?)"
            out.append(ParsedEntry(position, None, f"unreadable BibTeX entry at line {line}: {detail}"))
            continue
        try:
            data = bib_entry_to_csl(block)
        except Exception as exc:
            out.append(ParsedEntry(position, None, f"cannot read entry {block.key}: {exc}", block.key))
            continue
        if not data.get("title"):
            out.append(ParsedEntry(position, None, f"entry {block.key} has no title", block.key))
        else:
            out.append(ParsedEntry(position, data, "", block.key))
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
VERBATIM_FIELDS = {"url", "doi"}


def _bib_value(key: str, text) -> str:
    """Escape what LaTeX would eat (``& % $ # _ { }``...); URLs and DOIs stay verbatim."""
    text = str(text)
    if key in VERBATIM_FIELDS:
        return text
    return "".join(LATEX_SPECIALS.get(ch, ch) for ch in text)


def _bib_names(people: list[dict]) -> str:
    out = []
    for p in people:
        if p.get("literal"):
            out.append("{" + _bib_value("author", p["literal"]) + "}")
            continue
        family = " ".join(x for x in (p.get("non-dropping-particle"), p.get("family")) if x)
        parts = [family]
        if p.get("suffix"):
            parts.append(p["suffix"])
        if p.get("given"):
            parts.append(p["given"])
        out.append(", ".join(_bib_value("author", x) for x in parts))
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

    add("title", data.get("title"))
    for role in ("author", "editor", "translator"):
        if cslmod.names(data, role):
            fields.append(bib.Field(role, _bib_names(cslmod.names(data, role))))
    container = data.get("container-title")
    if container:
        add("journal" if etype == "article" else "booktitle", container)
    issued = (data.get("issued") or {}).get("date-parts", [[]])[0] if isinstance(data.get("issued"), dict) else []
    if issued:
        add("year", str(issued[0]))
        if len(issued) > 1:
            add("month", list(MONTHS)[int(issued[1]) - 1])
    add("volume", data.get("volume"))
    add("number", data.get("issue"))
    add("pages", re.sub(r"\s*[-–]+\s*", "--", str(data.get("page") or "")))
    add("edition", data.get("edition"))
    if etype in ("phdthesis", "mastersthesis"):
        add("school", data.get("publisher"))
    elif etype == "techreport":
        add("institution", data.get("publisher"))
    else:
        add("publisher", data.get("publisher"))
    add("address", data.get("publisher-place"))
    add("series", data.get("collection-title"))
    add("isbn", " ".join(cslmod.split_identifiers(data.get("ISBN"))))
    add("issn", " ".join(cslmod.split_identifiers(data.get("ISSN"))))
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


def parse_csl_json(text: str) -> list[ParsedEntry]:
    try:
        value = json.loads(text)
    except ValueError as exc:
        return [ParsedEntry(1, None, f"not JSON: {exc}")]
    items = value if isinstance(value, list) else [value]
    out = []
    for position, item in enumerate(items, start=1):
        if not isinstance(item, dict) or not item.get("title"):
            out.append(ParsedEntry(position, None, "not a CSL-JSON item with a title"))
            continue
        data = cslmod.clean({k: v for k, v in item.items() if k != "id"}, keep_invalid=True)
        out.append(ParsedEntry(position, data, "", data.get("title", "")[:60]))
    return out


def detect(text: str, filename: str = "") -> str:
    name = filename.lower()
    if name.endswith((".ris", ".txt")) and re.search(r"(?m)^TY  - ", text):
        return "ris"
    if name.endswith(".bib"):
        return "bibtex"
    if name.endswith(".json"):
        return "csl-json"
    stripped = text.lstrip("\ufeff \t\r\n")
    if re.search(r"(?m)^TY  - ", text):
        return "ris"
    if re.search(r"(?m)^\s*@\w+\s*[{(]", text):
        return "bibtex"
    if stripped.startswith(("[", "{")):
        return "csl-json"
    return ""


def parse(text: str, fmt: str = "", filename: str = "") -> tuple[str, list[ParsedEntry]]:
    """(format, entries) of an RIS, BibTeX or CSL-JSON text; ``fmt`` empty = detect."""
    fmt = (fmt or detect(text, filename)).lower()
    if fmt == "ris":
        return fmt, parse_ris(text)
    if fmt in ("bibtex", "bib"):
        return "bibtex", parse_bibtex(text)
    if fmt in ("csl-json", "json"):
        return "csl-json", parse_csl_json(text)
    return "", []
