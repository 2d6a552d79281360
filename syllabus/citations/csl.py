"""CSL-JSON helpers: the one canonical form of bibliographic metadata (LST-2).

Part of the citation core (:mod:`syllabus.citations`), which imports no app: catalog and lists
both read and write metadata through it.

Field names are CSL's own: ``title``, ``author: [{family, given}]``, ``container-title``,
``ISBN``, ``ISSN``, ``DOI``, ``URL``, ``edition``, ``publisher``, ``publisher-place``,
``issued: {date-parts: [[y, m, d]]}``, ``page``, ``volume``, ``issue``...  Identifiers are
validated and normalised by :mod:`syllabus.citations.identifiers`.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Any, Iterable

from django.utils.translation import gettext_lazy as _

from .identifiers import doi_key, isbn_forms, normalize_doi, normalize_isbn, normalize_issn, split_identifiers

NAME_ROLES = (
    "author", "editor", "translator", "container-author", "collection-editor", "director", "composer", "interviewer",
    "illustrator", "original-author", "recipient", "reviewed-author", "editorial-director", "chair", "compiler",
    "contributor", "curator", "executive-producer", "guest", "host", "narrator", "organizer", "performer", "producer",
    "script-writer", "series-creator",
)
# The CSL 1.0.2 item types: every one is kept end to end (import, list item, catalog record,
# export, re-import); citeproc-py knows the 1.0.1 ones and renders the newer ones as their
# nearest kin (:data:`RENDER_AS`).
TYPES = (
    "article", "article-journal", "article-magazine", "article-newspaper", "bill", "book", "broadcast", "chapter",
    "classic", "collection", "dataset", "document", "entry", "entry-dictionary", "entry-encyclopedia", "event", "figure",
    "graphic", "hearing", "interview", "legal_case", "legislation", "manuscript", "map", "motion_picture",
    "musical_score", "pamphlet", "paper-conference", "patent", "performance", "periodical", "personal_communication",
    "post", "post-weblog", "regulation", "report", "review", "review-book", "software", "song", "speech", "standard",
    "thesis", "treaty", "webpage",
)
RENDER_AS = {"classic": "book", "collection": "book", "document": "article", "event": "speech", "hearing": "bill",
             "performance": "speech", "periodical": "book", "regulation": "legislation", "software": "book",
             "standard": "report"}
TYPE_LABELS = {
    "book": _("Book"), "chapter": _("Book chapter"), "article-journal": _("Journal article"),
    "article-magazine": _("Magazine article"), "article-newspaper": _("Newspaper article"), "periodical": _("Journal"),
    "webpage": _("Website"), "motion_picture": _("Video"), "song": _("Audio"), "thesis": _("Thesis"), "report": _("Report"),
    "paper-conference": _("Conference paper"), "map": _("Map"), "musical_score": _("Score"), "dataset": _("Dataset"),
    "document": _("Document"), "article": _("Article"), "software": _("Software"), "patent": _("Patent"),
    "standard": _("Standard"), "manuscript": _("Manuscript"), "entry-encyclopedia": _("Encyclopedia entry"),
    "entry-dictionary": _("Dictionary entry"), "legislation": _("Legislation"), "legal_case": _("Legal case"),
    "graphic": _("Image"), "post-weblog": _("Blog post"), "speech": _("Presentation"), "pamphlet": _("Pamphlet"),
    "broadcast": _("Radio, TV or podcast programme"), "interview": _("Interview"), "performance": _("Performance"),
}


# --- editions ---------------------------------------------------------------------------

def normalize_edition(value) -> str:
    """CSL styles add "ed." themselves: "3rd ed." / "3rd edition" / "Third edition" → "3"."""
    text = str(value).strip()
    words = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
             "ninth": 9, "tenth": 10}
    m = re.fullmatch(r"(\d+)\s*(?:st|nd|rd|th)?\.?\s*(?:ed\.?|edn\.?|edition)?", text, re.I)
    if m:
        return m.group(1)
    m = re.fullmatch(r"([a-z]+)\s+(?:ed\.?|edn\.?|edition)", text, re.I)
    if m and m.group(1).lower() in words:
        return str(words[m.group(1).lower()])
    return text


# --- names ------------------------------------------------------------------------------

SUFFIXES = {"jr", "jr.", "sr", "sr.", "ii", "iii", "iv", "v", "jun.", "sen."}


def _particles(name: dict) -> dict:
    """Name particles as CSL keeps them: "van Gogh" → non-dropping-particle "van" + family
    "Gogh"; "Ludwig van" → given "Ludwig" + dropping-particle "van"."""
    family = name.get("family") or ""
    words = family.split(" ")
    lead = []
    while len(words) > 1 and re.fullmatch(r"[a-z]+['’]?|[a-z]+['’][A-Z]\S*", words[0]) and words[0] not in ("and",):
        lead.append(words.pop(0))
    if lead:
        name["non-dropping-particle"] = " ".join(lead)
        name["family"] = " ".join(words)
    given = (name.get("given") or "").split(" ")
    tail: list[str] = []
    while len(given) > 1 and re.fullmatch(r"[a-z]+", given[-1]):
        tail.insert(0, given.pop())
    if tail:
        name["dropping-particle"] = " ".join(tail)
        name["given"] = " ".join(given)
    return name


# what says a name written without a comma is a body's, not a person's: a word that joins words
# in a body's name (never a name particle such as "de", "van", "la") or a word bodies are named with
_BODY = re.compile(
    r"(?i)(\s(of|for|and|the|et|des|für|und|on|at|&|y)\s|\d|\(|\b(university|universität|université|universidad|"
    r"ministry|ministère|ministerio|ministerium|agency|agencia|association|society|institute|institut|instituto|council|"
    r"committee|commission|consortium|organi[sz]ation|department|office|board|group|team|foundation|cent(er|re)|"
    r"company|corporation|inc|ltd|gmbh|library|museum|press|bureau|service|network|project|collaboration|federation|"
    r"government|court|parliament|senate|congress|archives?|laboratory|redacción|editorial|staff|unit|"
    r"world health|united nations|news|times|rights|watch|editors|films|cooperative|unions?|musée|states|kingdom|"
    r"republic|reich|anonymous)\b)")
_BODY_NOUN = re.compile(r"(?i)\b(" + _BODY.pattern.split(r"\b(", 1)[1].rsplit(r")\b", 1)[0] + r")\b")  # the nouns alone
_COMPANY_SUFFIX = re.compile(r"(?i)^(inc|ltd|llc|gmbh|corp|plc)\.?$")  # not "S.A.": initials


def parse_name(text: str) -> dict:
    """"Austen, Jane" / "Jane Austen" / "World Health Organization" → a CSL name; particles
    ("van Gogh, Vincent", "Beethoven, Ludwig van") and suffixes ("King, Martin Luther, Jr.")
    are kept in their own parts."""
    text = re.sub(r"\s+", " ", (text or "").strip().strip(",;"))
    text = re.sub(r",?\s*\d{3,4}-(\d{3,4})?\.?$", "", text).strip().rstrip(",")  # MARC dates "1775-1817"
    if not text:
        return {}
    if "," in text and _COMPANY_SUFFIX.match(text.rsplit(",", 1)[1].strip()):
        return {"literal": text}  # "Applied Science and Technology (ASTeX), Inc"
    top = re.split(r",(?![^()]*\))", text)  # commas outside parentheses
    if len(top) > 2 and top[2].strip().lower() not in SUFFIXES and _BODY_NOUN.search(top[0]):
        # "Council on Cardiopulmonary, Critical Care, Perioperative and Resuscitation" (a body whose
        # name has commas, as Zotero holds it in one field): no "Family, Given, Suffix" but one name
        return {"literal": text}
    if "," in text:
        parts = [p.strip() for p in text.split(",")]
        family, given = parts[0], parts[1] if len(parts) > 1 else ""
        suffix = ""
        if len(parts) > 2 and parts[2].lower() in SUFFIXES:
            suffix = parts[2]
        elif len(parts) > 2:
            given = ", ".join(parts[1:])
        if given.lower() in SUFFIXES and len(parts) > 2:  # "King, Jr., Martin Luther" (BibTeX order)
            given, suffix = parts[2], parts[1]
        given = given.rstrip(".") if len(given) > 2 and not re.search(r"\b\w\.$", given) else given
        name = {"family": family, "given": given} if given else {"family": family}
        if suffix:
            name["suffix"] = suffix
        return _particles(name)
    parts = text.split(" ")
    if len(parts) == 1 or _BODY.search(text) or len(parts) > 5:
        return {"literal": text}  # a body ("Ministère de l'économie et des finances", "Cochrane Review Group")
    if any(re.search(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]", p) for p in parts):
        return {"literal": text}
    i = len(parts) - 1
    while i > 1 and re.fullmatch(r"[a-z]+", parts[i - 1]):  # "Vincent van Gogh"
        i -= 1
    name = {"family": " ".join(parts[i:]), "given": " ".join(parts[:i])}
    return _particles(name)


def name_text(name: dict, *, inverted: bool = True) -> str:
    """A CSL name as text: "van Gogh, Vincent", "Beethoven, Ludwig van", "King, Martin Luther, Jr."
    (inverted) or "Vincent van Gogh" — every part kept."""
    if name.get("literal"):
        return name["literal"]
    family = " ".join(p for p in (name.get("non-dropping-particle"), name.get("family")) if p)
    given = " ".join(p for p in (name.get("given"), name.get("dropping-particle")) if p)
    suffix = name.get("suffix") or ""
    if not given:
        return f"{family}, {suffix}" if suffix and inverted else " ".join(p for p in (family, suffix) if p)
    if inverted:
        return f"{family}, {given}" + (f", {suffix}" if suffix else "")
    return " ".join(p for p in (given, family, suffix) if p)


def names(csl: dict, role: str = "author") -> list[dict]:
    value = csl.get(role) or []
    return [n for n in value if isinstance(n, dict) and (n.get("family") or n.get("literal") or n.get("given"))]


def creators_text(csl: dict) -> str:
    people = names(csl, "author") or names(csl, "editor") or names(csl, "director") or names(csl, "composer")
    return "; ".join(name_text(n) for n in people)[:1000]


# --- dates ------------------------------------------------------------------------------

def year_of(csl: dict) -> int | None:
    issued = csl.get("issued") or {}
    if isinstance(issued, dict):
        parts = issued.get("date-parts") or []
        if parts and parts[0] and str(parts[0][0]).strip().lstrip("-").isdigit():
            year = int(str(parts[0][0]).strip())
            return year if 0 < year < 10000 else None
        raw = issued.get("raw") or issued.get("literal") or ""
    else:
        raw = str(issued)
    match = re.search(r"\b(1[0-9]{3}|20[0-9]{2})\b", raw)
    return int(match.group(1)) if match else None


def date_parts(text: str | None) -> dict | None:
    """"2015-05-27" / "2015/05" / "May 2015" / "c1998." / "500 BC" → ``{"date-parts": [[...]]}``."""
    if not text:
        return None
    text = str(text).strip()
    era = re.fullmatch(r"-(\d{1,4})|(\d{1,4})\s*(?:BC|BCE|B\.\s?C\.(?:\s?E\.)?|av\.?\s*J\.?-?C\.?|v\.\s?Chr\.)", text, re.I)
    if era:  # BC: CSL's negative year ("-0500", "500 BC", "44 av. J.-C.")
        return {"date-parts": [[-int(era.group(1) or era.group(2))]]}
    match = re.match(r"^(\d{4})(?:[-/.](\d{1,2}))?(?:[-/.](\d{1,2}))?", text)
    if match:
        parts = [int(p) for p in match.groups() if p]
        if not parts[0]:
            return None  # "0000" (EndNote's placeholder year): no year
        if len(parts) > 1 and not 1 <= parts[1] <= 12:
            parts = parts[:1]
        if len(parts) > 2 and not 1 <= parts[2] <= 31:
            parts = parts[:2]
        return {"date-parts": [parts]}
    year = re.search(r"\b(1[0-9]{3}|20[0-9]{2})\b", text)
    return {"date-parts": [[int(year.group(1))]]} if year else None


# --- dates written as text (CSL-JSON "raw", a plain string) ------------------------------
# citeproc-js's CSL.DateParser (citeproc 2.4.63, ``parseDateToObject``), ported: what Zotero,
# Mendeley and pandoc hand to citeproc-js as ``{"raw": "..."}`` is read the same way here.
# Months by their first three letters (English), seasons as months 13–16 (spring, summer, fall,
# winter), numeric dates year first or month first ("2000-05-27", "5/27/2000"), a range split
# at "/" or "-" ("1998/1999", "May–June 2000", "Spring 1999 - Summer 2001"), "BC"/"AD", "c.",
# "circa", "?", "~" (circa), a leading "-" (a negative year).  Without a year, or with a year and
# a day but no month, it is no date: the text is kept as a literal date.
_DP_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec", "spr", "sum",
              "fal", "win")
_DP_YEAR_LAST = r"(?:[?0-9]{1,2}%N){0,2}[?0-9]{4}(?![0-9])"
_DP_YEAR_FIRST = r"[?0-9]{4}(?:%N[?0-9]{1,2}){0,2}(?![0-9])"
_DP_TOKEN = "(" + "|".join((_DP_YEAR_FIRST, _DP_YEAR_LAST, r"[?0-9]{1,3}", r"[%D]", r"[?~]", r"[^\-/~?0-9]+")) + ")"


def _dp_splitter(number_delim: str, range_delim: str) -> re.Pattern:
    return re.compile(_DP_TOKEN.replace("%N", number_delim).replace("%D", range_delim))


def _dp_numeric(out: dict, delim: str, suffix: str, text: str) -> None:
    parts = text.split(delim)
    for i, part in enumerate(parts):
        if len(part) == 4:
            out["year" + suffix] = part.lstrip("0")
            parts = parts[1:] if i == 0 else parts[:i]
            break
    numbers = [int(p) if p.isdigit() else 0 for p in parts]
    if len(numbers) == 1 or (len(numbers) == 2 and not numbers[1]):
        if numbers[0]:
            out["month" + suffix] = str(numbers[0])
    elif len(numbers) == 2:  # month first (citeproc-js's default order) unless that cannot be a month
        month, day = (numbers[1], numbers[0]) if numbers[0] > 12 else (numbers[0], numbers[1])
        if month:
            out["month" + suffix] = str(month)
            if day:
                out["day" + suffix] = str(day)


def parse_date_text(text: str) -> dict:
    """``"Spring 2000"`` → ``{"date-parts": [[2000, 13]]}``, ``"1998/1999"`` → a range,
    ``"c. 1850"`` → with ``circa``; text that is no date → ``{"literal": text}``."""
    orig = text = str(text).strip()
    text = re.sub(r"^(.*[0-9])T[0-9].*", r"\1", text)
    negative = text.startswith("-")
    if negative:
        text = text[1:]
    if re.fullmatch(r"[0-9]{1,3}", text):
        text = text.zfill(4)
    text = re.sub(r"\s*[0-9]{2}:[0-9]{2}(?::[0-9]+)", "", text)
    text = re.sub(r"([A-Za-z])\.", r"\1", text)
    if len(text) > 1 and text[0] == text[-1] == '"':
        return {"literal": text[1:-1]}
    if "/" in text and "-" in text:
        if text.count("/") > 2:
            range_delim, date_delim, splitter = "-", "/", _dp_splitter("/", "-")
        else:
            range_delim, date_delim, splitter = "/", "-", _dp_splitter("-", "/")
    else:
        text = text.replace("/", "-").replace("_", "-")
        range_delim, date_delim, splitter = "-", "-", _dp_splitter("-", "-")
    tokens = []
    for piece in splitter.split(text):
        match = re.fullmatch(r"\s*([-/]|[^-/~?0-9]+|[-~?0-9]+)\s*", piece or "")
        if match:
            tokens.append(match.group(1))
    sides = [tokens]
    if range_delim in tokens:
        at = tokens.index(range_delim)
        sides = [tokens[:at], tokens[at + 1:]]
    date: dict[str, Any] = {}
    for suffix, side in zip(("", "_end"), sides):
        number = note = ""
        for element in side:
            if date_delim in element:
                _dp_numeric(date, date_delim, suffix, element)
                continue
            if re.search(r"[0-9]{4}", element):
                date["year" + suffix] = element.lstrip("0")
                continue
            low = element.lower()
            if element in ("~", "?", "c") or low.startswith("cir"):
                date["circa"] = True
            month = next((i for i, m in enumerate(_DP_MONTHS, start=1) if low.startswith(m)), None)
            if month:
                date["month" + suffix] = str(month)
                continue
            if element.isdigit():
                number = element
            if low.startswith("bc") and number:
                date["year" + suffix], number = str(-int(number)), ""
                continue
            if low.startswith("ad") and number:
                date["year" + suffix], number = number, ""
                continue
            if re.search(r"mic|tri|hil|eas", low):  # law terms (Michaelmas...): citeproc-js's "season" text
                note = element
        if number:
            date["day" + suffix] = number
        if note:
            date.setdefault("season" + suffix, note.strip())
    if len(sides) == 2:
        for part in ("year", "month", "day"):
            if date.get(part) and not date.get(part + "_end"):
                date[part + "_end"] = date[part]
            elif not date.get(part) and date.get(part + "_end"):
                date[part] = date[part + "_end"]
    try:
        start = [int(date[p]) for p in ("year", "month", "day") if p in date]
        end = [int(date[p + "_end"]) for p in ("year", "month", "day") if p + "_end" in date]
    except ValueError:  # "?" for a digit ("19??"): no number
        return {"literal": orig}
    if not date.get("year") or not start[0] or ("day" in date and "month" not in date):
        return {"literal": orig}
    start = start[:[bool(n) for n in start + [0]].index(False)]
    if negative:
        start[0] = -start[0]
    out: dict[str, Any] = {"date-parts": [start]}
    end = end[:len(start)]
    if end and len(end) == len(start) and end != start:
        out["date-parts"].append(end)
    if date.get("circa"):
        out["circa"] = True
    if isinstance(date.get("season"), str) and not date["season"].isdigit():
        out["season"] = date["season"]
    return out


SEASON_NAMES = ("Spring", "Summer", "Fall", "Winter")  # as citeproc-js's parser reads them back ("spr", "sum", "fal", "win")


def seasons_of(date) -> list[tuple[int, int]]:
    """[(year, season 1–4)] of a stored date with a season — one (``season``) or a range from one season
    to another (date-parts months 21–24, validate._seasons) — else []."""
    if not isinstance(date, dict) or not date.get("date-parts"):
        return []
    parts = date["date-parts"]
    if len(parts) == 2 and all(len(p) == 2 and 21 <= int(p[1]) <= 24 for p in parts):
        return [(int(p[0]), int(p[1]) - 20) for p in parts]
    season = date.get("season")
    if str(season) in ("1", "2", "3", "4") and len(parts[0]) == 1:
        return [(int(parts[0][0]), int(str(season)))]
    return []


def season_text(date) -> str:
    """"Spring 1999", "Spring 1999 - Summer 2001": a season date as text citeproc-js's parser (and
    :func:`parse_date_text`) reads back; "" for any other date."""
    return " - ".join(f"{SEASON_NAMES[s - 1]} {y}" for y, s in seasons_of(date))


# --- whole items ------------------------------------------------------------------------

def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


def work_key(csl: dict) -> str:
    """Editions of one work share a key: first creator's family name + title proper (no
    subtitle, no leading article), folded to ASCII."""
    title = (csl.get("title") or "").split(":")[0].split(" / ")[0]
    title = re.sub(r"^(the|a|an|le|la|les|l'|der|die|das)\s+", "", _fold(title))
    people = names(csl, "author") or names(csl, "editor")
    who = _fold(people[0].get("family") or people[0].get("literal") or "") if people else ""
    if not title:
        return ""
    return f"{who}|{title}"[:200]


def clean(csl: dict, *, strict: bool = False, keep_invalid: bool = False) -> dict:
    """A copy of ``csl`` with empty fields dropped and identifiers normalised.  With ``strict``,
    an invalid ISBN/ISSN/DOI raises ``ValueError`` naming the field; with ``keep_invalid`` it is
    kept as given, for the lists app to refuse with its LST-2 rule (importers, cite it: an entry
    never loses an identifier silently); else it is dropped."""
    out: dict[str, Any] = {}
    for key, value in (csl or {}).items():
        if value in (None, "", [], {}):
            continue
        if isinstance(value, str):
            value = re.sub(r"\s+", " ", value).strip()
            if not value:
                continue
        out[key] = value
    for key, norm in (("ISBN", normalize_isbn), ("ISSN", normalize_issn), ("DOI", normalize_doi)):
        if key in out:
            values = split_identifiers(out[key]) if key != "DOI" else [out[key]]
            normalised = [norm(x) for x in values]
            good = [v for v in normalised if v]
            if keep_invalid and (not good or len(good) < len(normalised)):
                continue  # at least one is invalid: keep the value as given
            if not good:
                if strict:
                    raise ValueError(f"{key} {out[key]!r} is not valid")
                del out[key]
            else:
                out[key] = " ".join(dict.fromkeys(good))
    if "edition" in out:
        out["edition"] = normalize_edition(out["edition"])
    if out.get("type") and out["type"] not in TYPES:
        out["type"] = "document"
    for role in NAME_ROLES:
        if role in out:
            out[role] = [n for n in out[role] if isinstance(n, dict) and any(n.values())]
            if not out[role]:
                del out[role]
    return out


def identifier_tokens(csl: dict, extra: Iterable[str] = ()) -> list[str]:
    """Every identifier of ``csl`` as search tokens: ISBN-13 and ISBN-10 compact, ISSN
    compact (no hyphen), the DOI, and ``extra`` (OCLC numbers, other system ids)."""
    tokens: list[str] = []
    for value in split_identifiers(csl.get("ISBN")):
        isbn13 = normalize_isbn(value)
        if isbn13:
            tokens.extend(isbn_forms(isbn13))
    for value in split_identifiers(csl.get("ISSN")):
        issn = normalize_issn(value)
        if issn:
            tokens.append(issn.replace("-", ""))
    doi = doi_key(csl.get("DOI"))
    if doi:
        tokens.append(doi)  # folded: DOIs compare case-insensitively
    tokens.extend(t for t in extra if t)
    return list(dict.fromkeys(tokens))


def notes_text(csl: dict) -> str:
    """The abstract and notes of ``csl`` as one searchable text, with the title and names in
    their original script (MARC 880: Hebrew, Greek, Cyrillic, CJK...) so that they are found."""
    parts = [str(csl[k]).strip() for k in ("abstract", "note", "original-title") if csl.get(k) and str(csl[k]).strip()]
    parts.extend(name_text(n) for n in names(csl, "original-author"))
    return "\n".join(parts)


def display(csl: dict) -> str:
    """A short one-line description: "Austen, Jane (1813). Pride and prejudice"."""
    who = creators_text(csl)
    year = year_of(csl)
    parts = [who] if who else []
    if year:
        parts.append(f"({year})")
    head = " ".join(parts)
    return f"{head}. {csl.get('title', '')}" if head else csl.get("title", "")
