"""DSV-1: the MARC21 and MARCXML records of Zotero's own translator tests (tests/data/marc/zotero-*,
origins in its README) — Library of Congress, Deutsche Nationalbibliothek and K10plus records, a
1687 Spanish imprint, a Code4Lib export with a broken leader and no 001 — load into the catalog,
and each record's title, creators, year, publisher, place, ISBN and language are what Zotero
reads from it."""
from __future__ import annotations

import json
import re

import pytest

from syllabus.catalog.marc import import_marc
from syllabus.catalog.models import Record
from syllabus.citations import csl as cslmod
from syllabus.citations import identifiers

from tests.citations.corpus import DATA, fold, zotero_name

MARC = DATA / "marc"
FILES = sorted(p for p in MARC.glob("zotero-MARC*") if not p.name.endswith(".expected.json"))

# (file, field): why we read it differently from Zotero
DIVERGES = {
    ("zotero-MARC-01.mrc", "names"): "Zotero keeps the editor only; we also keep the 711 meeting as a corporate author",
    ("zotero-MARCXML-00.xml", "type"): "a recording (leader/06 j) is a song for us; the White House web site (computer "
                                       "file 'combination' with a URL) a web page, where Zotero reads a book",
    ("zotero-MARCXML-04.xml", "names"): "Zotero takes the 'unter Mitarbeit von' name only; we keep the 100/700 authors",
    ("zotero-MARCXML-03.xml", "names"): "one 700 holding two people ('Jennifer L. Anderson & Edwin Guzman'): one name "
                                        "for Zotero, one for us, split differently",
    ("zotero-MARCXML-03.xml", "year"): "Zotero reads the day of the month of an RFC 822 date ('Fri, 17 Aug 2018') as the year",
    ("zotero-MARCXML-02.xml", "names"): "the 711 conference is an author ($4 aut) for us; Zotero keeps the editors only",
    ("zotero-MARC-03.mrc", "names"): "'Meta Platforms, Inc' (720) is a company for us; Zotero reads a person named Inc",
    ("zotero-MARCXML-05.xml", "names"): "as above",
}
TYPES = {"book": "book", "audioRecording": "song"}


def _expected(path):
    return json.loads((MARC / (path.stem + ".expected.json")).read_text())


def _family(name: dict) -> str:
    return fold(name.get("family") or name.get("literal"))


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_dsv1_zotero_s_marc_test_records_load_as_zotero_reads_them(db, library_a, path):
    report = import_marc(path, library_a)
    items = _expected(path)
    assert (report.read, report.created, report.rejected) == (len(items), len(items), []), report.rejected
    wrong = []
    for record, item in zip(Record.objects.order_by("id"), items):
        ours = record.csl

        def check(field, got, want):
            if got != want and (path.name, field) not in DIVERGES:
                wrong.append((field, got, want))

        check("title", fold(ours.get("title")), fold(item["title"]))
        check("type", ours.get("type"), TYPES.get(item["itemType"], item["itemType"]))
        people = [n for role in ("author", "editor", "composer", "performer") for n in ours.get(role) or []]
        check("names", sorted(_family(n) for n in people), sorted(zotero_name(c)[0] for c in item.get("creators", [])))
        if item.get("date"):
            check("year", cslmod.year_of(ours), int(re.search(r"\d+", item["date"]).group()))
        for ours_key, key in (("publisher", "publisher"), ("publisher", "label"), ("publisher-place", "place")):
            if item.get(key):
                check(ours_key, fold(ours.get(ours_key)), fold(item[key]))
        if item.get("ISBN"):
            isbns = {identifiers.normalize_isbn(i) for i in item["ISBN"].split()}  # an ISBN-10 and its ISBN-13: one
            check("ISBN", sorted(ours.get("ISBN", "").split()), sorted(isbns))
        if item.get("language"):
            check("language", ours.get("language"), item["language"])
    assert wrong == []


def test_dsv1_an_e_book_coded_computer_file_is_a_book_and_a_record_without_001_loads_once(db, library_a):
    """zotero-MARC-01 (DNB): an e-book whose leader/06 says "computer file" used to be a dataset;
    zotero-MARCXML-05 and -03 have no 001 or 035 and used to be refused ("no record id"), -03 also
    a 14-character leader; loading them again updates, creates nothing."""
    import_marc(MARC / "zotero-MARC-01.mrc", library_a)
    assert Record.objects.get().csl["type"] == "book"
    for name in ("zotero-MARCXML-05.xml", "zotero-MARCXML-03.xml"):
        first = import_marc(MARC / name, library_a)
        again = import_marc(MARC / name, library_a)
        assert (first.created, again.created, again.rejected) == (1, 0, []), name
    assert Record.objects.filter(source_id__startswith="content:").count() == 2
    code4lib = Record.objects.get(csl__title__startswith="Adaptation")
    assert code4lib.csl["type"] == "book" and code4lib.csl["URL"] == "https://journal.code4lib.org/articles/13657"


def test_dsv1_the_publisher_is_no_author_every_place_is_kept_and_720_names_are_read(db, library_a):
    """zotero-MARCXML-02 (K10plus): the publisher is also a 710 with relator pbl — it was listed
    as an author; zotero-MARC-02 (DNB): two 264 $a places, of which the second was lost;
    zotero-MARC-03: the only name is an uncontrolled 720, which was not read."""
    import_marc(MARC / "zotero-MARCXML-02.xml", library_a)
    book = Record.objects.get().csl
    assert "Verlag Julius Klinkhardt" not in json.dumps(book.get("author", []), ensure_ascii=False)
    assert [n["family"] for n in book["editor"]] == ["Sturm", "Köpfer", "Wagener"]
    import_marc(MARC / "zotero-MARC-02.mrc", library_a)
    assert Record.objects.get(csl__title__startswith="Mathematik").csl["publisher-place"] == "Berlin; Heidelberg"
    import_marc(MARC / "zotero-MARC-03.mrc", library_a)
    assert Record.objects.get(csl__title__startswith="Diffusion").csl["author"] == [{"literal": "Meta Platforms, Inc"}]
