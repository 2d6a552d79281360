"""MARC21 (binary, ISO 2709) and MARCXML import into the catalog (DSV-1), read with pymarc.

Idempotent: a record is identified by 001 (else its first 035 $a) within the institution of
the target library; loading a file again updates what changed and creates nothing new.  A
record that cannot be read or mapped is reported by its position in the file and skipped;
the others load.  Each record is written inside its own savepoint, so a failing record
leaves nothing half-written.

Field mapping (also in docs/catalog.md):

* 001 / 035 $a record id (without either, one derived from 245, 1XX, 260/264 and 020); other
  035 $a, OCLC numbers → searchable identifiers
* Leader/06-07, 008/26 of a computer file, 502, 773 → CSL type (book, chapter, article-journal, periodical, thesis,
  motion_picture, song, map, musical_score, manuscript, dataset)
* 245 $a $b $n $p title · 100/110, 700/710 (relator $e/$4: edt → editor, trl →
  translator) names · 111/711 meetings ($a + units $e $q, relator $j/$4, $n $d $c → event-title,
  event-date, event-place; a 111 or a 711 $4 aut is also the author) · 250 edition · 264/260 $a place $b publisher $c date · 008/07-10 year
* 020 $a ISBN · 022 $a ISSN · 024 (ind1 7, $2 doi) and doi.org links in 856 → DOI
* 041 $a / 008/35-37 language · 300 pages · 490/830 series · 520 abstract
* 600/610/611/630/650/651/655 subjects · 773 $t host ($g volume/issue/pages, $x ISSN, $z ISBN)
* 856 ind2 0/1 (or blank) $u → e-resources ($3/$y provider, $z coverage note)
* 852 holdings: $b library code (falls back to --library), $c location, $h $i call number,
  $z public note, $8 link
* 876/877/878 items: $p barcode, $3 or $t description, $j status, $8 link to the 852 with
  the same $8 (else the last 852 before it); Koha-style 952: $p barcode, $a/$b library,
  $c location, $o call number, $y item type, $h description, $7/$1/$0 not-for-loan/lost/withdrawn.
"""
from __future__ import annotations

import codecs
import hashlib
import contextlib
import io
import logging
import re
import unicodedata
import warnings
import xml.sax
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Callable, ClassVar, Iterator

import pymarc
from defusedxml import DefusedXmlException
from defusedxml import sax as defused_sax
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from syllabus.citations import csl as cslmod
from syllabus.citations import identifiers
from syllabus.core import clock
from syllabus.core.loading import ImportReport
from syllabus.core.text import strip_control
from syllabus.org.models import Library

from .models import EResource, Holding, Item, Record
from .services import save_record

RELATOR_ROLES = {"edt": "editor", "editor": "editor", "ed": "editor", "trl": "translator", "translator": "translator",
                 "drt": "director", "director": "director", "cmp": "composer", "composer": "composer"}
# relators of bodies and people who are no creators of the work: the publisher (DNB and K10plus
# records add the publisher as a 710 $4 pbl), distributor, printer, funder, owner, host
NOT_CREATORS = {"pbl", "publisher", "dst", "distributor", "prt", "printer", "fnd", "funder", "own", "owner", "his",
                "host institution", "sponsor", "spn", "dpt", "depositor"}
# relators that make a meeting (711) a creator of the work rather than the event it records
MEETING_CREATORS = {"aut", "author", "verfasser", "cre", "creator", "auteur"}


def _meeting_name(f: pymarc.Field) -> str:
    """A meeting's name (X11): $a and its subordinate units $e and $q ("Deutsche Gesellschaft für
    Erziehungswissenschaft. Sektion Sonderpädagogik. Jahrestagung") — $e of a meeting is a unit, not
    a relator (that is $j)."""
    return ". ".join(p for p in (_strip(v).strip(" .") for v in _sub(f, "a", "e", "q")) if p)


def _before_title(f: pymarc.Field) -> pymarc.Field:
    """A name/title heading's name part: the subfields before $t ($n, $d after it number and date
    the work, not the meeting)."""
    codes = [sf.code for sf in f.subfields]
    if "t" not in codes:
        return f
    return pymarc.Field(tag=f.tag, indicators=f.indicators, subfields=f.subfields[:codes.index("t")])


def _meeting(f: pymarc.Field) -> dict:
    """The event of a meeting heading (X11): CSL event-title (the name, with $n its number), event-date ($d),
    event-place ($c); MARC's parentheses and colons ("(4th :", "1988 :", "San Diego, Calif.)") dropped."""
    def bare(code: str) -> str:
        return "; ".join(p for p in (re.sub(r"^[\s(]+|(?:\)\.|[\s):;,])+$", "", v) for v in _sub(f, code)) if p)

    name, number, date, place = _meeting_name(f), bare("n"), bare("d"), bare("c")
    event: dict = {"event-title": f"{name} ({number})" if number else name}
    if place:
        event["event-place"] = place
    if parts := cslmod.date_parts(date):
        event["event-date"] = parts
    return event


# an uncontrolled name (720) whose "given" part is a company's suffix is a company, not a person
_COMPANY = re.compile(r"(?i),\s*(inc|ltd|llc|gmbh|corp|co|plc|ag|sa|s\.a|b\.v|n\.v)\.?$")


@dataclass
class MarcReport(ImportReport):
    """The loaders' report (``core.loading``), counted in records, with what a MARC file adds."""

    unit: ClassVar[str] = "record"

    read: int = 0
    withdrawn: int = 0
    holdings_created: int = 0
    items_created: int = 0
    items_updated: int = 0
    eresources_created: int = 0
    warnings: list[str] = field(default_factory=list)
    stopped: str = ""

    def summary(self) -> str:
        text = (f"{self.read} records read: {self.created} created, {self.updated} updated, {self.unchanged} unchanged, "
                f"{self.withdrawn} withdrawn, {len(self.rejected)} rejected; {self.holdings_created} holdings, {self.items_created} items created, "
                f"{self.items_updated} items updated, {self.eresources_created} e-resources created")
        return text + (f"; reading stopped: {self.stopped}" if self.stopped else "")


# --- mapping ---------------------------------------------------------------------------------

@dataclass
class MappedItem:
    barcode: str
    library_code: str = ""
    location: str = ""
    call_number: str = ""
    item_type: str = ""
    description: str = ""
    status: str = Item.Status.IN_PLACE
    link: str = ""


@dataclass
class MappedHolding:
    library_code: str = ""
    location: str = ""
    call_number: str = ""
    public_note: str = ""
    link: str = ""


@dataclass
class MappedRecord:
    source_id: str
    csl: dict
    subjects: list[str]
    extra_ids: list[str]
    holdings: list[MappedHolding]
    items: list[MappedItem]
    eresources: list[dict]
    deleted: bool = False


class MappingError(ValueError):
    pass


def _strip(text: str | None) -> str:
    """Drop ISBD end punctuation (" /", " :", ";", ",", a final "." after a word)."""
    text = re.sub(r"\s+", " ", text or "").strip()
    text = re.sub(r"\s*[/:;,=]\s*$", "", text)
    if text.endswith(".") and not re.search(r"(\b[A-Z]|\b[a-z]{1,3}|\.\.)\.$", text):
        text = text[:-1]
    text = text.strip()
    if text.startswith("[") and (text.endswith("]") or "]" not in text):  # "[Washington, D.C." of "[Place : Publisher]"
        text = text[1:]
    if text.endswith("]") and "[" not in text:  # its "Publisher]"
        text = text[:-1]
    return _strip(text) if text != text.strip() or re.search(r"\s*[/:;,=]\s*$", text) else text.strip()


def _sub(f: pymarc.Field, *codes: str) -> list[str]:
    return [v for v in f.get_subfields(*codes) if v and v.strip()]


def _first(rec: pymarc.Record, tag: str, *codes: str) -> str:
    for f in rec.get_fields(tag):
        values = _sub(f, *codes)
        if values:
            return values[0]
    return ""


def _type(rec: pymarc.Record) -> str:
    leader = str(rec.leader or "")
    kind = leader[6:7] if len(leader) > 7 else "a"
    level = leader[7:8] if len(leader) > 7 else "m"
    if rec.get_fields("502"):
        return "thesis"
    if kind in ("a", "t"):
        if level in ("s", "i"):
            return "periodical"
        if level in ("a", "b"):
            host = rec.get_fields("773")
            return "chapter" if host and _sub(host[0], "z") else "article-journal"
        return "manuscript" if kind == "t" else "book"
    if kind == "m":
        return _computer_file_type(rec)
    return {"g": "motion_picture", "i": "song", "j": "song", "e": "map", "f": "map", "c": "musical_score",
            "d": "musical_score", "k": "graphic", "p": "manuscript"}.get(kind, "book")


# 008/26 of a computer file (leader/06 m): what kind of file it is
_COMPUTER_FILE = {"a": "dataset", "e": "dataset", "b": "software", "f": "software", "g": "software", "d": "book",
                  "h": "song", "j": "webpage"}


def _computer_file_type(rec: pymarc.Record) -> str:
    """Leader/06 ``m`` is "computer file", which many catalogues (the DNB's among them) also use
    for e-books: 008/26 says what the file is; without it, a file with an ISBN is a book, one
    with a web address a web site, else a dataset (Zotero reads such e-books as books)."""
    f008 = rec.get_fields("008")
    data = (f008[0].data or "") if f008 else ""
    if len(data) > 26 and data[26] in _COMPUTER_FILE:
        return _COMPUTER_FILE[data[26]]
    if rec.get_fields("020"):
        return "book"
    return "webpage" if any(_sub(f, "u") for f in rec.get_fields("856")) else "dataset"


def _year(rec: pymarc.Record, date_text: str) -> int | None:
    f008 = rec.get_fields("008")
    if f008:
        data = f008[0].data or ""
        y = data[7:11]
        if y.isdigit() and 1000 <= int(y) <= clock.now().year + 1:
            return int(y)
    parts = cslmod.date_parts(re.sub(r"^[^0-9]*", "", date_text or ""))
    return parts["date-parts"][0][0] if parts else None


def _status(text: str) -> str:
    t = (text or "").lower()
    if not t or any(w in t for w in ("in place", "in_place", "available", "on shelf", "in library")):
        return Item.Status.IN_PLACE
    if any(w in t for w in ("loan", "checked out", "charged", "due")):
        return Item.Status.ON_LOAN
    if any(w in t for w in ("missing", "lost", "withdrawn")):
        return Item.Status.MISSING
    if any(w in t for w in ("process", "acquisition", "transit", "order", "binding", "technical")):
        return Item.Status.IN_PROCESS
    return Item.Status.IN_PLACE


def _parse_773g(text: str, out: dict) -> None:
    if m := re.search(r"(?:v\.|vol\.?|volume)\s*(\d+)", text, re.I):
        out["volume"] = m.group(1)
    if m := re.search(r"(?:no\.|nr\.?|issue|iss\.)\s*(\d+)", text, re.I):
        out["issue"] = m.group(1)
    if m := re.search(r"(?:p\.|pp\.|pages?)\s*(\d+\s*-\s*\d+|\d+)", text, re.I):
        out["page"] = m.group(1).replace(" ", "")


def _content_id(rec: pymarc.Record) -> str:
    """A record without 001 or 035 (exports of journal systems, Zotero's own MARCXML) gets an id
    from what it says — title, names, publication, ISBN — so that loading it again finds it again."""
    parts = [" ".join(_sub(f, *"abcdefghijklmnopqrstuvwxyz")) for tag in ("245", "100", "110", "111", "260", "264", "020")
             for f in rec.get_fields(tag)]
    if not any(parts[:1]) or not rec.get_fields("245"):
        return ""
    text = unicodedata.normalize("NFC", "|".join(parts)).casefold()
    return "content:" + hashlib.sha1(text.encode()).hexdigest()[:20]


def map_record(rec: pymarc.Record) -> MappedRecord:
    """A pymarc record → what the catalog keeps; raises :class:`MappingError` when it has no
    id or no title."""
    control = rec.get_fields("001")
    source_id = (control[0].data or "").strip() if control else ""
    ids_035 = [v.strip() for f in rec.get_fields("035") for v in _sub(f, "a")]
    if not source_id and ids_035:
        source_id = ids_035[0]
    if not source_id:
        source_id = _content_id(rec)
    if not source_id:
        raise MappingError("DSV-1: no record id (001 or 035 $a) and no title to derive one from")
    if str(rec.leader or "")[5:6] == "d":  # a deleted record: what matters is which one
        return MappedRecord(source_id=source_id[:120], csl={}, subjects=[], extra_ids=[], holdings=[], items=[],
                            eresources=[], deleted=True)
    f245 = rec.get_fields("245")
    title_parts = _sub(f245[0], "a", "b", "n", "p") if f245 else []
    # "Deep learning :" + "an introduction /" → "Deep learning: an introduction"
    title = _strip(re.sub(r"\s+([:;])\s*", r"\1 ", " ".join(p.strip() for p in title_parts)))
    if not title:
        if not f245 and any(f.get_subfields("a") for f in rec.get_fields("200")):  # UNIMARC's title is 200 $a
            raise MappingError("no title (245 $a): a UNIMARC record (its title in 200 $a)? Syllabus reads MARC 21; "
                               "convert the file to MARC 21 first")
        raise MappingError("no title (245 $a)")
    data: dict = {"type": _type(rec), "title": title}

    names: dict[str, list[dict]] = {}
    for tag in ("100", "110", "111", "700", "710", "711", "720"):
        for f in rec.get_fields(tag):
            meeting = tag[1:] == "11"
            raw = _meeting_name(f) if meeting else " ".join(_sub(f, "a", "b") if tag[1:] == "10" else _sub(f, "a"))
            if not raw:
                continue
            relators = [r.strip(" .,").lower() for r in _sub(f, "j" if meeting else "e", "4")]
            if meeting:
                # the conference of a proceedings: its event; the author too when it is the main entry
                # (111) or a 711 whose relator says so ($4 aut) — an added 711 is the event only. A 711
                # with $t names a work of the meeting: an analytical entry (second indicator 2) is a work
                # this item contains (its proceedings in a volume, MARC 21 711), so the meeting — the
                # subfields before $t — is the item's event; another ($t, indicator blank) only relates
                if "event-title" not in data and (not _sub(f, "t") or tag == "711" and f.indicator2 == "2"):
                    data.update(_meeting(_before_title(f)))
                if _sub(f, "t") or tag == "711" and not any(r in MEETING_CREATORS for r in relators):
                    continue
            if relators and all(r in NOT_CREATORS for r in relators):
                continue
            role = next((RELATOR_ROLES[r] for r in relators if r in RELATOR_ROLES), "author")
            personal = tag.endswith("00") or tag == "720" and f.indicator1 != "2" and not _COMPANY.search(_strip(raw))
            person = cslmod.parse_name(raw) if personal else {"literal": _strip(raw)}
            if person and person not in names.setdefault(role, []):
                names[role].append(person)
    for role, people in names.items():
        data[role] = people

    edition = _strip(_first(rec, "250", "a"))
    if edition:
        data["edition"] = edition
    pub = next((f for f in rec.get_fields("264") if f.indicator2 in ("1", " ")), None) or next(iter(rec.get_fields("260")), None)
    date_text = ""
    if pub is not None:
        if place := "; ".join(p for p in (_strip(a).rstrip(" ;:") for a in _sub(pub, "a")) if p):  # "Berlin ; Heidelberg"
            data["publisher-place"] = place
        if publisher := _strip(" ".join(_sub(pub, "b")[:1])):
            data["publisher"] = publisher
        date_text = " ".join(_sub(pub, "c")[:1])
    year = _year(rec, date_text)
    if year:
        data["issued"] = {"date-parts": [[year]]}

    isbns = [i for i in (identifiers.normalize_isbn(v) for f in rec.get_fields("020") for v in _sub(f, "a")) if i]
    issns = [i for i in (identifiers.normalize_issn(v) for f in rec.get_fields("022") for v in _sub(f, "a")) if i]
    doi = ""
    for f in rec.get_fields("024"):
        if f.indicator1 == "7" and any(s.lower() == "doi" for s in _sub(f, "2")):
            doi = identifiers.normalize_doi(_first_sub(f, "a")) or doi
    urls = [(f, u) for f in rec.get_fields("856") for u in _sub(f, "u")]
    if not doi:
        doi = next((identifiers.normalize_doi(u) for _f, u in urls if "doi.org/" in u.lower()), None) or ""
    if isbns:
        data["ISBN"] = " ".join(dict.fromkeys(isbns))
    if issns:
        data["ISSN"] = " ".join(dict.fromkeys(issns))
    if doi:
        data["DOI"] = doi
    if urls:
        data["URL"] = urls[0][1].strip()

    lang = _first(rec, "041", "a")[:3]
    f008 = rec.get_fields("008")
    if not lang and f008 and len(f008[0].data or "") >= 38:
        lang = (f008[0].data or "")[35:38].strip()
    if lang and lang not in ("und", "|||", "zxx"):
        data["language"] = lang
    if pages := re.findall(r"(\d+)\s*(?:p\b|pages)", _first(rec, "300", "a")):
        data["number-of-pages"] = max(pages, key=int)
    series = _strip(_first(rec, "490", "a") or _first(rec, "830", "a"))
    if series:
        data["collection-title"] = series
    if abstract := _first(rec, "520", "a"):
        data["abstract"] = abstract.strip()
    for f in rec.get_fields("773")[:1]:
        if host := _strip(_first_sub(f, "t")):
            data["container-title"] = host
        if g := _first_sub(f, "g"):
            _parse_773g(g, data)
        if (x := identifiers.normalize_issn(_first_sub(f, "x"))) and "ISSN" not in data:
            data["ISSN"] = x
        if (z := identifiers.normalize_isbn(_first_sub(f, "z"))) and "ISBN" not in data:
            data["ISBN"] = z

    # 880: the same fields in their original script (Hebrew, Greek, Cyrillic, CJK...), linked by $6
    for f in rec.get_fields("880"):
        link = (_first_sub(f, "6") or "")[:3]
        if link == "245" and "original-title" not in data:
            parallel = _strip(re.sub(r"\s+([:;])\s*", r"\1 ", " ".join(p.strip() for p in _sub(f, "a", "b", "n", "p"))))
            if parallel and parallel != title:
                data["original-title"] = parallel
        elif link in ("100", "110", "111", "700", "710", "711"):
            raw = _meeting_name(f) if link[1:] == "11" else " ".join(_sub(f, "a", "b") if link[1:] == "10" else _sub(f, "a"))
            person = cslmod.parse_name(raw) if link.endswith("00") else {"literal": _strip(raw)}
            if person:
                data.setdefault("original-author", []).append(person)
    subjects = []
    for tag in ("600", "610", "611", "630", "650", "651", "655"):
        for f in rec.get_fields(tag):
            parts = [_strip(p) for p in _sub(f, "a", "b", "t", "x", "y", "z", "v")]
            if parts:
                subjects.append(" -- ".join(p for p in parts if p))
    extra = []
    for value in ids_035:
        extra.append(re.sub(r"[^\w]+", "", value).lower())
        if digits := re.sub(r"\D", "", value):
            extra.append(digits)
    extra.append(re.sub(r"[^\w]+", "", source_id).lower())

    holdings: list[MappedHolding] = []
    items: list[MappedItem] = []
    for f in rec.get_fields("852"):
        holdings.append(MappedHolding(library_code=_first_sub(f, "b").strip(), location=_strip(_first_sub(f, "c")),
                                      call_number=" ".join(_sub(f, "h", "i")).strip(),
                                      public_note=_first_sub(f, "z").strip(), link=_first_sub(f, "8").split(".")[0]))
    for f in rec.get_fields("876", "877", "878"):
        barcode = _first_sub(f, "p").strip()
        if not barcode:
            continue
        link = _first_sub(f, "8").split(".")[0]
        items.append(MappedItem(barcode=barcode, description=(_first_sub(f, "3") or _first_sub(f, "t")).strip(),
                                status=_status(_first_sub(f, "j")), link=link))
    for f in rec.get_fields("952"):
        barcode = _first_sub(f, "p").strip()
        if not barcode:
            continue
        unavailable = any(v.strip() not in ("", "0") for v in _sub(f, "7", "1", "0"))
        items.append(MappedItem(barcode=barcode, library_code=(_first_sub(f, "b") or _first_sub(f, "a")).strip(),
                                location=_strip(_first_sub(f, "c")), call_number=_first_sub(f, "o").strip(),
                                item_type=_first_sub(f, "y").strip().lower()[:40], description=_first_sub(f, "h").strip(),
                                status=Item.Status.MISSING if unavailable else Item.Status.IN_PLACE))
    eresources = []
    for f, url in urls:
        if f.indicator2 not in (" ", "0", "1", "") or "doi.org/" in url.lower() and len(urls) > 1:
            continue
        eresources.append({"url": url.strip(), "provider": (_first_sub(f, "3") or _first_sub(f, "y")).strip()[:200],
                           "coverage": _first_sub(f, "z").strip()[:200]})
    return MappedRecord(source_id=source_id[:120], csl=data, subjects=subjects, extra_ids=extra, holdings=holdings,
                        items=items, eresources=eresources)


def _first_sub(f: pymarc.Field, code: str) -> str:
    values = f.get_subfields(code)
    return values[0] if values else ""


# --- reading --------------------------------------------------------------------------------

def _is_xml(head: bytes) -> bool:
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")


RECORD_TERMINATOR = b"\x1d"
_CHUNK = 1 << 20


def _frames(stream: BinaryIO) -> Iterator[bytes]:
    """The records of an ISO 2709 stream, cut at their record terminators (0x1D) and not at
    the length their leader claims: a record whose length is wrong costs that record, never
    the rest of the file (pymarc's reader trusts the leader and cannot resynchronise)."""
    rest = b""
    while True:
        chunk = stream.read(_CHUNK)
        if not chunk:
            break
        rest += chunk
        *whole, rest = rest.split(RECORD_TERMINATOR)
        for data in whole:
            yield data + RECORD_TERMINATOR
    if rest.strip(b"\r\n\x00 \x1a"):
        yield rest


_ANSEL = frozenset(pymarc.marc8_mapping.CODESETS[0x45]) | frozenset(pymarc.marc8_mapping.ODD_MAP)


def _not_marc8(data: bytes) -> str:
    """Why the fields of a record whose leader/09 says MARC-8 cannot be MARC-8, or "".  A
    field switching character sets (ESC) is left to pymarc; elsewhere the default G1 set is
    ANSEL, so a byte that ANSEL does not define, or a run of four or more bytes above 0x7F (a
    word of Windows-1251, KOI8-R, Latin-1 or UTF-8 text; ANSEL's diacritics stack on an ASCII
    letter), means another character set.  pymarc would turn such bytes into combining marks
    and spaces: a title of diacritics (DSV-1)."""
    base = int(data[12:17]) if data[12:17].isdigit() else 0
    directory = data[24:base - 1] if base > 24 else b""
    for start in range(0, len(directory) - 11, 12):
        entry = directory[start:start + 12]
        if not entry[3:12].isdigit():
            return ""
        tag, length, offset = entry[:3].decode("ascii", "replace"), int(entry[3:7]), int(entry[7:12])
        body = data[base + offset:base + offset + length]
        if b"\x1b" in body:
            continue
        run = 0
        for byte in body:
            if byte < 0x80:
                run = 0
                continue
            run += 1
            if byte not in _ANSEL:
                return f"byte 0x{byte:X} of field {tag} is not a MARC-8 character"
            if run >= 4:
                return f"field {tag} has {run} characters above 0x7F in a row, which MARC-8 never writes"
    return ""


class _Quiet:
    """What pymarc writes to stderr or logs while it reads one record (a repaired indicator, a
    cut EACC character), kept for the report instead of lines on the terminal with no record
    named."""

    def __init__(self):
        self.notes: list[str] = []
        self.bad_codes: list[bytes] = []  # the subfields pymarc found no ASCII code for

    def __enter__(self):
        self._warnings = warnings.catch_warnings(record=True)
        self._caught = self._warnings.__enter__()
        warnings.simplefilter("always")
        self._stderr = io.StringIO()
        self._redirect = contextlib.redirect_stderr(self._stderr)
        self._redirect.__enter__()
        self._handler = _ListHandler(self.notes)
        self._logger = logging.getLogger("pymarc")
        self._logger.addHandler(self._handler)
        self._propagate, self._logger.propagate = self._logger.propagate, False
        return self

    def __exit__(self, *exc):
        self._logger.removeHandler(self._handler)
        self._logger.propagate = self._propagate
        self._redirect.__exit__(*exc)
        self._warnings.__exit__(*exc)
        self.notes.extend(str(w.message) for w in self._caught or ())
        self.bad_codes.extend(w.message.subf for w in self._caught or ()
                              if isinstance(w.message, pymarc.exceptions.BadSubfieldCodeWarning))
        self.notes.extend(line.strip() for line in self._stderr.getvalue().splitlines() if line.strip())
        return False


class _ListHandler(logging.Handler):
    def __init__(self, notes: list[str]):
        super().__init__(logging.WARNING)
        self.notes = notes

    def emit(self, record: logging.LogRecord) -> None:
        self.notes.append(record.getMessage())


def _join(*parts: str) -> str:
    return "; ".join(p for p in parts if p)


def _decode(data: bytes, encoding: str = "") -> tuple[pymarc.Record | None, str, str]:
    """(record, error, warning) of one framed record.  Leader/09 decides the encoding: ``a``
    UTF-8, blank MARC-8, converted by pymarc's MARC-8 tables (diacritics, Greek, Cyrillic,
    Hebrew, Arabic, CJK/EACC); a MARC-8 record that cannot be converted — or whose bytes are
    no MARC-8 at all — is read as UTF-8 (many systems export UTF-8 without setting leader/09),
    and refused when it is not UTF-8 either (DSV-1: never a title of stray diacritics).
    ``encoding`` (e.g. ``cp1251``) reads the records whose leader/09 is blank in that
    character set instead of MARC-8."""
    with _Quiet() as quiet:
        record, error, warning = _decode_quietly(data, encoding)
    if record is not None:
        _repair_lost_codes(record, quiet.bad_codes)
        _compose(record)
    if quiet.notes:
        warning = _join(warning, "repaired while reading: " + "; ".join(dict.fromkeys(quiet.notes)))
    return record, error, warning


LOST_CODE = "\ufffd".encode()


def _repair_lost_codes(record: pymarc.Record, bad: list[bytes]) -> None:
    """A subfield code that an earlier conversion turned into U+FFFD ("\\x1f\\ufffdbAssociation of
    Teacher Educators", pymarc's utf8_invalid.mrc): the letter after it is the code, which pymarc
    takes but also leaves in the value ("$b bAssociation..."); it is taken out of the value."""
    for raw in bad:
        if not raw.startswith(LOST_CODE) or len(raw) < 5:
            continue
        text = raw[len(LOST_CODE):].decode("utf-8", "replace")
        for f in record.get_fields():
            if f.is_control_field():
                continue
            f.subfields = [pymarc.Subfield(s.code, s.value[1:]) if s.value == text and s.code == text[:1] else s
                           for s in f.subfields]


def _compose(record: pymarc.Record) -> None:
    """UTF-8 MARC is often decomposed (NFD: "a" + U+0304, as LC writes it): composed (NFC), as what
    people type, RIS/BibTeX imports and MARC-8 conversions are, so that the same title is the same text."""
    for f in record.get_fields():
        if f.is_control_field():
            continue
        if any(not unicodedata.is_normalized("NFC", s.value) for s in f.subfields):
            f.subfields = [pymarc.Subfield(s.code, unicodedata.normalize("NFC", s.value)) for s in f.subfields]


def _decode_quietly(data: bytes, encoding: str) -> tuple[pymarc.Record | None, str, str]:
    warning = ""
    if len(data) < 24 or not data[:5].isdigit():
        return None, "no MARC leader (24 characters starting with the record length)", ""
    if int(data[:5]) != len(data):
        warning = f"the leader gives a length of {int(data[:5])} bytes but the record has {len(data)}; read up to its terminator"
        data = b"%05d" % len(data) + data[5:] if len(data) < 100000 else data
    utf8 = data[9:10] == b"a"
    if encoding and not utf8:
        try:  # pymarc takes the name "iso8859-1" for MARC-8
            name = "latin-1" if codecs.lookup(encoding).name == "iso8859-1" else encoding
            return pymarc.Record(data, to_unicode=True, file_encoding=name, utf8_handling="strict"), "", warning
        except Exception as exc:
            return None, f"DSV-1: not readable as {encoding}: {type(exc).__name__}: {exc}", warning
    doubt = "" if utf8 else _not_marc8(data)
    if not doubt:
        try:
            return pymarc.Record(data, to_unicode=True, force_utf8=utf8, hide_utf8_warnings=True,
                                 utf8_handling="strict"), "", warning
        except Exception as exc:
            first = f"{type(exc).__name__}: {exc}"
    if not utf8:  # MARC-8 that pymarc cannot convert: try it as UTF-8 before giving up
        try:
            record = pymarc.Record(data, to_unicode=True, force_utf8=True, utf8_handling="strict")
            return record, "", _join(warning, "leader/09 says MARC-8 but the record is UTF-8")
        except Exception:
            pass
    if doubt:
        return None, (f"DSV-1: leader/09 says MARC-8 but the record is neither MARC-8 nor UTF-8 ({doubt}): "
                      "it is in another character set (Windows-1251, Latin-1...); load the file with "
                      "--encoding (e.g. --encoding cp1251) or convert it to UTF-8"), warning
    try:
        record = pymarc.Record(data, to_unicode=True, force_utf8=True, utf8_handling="replace")
        return record, "", _join(warning, f"characters that could not be read were replaced ({first})")
    except Exception as exc:
        return None, f"{type(exc).__name__}: {exc}", warning


def iter_binary(stream: BinaryIO, encoding: str = "") -> Iterator[tuple[int, pymarc.Record | None, str, str]]:
    """(position, record or None, error, warning) for each record of an ISO 2709 file."""
    for position, data in enumerate(_frames(stream), start=1):
        record, error, warning = _decode(data, encoding)
        yield position, record, error, warning


def _parse_xml(stream: BinaryIO, handler: pymarc.XmlHandler) -> None:
    """``pymarc.parse_xml`` on defusedxml's SAX parser: an ``<!ENTITY>`` declaration or an external
    reference raises ``DefusedXmlException`` instead of being expanded or fetched."""
    parser = defused_sax.make_parser()
    parser.setContentHandler(handler)
    parser.setFeature(xml.sax.handler.feature_namespaces, 1)
    parser.parse(stream)


class _StreamingHandler(pymarc.XmlHandler):
    """pymarc's SAX handler, one record at a time; an element that breaks a record marks
    that record as broken instead of stopping the file."""

    def __init__(self, callback: Callable[[int, pymarc.Record | None, str], None]):
        super().__init__(strict=False, normalize_form="NFC")
        self.callback = callback
        self.position = 0
        self.error = ""
        self.in_record = False

    def startElementNS(self, name, qname, attrs):
        if name[1] == "record":
            self.position += 1
            self.error = ""
            self.in_record = True
        if self.error:
            return
        try:
            super().startElementNS(name, qname, attrs)
        except Exception as exc:  # e.g. a datafield without its tag attribute
            self.error = f"malformed <{name[1]}> element: {type(exc).__name__} {exc}"

    def endElementNS(self, name, qname):
        if name[1] == "record" and self.in_record:
            self.in_record = False
            if self.error:
                self.callback(self.position, None, self.error)
                self._record, self._field = None, None
                return
        if self.error:
            return
        if name[1] == "leader" and len("".join(self._text)) != 24:
            # a leader of the wrong length (hand-made exports: "nm 22 uu 4500") says nothing
            # reliable: the record is read with the leader of a book, as Zotero reads it
            self._text = [DEFAULT_LEADER]
        try:
            super().endElementNS(name, qname)
        except Exception as exc:
            self.error = f"malformed <{name[1]}> element: {type(exc).__name__} {exc}"

    def process_record(self, record):
        self.callback(self.position, record, "")


# --- loading ---------------------------------------------------------------------------------

class _Loader:
    def __init__(self, library: Library, report: MarcReport, batch: int):
        self.library = library
        self.institution = library.institution
        self.libraries = {lib.code: lib for lib in Library.objects.filter(institution=self.institution)}
        self.report = report
        self.batch = batch
        self.pending: list[tuple[int, MappedRecord]] = []

    def add(self, position: int, rec: pymarc.Record | None, error: str) -> None:
        self.report.read += 1
        if rec is None:
            self.report.reject(position, error)
            return
        try:
            mapped = map_record(rec)
        except MappingError as exc:
            control = rec.get_fields("001")
            self.report.reject(position, str(exc), control[0].data if control else "")
            return
        except Exception as exc:  # a record pymarc read but that breaks the mapping
            self.report.reject(position, f"cannot map: {type(exc).__name__}: {exc}")
            return
        self.pending.append((position, mapped))
        if len(self.pending) >= self.batch:
            self.flush()

    def flush(self) -> None:
        """Store the pending records: what exists already is read once per batch (records,
        their holdings and e-resources, items by barcode), so that an unchanged record costs
        no query; each record is still written inside its own savepoint."""
        if not self.pending:
            return
        batch, self.pending = self.pending, []
        cache = _BatchCache(self.institution, batch)
        with transaction.atomic():
            for position, mapped in batch:
                added = _Added()
                try:
                    with transaction.atomic():
                        self._store(mapped, cache, added)
                except (IntegrityError, _Reject) as exc:
                    self.report.reject(position, str(exc), mapped.source_id)
                    cache.forget(mapped.source_id)  # it may have been changed in memory by the rolled-back write
                    continue
                cache.merge(added)

    def _library(self, code: str) -> Library:
        if code and code in self.libraries:
            return self.libraries[code]
        if code:
            note = f"unknown library code {code!r}: items placed in {self.library.code}"
            if note not in self.report.warnings:
                self.report.warnings.append(note)
        return self.library

    def _holding(self, record: Record, lib: Library, location: str, call_number: str, note: str, cache: "_BatchCache",
                 added: "_Added") -> Holding:
        key = (record.pk, lib.pk, location, call_number)
        holding = added.holdings.get(key) or cache.holdings.get(key)
        if holding is None:
            holding = Holding.objects.create(record=record, library=lib, location=location, call_number=call_number,
                                             public_note=note)
            added.holdings[key] = holding
            added.holdings_created += 1
        return holding

    def _withdraw(self, m: MappedRecord, cache: "_BatchCache", added: "_Added") -> None:
        """A deleted record (leader/05 = d) withdraws ours: it leaves the catalog with its
        holdings and items; list items that cited it keep their metadata (DSV-1)."""
        existing = added.records.get(m.source_id) or cache.records.get(m.source_id)
        if existing is None:
            self.report.unchanged += 1  # deleted at the source and never loaded here: nothing to do
            return
        try:
            existing.delete()
        except ProtectedError as exc:
            refs = sorted({str(obj._meta.verbose_name_plural) for obj in exc.protected_objects})
            raise _Reject(f"deleted at the source but still used by {', '.join(refs)}: kept") from None
        added.records.pop(m.source_id, None)
        cache.records.pop(m.source_id, None)
        self.report.withdrawn += 1

    def _store(self, m: MappedRecord, cache: "_BatchCache", added: "_Added") -> None:
        if m.deleted:
            self._withdraw(m, cache, added)
            return
        existing = added.records.get(m.source_id) or cache.records.get(m.source_id)
        saved = save_record(None, self.institution, m.csl, source_id=m.source_id, subjects=m.subjects,
                            extra_identifiers=m.extra_ids, audit_trail=False, existing=existing)
        record = saved.record
        added.records[m.source_id] = record
        counts = {"created": 0, "updated": 0}
        holdings_by_link: dict[str, Holding] = {}
        last_holding: Holding | None = None
        for h in m.holdings:
            holding = self._holding(record, self._library(h.library_code), h.location, h.call_number, h.public_note, cache, added)
            if h.link:
                holdings_by_link[h.link] = holding
            last_holding = holding
        item_type = {"periodical": "journal", "motion_picture": "video", "song": "audio"}.get(record.type, "book")
        for it in m.items:
            holding = holdings_by_link.get(it.link) or last_holding
            if holding is not None and not it.library_code:
                lib, location, call_number = holding.library, it.location or holding.location, it.call_number or holding.call_number
            else:
                lib, location, call_number = self._library(it.library_code), it.location, it.call_number
                if holding is None or holding.library_id != lib.pk:
                    holding = self._holding(record, lib, location, call_number, "", cache, added)
            values = {"library": lib, "location": location, "call_number": call_number, "holding": holding,
                      "item_type": it.item_type or item_type, "description": it.description, "status": it.status}
            item = added.items.get(it.barcode) or cache.items.get(it.barcode)
            if item is None:
                added.items[it.barcode] = Item.objects.create(record=record, barcode=it.barcode, **values)
                counts["created"] += 1
                continue
            if item.record_id != record.pk:
                raise _Reject(f"item barcode {it.barcode} already belongs to another record (id {item.record_id})")
            ids = {"library": lib.pk, "holding": holding.pk if holding else None}  # compare keys, not related rows
            changed = [k for k, v in values.items() if (getattr(item, f"{k}_id") != ids[k] if k in ids else getattr(item, k) != v)]
            if changed:
                for k in changed:
                    setattr(item, k, values[k])
                item.save(update_fields=changed)
                counts["updated"] += 1
        urls = cache.urls.get(record.pk, set()) | added.urls.get(record.pk, set())
        for e in m.eresources:
            if e["url"] in urls:
                continue
            EResource.objects.create(record=record, institution=self.institution, url=e["url"][:1000], provider=e["provider"],
                                     coverage=e["coverage"], open_access=False)
            urls.add(e["url"])
            added.urls.setdefault(record.pk, set()).add(e["url"])
            added.eresources_created += 1
        self.report.items_created += counts["created"]
        self.report.items_updated += counts["updated"]
        self.report.holdings_created += added.holdings_created
        self.report.eresources_created += added.eresources_created
        outcome = saved.outcome
        if outcome == "unchanged" and (counts["created"] or counts["updated"]):
            outcome = "updated"
        setattr(self.report, outcome, getattr(self.report, outcome) + 1)


@dataclass
class _Added:
    """What one record's savepoint wrote: merged into the batch cache only if it commits."""

    records: dict = field(default_factory=dict)
    holdings: dict = field(default_factory=dict)
    items: dict = field(default_factory=dict)
    urls: dict = field(default_factory=dict)
    holdings_created: int = 0
    eresources_created: int = 0


class _BatchCache:
    def __init__(self, institution, batch: list[tuple[int, MappedRecord]]):
        source_ids = {m.source_id for _p, m in batch}
        self.records = {r.source_id: r for r in Record.objects.filter(institution=institution, source_id__in=source_ids)}
        record_ids = [r.pk for r in self.records.values()]
        self.holdings = {(h.record_id, h.library_id, h.location, h.call_number): h
                         for h in Holding.objects.filter(record_id__in=record_ids).select_related("library")}
        barcodes = {it.barcode for _p, m in batch for it in m.items}
        self.items = {i.barcode: i for i in Item.objects.filter(barcode__in=barcodes)}
        self.urls: dict[int, set] = {}
        for record_id, url in EResource.objects.filter(record_id__in=record_ids).values_list("record_id", "url"):
            self.urls.setdefault(record_id, set()).add(url)

    def forget(self, source_id: str) -> None:
        if source_id in self.records:
            self.records[source_id] = Record.objects.get(pk=self.records[source_id].pk)

    def merge(self, added: _Added) -> None:
        self.records.update(added.records)
        self.holdings.update(added.holdings)
        self.items.update(added.items)
        for record_id, urls in added.urls.items():
            self.urls.setdefault(record_id, set()).update(urls)


DEFAULT_LEADER = "00000nam a2200000 u 4500"


class _Reject(Exception):
    pass


def import_marc(source: str | Path | bytes | BinaryIO, library: Library, *, fmt: str = "auto", batch: int = 200,
                encoding: str = "") -> MarcReport:
    """Load a MARC21 or MARCXML file into the catalog of ``library``'s institution; items
    without a library of their own go to ``library``.  ``encoding`` (binary MARC only): the
    character set of records whose leader/09 is blank, instead of MARC-8."""
    report = MarcReport()
    if isinstance(source, (str, Path)):
        stream: BinaryIO = open(source, "rb")
        close = True
    elif isinstance(source, bytes):
        stream, close = io.BytesIO(source), False
    else:
        stream, close = source, False
    try:
        head = stream.read(64)
        stream.seek(0)
        xml_input = fmt == "xml" or (fmt == "auto" and _is_xml(head))
        loader = _Loader(library, report, batch)
        if xml_input:
            handler = _StreamingHandler(loader.add)
            try:
                _parse_xml(stream, handler)
            except DefusedXmlException as exc:
                report.stopped = (f"the XML declares an entity or an external reference ({type(exc).__name__}); "
                                  "MARCXML needs none, and they are refused (entity expansion, XXE)")
            except xml.sax.SAXParseException as exc:
                report.stopped = f"the XML is not well-formed at line {exc.getLineNumber()}: {exc.getMessage()}"
                if handler.in_record:
                    report.reject(handler.position, report.stopped)
        else:
            for position, record, error, warning in iter_binary(stream, encoding):
                if warning:
                    report.warnings.append(f"record {position}: {warning}")
                loader.add(position, record, error)
        loader.flush()
    finally:
        if close:
            stream.close()
    return report


# --- export: MARCXML of catalog records (issue 13) ---------------------------------------------

_LEADER_TYPE = {"book": "am", "chapter": "aa", "article-journal": "ab", "article-magazine": "ab",
                "article-newspaper": "ab", "periodical": "as", "thesis": "am", "manuscript": "tm", "map": "em",
                "musical_score": "cm", "song": "jm", "motion_picture": "gm", "dataset": "mm", "graphic": "km"}
_ROLE_RELATOR = {"editor": "editor", "translator": "translator", "director": "director", "composer": "composer"}


def _name_field(tag: str, person: dict, role: str = "") -> pymarc.Field:
    literal = person.get("literal") or ""
    corporate = bool(literal) and ("," not in literal or bool(_COMPANY.search(literal)))  # "Meta Platforms, Inc"
    if corporate:
        tag = tag[0] + "10"
    subfields = [pymarc.Subfield("a", cslmod.name_text(person))]
    if role in _ROLE_RELATOR:
        subfields.append(pymarc.Subfield("e", _ROLE_RELATOR[role]))
    return pymarc.Field(tag=tag, indicators=["2" if corporate else "1", " "], subfields=subfields)


def _event_of(csl: dict) -> tuple[str, str, str, str] | None:
    """(name, number, date, place) of the record's conference, as :func:`_meeting` read them."""
    title = str(csl.get("event-title") or csl.get("event") or "").strip()
    if not title:
        return None
    m = re.fullmatch(r"(.*?) \(([^()]*)\)", title)
    name, number = (m.group(1), m.group(2)) if m else (title, "")
    parts = (csl.get("event-date") or {}).get("date-parts", [[]])[0] if isinstance(csl.get("event-date"), dict) else []
    date = "-".join(f"{int(p):02d}" if i else str(p) for i, p in enumerate(parts))
    return name, number, date, str(csl.get("event-place") or "")


def _meeting_field(tag: str, event: tuple[str, str, str, str], relator: str = "") -> pymarc.Field:
    """A meeting heading (111/711) as AACR2/RDA write it: $a name $n (number : $d date : $c place)."""
    name, number, date, place = event
    head, *units = name.split(". ")
    subfields = [pymarc.Subfield("a", head)] + [pymarc.Subfield("e", unit) for unit in units]
    qualifiers = [(code, value) for code, value in (("n", number), ("d", date), ("c", place)) if value]
    for i, (code, value) in enumerate(qualifiers):
        text = ("(" if i == 0 else "") + value + (")" if i == len(qualifiers) - 1 else " :")
        subfields.append(pymarc.Subfield(code, text))
    if relator:
        subfields.append(pymarc.Subfield("4", relator))
    return pymarc.Field(tag=tag, indicators=["2", " "], subfields=subfields)


def record_to_marc(record: Record) -> pymarc.Record:
    """A catalog record as MARC21 (the fields :func:`map_record` reads back): 001, 020, 022, 024
    (DOI), 041, 100/110 + 700/710 with relators, 245 ($a title, $b after the first colon), 250,
    264, 300, 490, 520, 6XX subjects, 773 (container, volume, issue, pages), 856 (URL), 880
    (title and names in their original script)."""
    csl = record.csl or {}
    kind = _LEADER_TYPE.get(csl.get("type") or record.type, "am")
    rec = pymarc.Record(force_utf8=True, leader=f"00000n{kind} a2200000 i 4500")
    rec.add_field(pymarc.Field(tag="001", data=record.source_id))
    year = cslmod.year_of(csl)
    language = str(csl.get("language") or "")[:3]
    rec.add_field(pymarc.Field(tag="008", data=f"{'':6}s{year or '    ':>4}{'':4}xx {'':17}{language or '   ':3} d"[:40].ljust(40)))
    part = csl.get("type") == "chapter" and csl.get("container-title")  # the book's ISBN goes in 773 $z
    for isbn in [] if part else identifiers.split_identifiers(csl.get("ISBN")):
        rec.add_field(pymarc.Field(tag="020", indicators=[" ", " "], subfields=[pymarc.Subfield("a", isbn)]))
    if csl.get("type") not in ("chapter", "article-journal", "article-magazine", "article-newspaper"):
        for issn in identifiers.split_identifiers(csl.get("ISSN")):
            rec.add_field(pymarc.Field(tag="022", indicators=[" ", " "], subfields=[pymarc.Subfield("a", issn)]))
    if doi := identifiers.normalize_doi(csl.get("DOI")):
        rec.add_field(pymarc.Field(tag="024", indicators=["7", " "], subfields=[pymarc.Subfield("a", doi), pymarc.Subfield("2", "doi")]))
    if language:
        rec.add_field(pymarc.Field(tag="041", indicators=[" ", " "], subfields=[pymarc.Subfield("a", language)]))
    people = [(role, person) for role in ("author", "editor", "translator", "director", "composer")
              for person in cslmod.names(csl, role)]
    event = _event_of(csl)
    for n, (role, person) in enumerate(people):
        main = n == 0 and role == "author"
        if event and person.get("literal") == event[0]:  # the conference as the author of its proceedings
            rec.add_field(_meeting_field("111" if main else "711", event, "" if main else "aut"))
            event = None
            continue
        rec.add_field(_name_field("100" if main else "700", person, "" if role == "author" else role))
    title = str(csl.get("title") or record.title)
    head, _, rest = title.partition(": ")
    title_subfields = [pymarc.Subfield("a", head + (" :" if rest else ""))] + ([pymarc.Subfield("b", rest)] if rest else [])
    rec.add_field(pymarc.Field(tag="245", indicators=["1" if people else "0", "0"], subfields=title_subfields))
    if csl.get("edition"):
        rec.add_field(pymarc.Field(tag="250", indicators=[" ", " "], subfields=[pymarc.Subfield("a", str(csl["edition"]))]))
    publication = [pymarc.Subfield(code, str(csl[key])) for code, key in (("a", "publisher-place"), ("b", "publisher")) if csl.get(key)]
    if year:
        publication.append(pymarc.Subfield("c", str(year)))
    if publication:
        rec.add_field(pymarc.Field(tag="264", indicators=[" ", "1"], subfields=publication))
    if csl.get("number-of-pages"):
        rec.add_field(pymarc.Field(tag="300", indicators=[" ", " "], subfields=[pymarc.Subfield("a", f"{csl['number-of-pages']} pages")]))
    if csl.get("collection-title"):
        rec.add_field(pymarc.Field(tag="490", indicators=["0", " "], subfields=[pymarc.Subfield("a", str(csl["collection-title"]))]))
    if csl.get("abstract"):
        rec.add_field(pymarc.Field(tag="520", indicators=[" ", " "], subfields=[pymarc.Subfield("a", str(csl["abstract"]))]))
    for subject in [s for s in (record.subjects or "").split("; ") if s.strip()]:
        parts = [p.strip() for p in subject.split(" -- ")]
        subfields = [pymarc.Subfield("a", parts[0])] + [pymarc.Subfield("x", p) for p in parts[1:]]
        rec.add_field(pymarc.Field(tag="650", indicators=[" ", "0"], subfields=subfields))
    if csl.get("container-title"):
        host = [pymarc.Subfield("t", str(csl["container-title"]))]
        g = ", ".join(f"{label} {csl[key]}" for label, key in (("v.", "volume"), ("no.", "issue"), ("p.", "page")) if csl.get(key))
        if g:
            host.append(pymarc.Subfield("g", g))
        if csl.get("type") in ("chapter", "article-journal", "article-magazine", "article-newspaper"):
            for issn in identifiers.split_identifiers(csl.get("ISSN"))[:1]:
                host.append(pymarc.Subfield("x", issn))
        if part:
            for isbn in identifiers.split_identifiers(csl.get("ISBN"))[:1]:
                host.append(pymarc.Subfield("z", isbn))
        rec.add_field(pymarc.Field(tag="773", indicators=["0", " "], subfields=host))
    if event:  # a conference that is not the author: an added entry
        rec.add_field(_meeting_field("711", event))
    if csl.get("URL"):
        rec.add_field(pymarc.Field(tag="856", indicators=["4", "0"], subfields=[pymarc.Subfield("u", str(csl["URL"]))]))
    link = 1
    if csl.get("original-title"):
        rec.add_field(pymarc.Field(tag="880", indicators=["1", "0"], subfields=[
            pymarc.Subfield("6", f"245-{link:02d}"), pymarc.Subfield("a", str(csl["original-title"]))]))
        link += 1
    for person in cslmod.names(csl, "original-author"):
        rec.add_field(pymarc.Field(tag="880", indicators=["1", " "], subfields=[
            pymarc.Subfield("6", f"{'100' if link == 2 else '700'}-{link:02d}"), pymarc.Subfield("a", cslmod.name_text(person))]))
        link += 1
    return rec


def to_marcxml(records: list[Record]) -> bytes:
    """A MARCXML collection (``http://www.loc.gov/MARC21/slim``) of ``records``, written by
    pymarc's XML writer."""
    buffer = io.BytesIO()
    writer = pymarc.XMLWriter(buffer)
    for record in records:
        rec = record_to_marc(record)
        for f in rec.fields:  # XML 1.0 cannot hold control characters (MARC-8 escapes left in old data)
            if f.is_control_field():
                f.data = strip_control(f.data or "")
            else:
                f.subfields = [pymarc.Subfield(sf.code, strip_control(sf.value)) for sf in f.subfields]
        writer.write(rec)
    writer.close(close_fh=False)
    return buffer.getvalue()
