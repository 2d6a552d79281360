"""Issue 13, acceptances 2 and 3 (DSV-1): real MARC files (tests/data/marc/, origins in its
README) — MARC-8 records come in with their diacritics and are found by them, 880 parallel
script is searchable, a record with a wrong length costs only itself, deleted records withdraw."""
from __future__ import annotations

import re
import unicodedata

import pytest
from django.core.management import CommandError, call_command

from syllabus.catalog.marc import import_marc, iter_binary
from syllabus.catalog.models import Record
from syllabus.catalog.search import SearchParams, parse_query, search

from tests.citations.corpus import DATA

MARC = DATA / "marc"
# refused as they are (tests below)
NOT_AS_IS = {"pymarc-bad_records.mrc", "pymarc-1251.dat", "pymarc-testunimarc.dat"}


def _found(library, text: str) -> list[str]:
    ids = search(SearchParams(query=parse_query(text), institution_ids=[library.institution_id], page_size=20,
                              facets=False)).ids
    return list(Record.objects.filter(pk__in=ids).values_list("source_id", flat=True))


@pytest.mark.parametrize("name", sorted(p.name for p in MARC.iterdir() if p.name not in NOT_AS_IS and p.suffix != ".json"))
def test_every_record_of_a_real_marc_file_loads(db, library_a, name):
    report = import_marc(MARC / name, library_a)
    assert report.read >= 1
    assert report.rejected == []
    assert report.created == report.read
    assert not any("\ufffd" in (r.title + r.creators) for r in Record.objects.all())


def test_marc8_diacritics_come_in_and_are_found_by_them(db, library_a):
    """leader/09 blank: MARC-8, converted by pymarc's tables (it used to be read as UTF-8 → U+FFFD)."""
    report = import_marc(MARC / "pymarc-bad_marc8_escape.dat", library_a)
    assert report.created == 1
    record = Record.objects.get()
    assert record.title == "Bulletin de la Société linnenne de Bordeaux"
    assert _found(library_a, "Société linnenne") == [record.source_id]
    assert _found(library_a, "societe bordeaux") == [record.source_id]  # folded accents find it too

    import_marc(MARC / "traject-one-marc8.mrc", library_a)
    globalizacao = Record.objects.get(title__startswith="Por uma outra globaliza")
    assert "globalização" in globalizacao.title and "consciência" in globalizacao.title
    assert _found(library_a, "globalização consciência") == [globalizacao.source_id]


def test_880_parallel_script_is_kept_and_searchable(db, library_a):
    import_marc(MARC / "traject-hebrew880s.marc", library_a)
    record = Record.objects.get()
    assert record.csl["original-title"].startswith("אנרכיזם ב״ציון״")
    assert {"literal": "רצבי, שלום"} != record.csl["original-author"][0]  # a person, not a corporate literal
    assert record.csl["original-author"][0]["family"] == "רצבי"
    assert _found(library_a, "אנרכיזם") == [record.source_id]  # the 880 title
    assert _found(library_a, "רצבי") == [record.source_id]     # the 880 name
    assert _found(library_a, "Anarkhizm") == [record.source_id]  # and still the romanised 245


def test_a_record_with_a_wrong_length_costs_only_itself(db, library_a):
    """Acceptance 3: the second of four real records says it is 100 bytes longer than it is;
    pymarc's reader would read into the next record and lose the rest of the file."""
    records = [(MARC / name).read_bytes() for name in ("traject-george_eliot.marc", "traject-nature.marc",
                                                        "traject-louis_armstrong.marc", "traject-musical_cage.marc")]
    wrong = bytearray(records[1])
    wrong[0:5] = b"%05d" % (len(records[1]) + 100)
    data = records[0] + bytes(wrong) + records[2] + records[3]
    report = import_marc(data, library_a)
    assert report.read == 4 and report.created == 4 and report.rejected == []
    assert report.warnings == [f"record 2: the leader gives a length of {len(records[1]) + 100} bytes but the record has "
                               f"{len(records[1])}; read up to its terminator"]


def test_pymarc_bad_records_file_reports_each_bad_record_and_loads_the_readable_ones(db, library_a):
    """pymarc's file of broken records (bad lengths, indicators, directory): each is read on its
    own and reported by position with its reason; reading never stops."""
    report = import_marc(MARC / "pymarc-bad_records.mrc", library_a)
    assert report.read == 8 and report.stopped == ""
    # the first and the last are the same book (The pragmatic programmer) without 001: one record, id from its content (DSV-1)
    assert [r.position for r in report.rejected] == list(range(2, 8))
    assert Record.objects.get().source_id.startswith("content:")
    assert all(r.reason for r in report.rejected)


def test_a_deleted_record_withdraws_ours(db, library_a):
    data = (MARC / "traject-nature.marc").read_bytes()
    import_marc(data, library_a)
    record = Record.objects.get()
    deleted = data[:5] + b"d" + data[6:]  # leader/05 = d: the source system deleted it
    report = import_marc(deleted, library_a)
    assert report.withdrawn == 1 and "1 withdrawn" in report.summary()
    assert not Record.objects.filter(pk=record.pk).exists()
    assert import_marc(deleted, library_a).withdrawn == 0  # idempotent


def test_the_command_line_exit_status_tells_whether_everything_loaded(db, library_a, tmp_path, capsys):
    good = MARC / "traject-nature.marc"
    call_command("import_marc", str(good), "--library", library_a.code)  # exit 0
    assert "1 records read" in capsys.readouterr().out
    partly = tmp_path / "partly.mrc"
    partly.write_bytes(good.read_bytes() + b"00042nam  2200000   4500\x1d")
    with pytest.raises(CommandError) as partial:
        call_command("import_marc", str(partly), "--library", library_a.code)
    assert partial.value.returncode == 2 and "1 record refused" in str(partial.value)
    nothing = tmp_path / "nothing.mrc"
    nothing.write_bytes(b"not marc at all\x1d")
    with pytest.raises(CommandError) as none:
        call_command("import_marc", str(nothing), "--library", library_a.code)
    assert none.value.returncode == 1


def test_windows_1251_records_that_say_marc8_are_refused_not_loaded_as_diacritics(db, library_a, tmp_path, capsys):
    """A real Russian export (pymarc's 1251.dat): leader/09 blank says MARC-8 but the bytes are
    Windows-1251.  MARC-8 tables turned every Cyrillic letter into a combining mark — six records
    loaded with titles of stray diacritics.  Each is refused by DSV-1 naming the way out, and
    ``--encoding cp1251`` loads them in Cyrillic."""
    report = import_marc(MARC / "pymarc-1251.dat", library_a)
    assert report.read == 6 and report.created == 0 and len(report.rejected) == 6
    assert all(r.reason.startswith("DSV-1: leader/09 says MARC-8 but the record is neither MARC-8 nor UTF-8")
               and "--encoding" in r.reason for r in report.rejected)
    assert not Record.objects.exists()

    with pytest.raises(CommandError) as refused:
        call_command("import_marc", str(MARC / "pymarc-1251.dat"), "--library", library_a.code)
    assert refused.value.returncode == 1 and "--encoding cp1251" in capsys.readouterr().out

    call_command("import_marc", str(MARC / "pymarc-1251.dat"), "--library", library_a.code, "--encoding", "cp1251")
    assert "6 created" in capsys.readouterr().out
    titles = set(Record.objects.values_list("title", flat=True))
    assert len(titles) == 6 and any(t.startswith("Психологический тренинг с подростками") for t in titles)
    assert _found(library_a, "Линдгрен") and _found(library_a, "тренинг")
    with pytest.raises(CommandError, match="DSV-1: unknown character set"):
        call_command("import_marc", str(MARC / "pymarc-1251.dat"), "--library", library_a.code, "--encoding", "nope")


def test_utf8_records_without_the_leader_flag_are_read_as_utf8(db, library_a):
    """pymarc's utf8_without_leader_flag.dat: UTF-8 bytes (à, é) with leader/09 blank were read
    as MARC-8 without a word (é became two wrong characters); now it is read as UTF-8 and
    the report says so."""
    report = import_marc(MARC / "pymarc-utf8_without_leader_flag.dat", library_a)
    assert report.created == 1 and report.warnings == ["record 1: leader/09 says MARC-8 but the record is UTF-8"]
    (_position, marc, _error, _warning), = iter_binary((MARC / "pymarc-utf8_without_leader_flag.dat").open("rb"))
    assert unicodedata.normalize("NFC", marc["500"]["a"]) == "Translation of De la solitude à la communauté."


def test_what_pymarc_repairs_is_in_the_report_not_on_the_terminal(db, library_a, capsys):
    """pymarc's bad_indicator.dat: the 020 has no indicators; pymarc repairs it and used to log
    a line with no record named.  The report names the record and the repair."""
    report = import_marc(MARC / "pymarc-bad_indicator.dat", library_a)
    assert report.created == 1
    assert report.warnings == ["record 1: repaired while reading: missing indicators: b'\\x1fa9780253325525 (alk. paper)'"]
    assert capsys.readouterr().err == ""
    assert Record.objects.get().csl["ISBN"] == "9780253325525"


def test_dsv1_pymarc_s_other_test_files_load_with_their_fields_through_the_command(db, library_a, capsys):
    """Session 16: the rest of pymarc's test/ files, through ``syllabus import-marc`` as a librarian
    loads a catalogue (origins in tests/data/README.md)."""
    loaded = {}
    for name in ("alphatag.dat", "bad_eacc_encoding.dat", "bad_subfield_code.dat", "bad_tag.xml", "batch.xml", "marc.dat",
                 "multi_isbn.dat", "one.dat", "regression45.dat", "utf8.xml", "utf8_errors.dat", "utf8_invalid.mrc"):
        call_command("import_marc", str(MARC / f"pymarc-{name}"), "--library", library_a.code)  # exit 0: all loaded
        loaded[name] = int(re.search(r"(\d+) records? read", capsys.readouterr().out).group(1))
    assert loaded == {"alphatag.dat": 1, "bad_eacc_encoding.dat": 1, "bad_subfield_code.dat": 1, "bad_tag.xml": 1,
                      "batch.xml": 2, "marc.dat": 20, "multi_isbn.dat": 1, "one.dat": 1, "regression45.dat": 12,
                      "utf8.xml": 1, "utf8_errors.dat": 1, "utf8_invalid.mrc": 1}
    town = Record.objects.get(title="The town scold").csl
    assert town["ISBN"] == "9780914378280 9780914378297 9780914378266"  # three 020s
    ray = Record.objects.get(title="The Great Ray Charles").csl
    assert ray["type"] == "song" and ray["author"] == [{"family": "Charles", "given": "Ray"}] and ray["publisher"] == "Atlantic"
    sana = Record.objects.get(title__startswith="Imperial military middle school").csl
    # decomposed (NFD) in the file: composed (NFC), as MARCXML already was — it did not equal the title typed
    assert sana["title"] == "Imperial military middle school, Ṣanʻāʾ" and sana["language"] == "ota"


def test_dsv1_a_subfield_code_lost_to_a_bad_conversion_is_repaired_and_supplied_brackets_dropped(db, library_a):
    """pymarc's utf8_invalid.mrc: the 260's $b code was turned into U+FFFD by an earlier conversion
    ("\\x1f\ufffdbAssociation..."); pymarc takes the "b" for the code but leaves it in the value, so the
    publisher was "bAssociation of Teacher Educators]" and the place "[Washington, D.C." — the
    cataloguer's "[Place : Publisher]" split across two subfields."""
    report = import_marc(MARC / "pymarc-utf8_invalid.mrc", library_a)
    assert report.created == 1
    csl = Record.objects.get().csl
    assert csl["publisher"] == "Association of Teacher Educators" and csl["publisher-place"] == "Washington, D.C."
    assert csl["issued"] == {"date-parts": [[1994]]}


def test_dsv1_a_unimarc_record_is_refused_saying_it_is_unimarc(db, library_a):
    """pymarc's testunimarc.dat (an ICCU record): UNIMARC keeps its title in 200 $a; the refusal
    says so instead of only "no title"."""
    report = import_marc(MARC / "pymarc-testunimarc.dat", library_a)
    assert report.created == 0 and len(report.rejected) == 1
    assert "UNIMARC" in report.rejected[0].reason and "200 $a" in report.rejected[0].reason
    assert not Record.objects.exists()


MARCXML_COMPARED = ("title", "author", "editor", "translator", "ISBN", "ISSN", "DOI", "edition", "publisher",
                    "publisher-place", "issued", "language", "collection-title", "container-title", "volume", "issue",
                    "page", "URL", "original-title", "original-author", "number-of-pages")


@pytest.mark.parametrize("name", sorted(p.name for p in MARC.iterdir() if p.name not in NOT_AS_IS and p.suffix != ".json"))
def test_marcxml_export_of_real_records_reads_back_with_pymarc_and_loads_the_same(db, library_a, name):
    """Issue 13 (DSV-1): a record exports as MARCXML (pymarc's writer); pymarc reads the file back
    and our import maps it to the same title, names, identifiers, publication and host fields."""
    import io

    import pymarc

    from syllabus.catalog.marc import map_record, to_marcxml
    from syllabus.core.text import strip_control_deep

    import_marc(MARC / name, library_a)
    records = list(Record.objects.order_by("pk"))
    xml = to_marcxml(records)
    assert xml.startswith(b"<?xml") and b"http://www.loc.gov/MARC21/slim" in xml
    back = pymarc.parse_xml_to_array(io.BytesIO(xml))
    assert len(back) == len(records)
    for record, marc in zip(records, back):
        assert marc["001"].data == record.source_id
        assert marc["245"]["a"].rstrip(" :") == record.csl["title"].split(": ")[0]
        if record.csl.get("DOI"):
            assert marc["024"]["a"] == record.csl["DOI"] and marc["024"]["2"] == "doi"
        mapped = map_record(marc).csl
        stored = strip_control_deep(record.csl)  # an ESC left by a broken MARC-8 escape cannot go into XML
        for key in MARCXML_COMPARED:
            assert mapped.get(key) == stored.get(key), (record.source_id, key)
        assert sorted(map_record(marc).subjects) == sorted(s for s in record.subjects.split("; ") if s)


def test_the_record_page_and_the_api_export_marcxml(client, api, student, library_a):
    import_marc(MARC / "traject-hebrew880s.marc", library_a)
    record = Record.objects.get()
    client.force_login(student)
    page = client.get(f"/catalog/records/{record.pk}/").content.decode()
    assert f"/catalog/records/{record.pk}/export/marcxml/" in page
    r = client.get(f"/catalog/records/{record.pk}/export/marcxml/")
    assert r.status_code == 200 and r["Content-Type"] == "application/marcxml+xml"
    assert record.csl["original-title"].encode() in r.content
    r = api(student).get(f"/api/v1/records/{record.pk}/export", {"format": "marcxml"})
    assert r.status_code == 200 and b"<marc:record" in r.content or b"<record" in r.content
