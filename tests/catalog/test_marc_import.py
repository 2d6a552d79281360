"""MARC21 / MARCXML import (DSV-1): idempotent on 001/035, bad records reported by position."""
import io

import pymarc
import pytest
from django.core.management import CommandError, call_command
from pymarc import Field, Indicators, Subfield

from syllabus.catalog.marc import import_marc
from syllabus.catalog.models import EResource, Holding, Item, Record

from .conftest import marc_record


def _holdings_and_items(library_code="lib-a1"):
    return [
        Field(tag="852", indicators=Indicators("0", " "), subfields=[
            Subfield("8", "1"), Subfield("b", library_code), Subfield("c", "Stacks"), Subfield("h", "PR4034"), Subfield("i", ".P7 2003")]),
        Field(tag="876", indicators=Indicators(" ", " "), subfields=[
            Subfield("8", "1"), Subfield("p", "39001001"), Subfield("j", "Item in place")]),
        Field(tag="876", indicators=Indicators(" ", " "), subfields=[
            Subfield("8", "1"), Subfield("p", "39001002"), Subfield("j", "On loan"), Subfield("3", "c.2")]),
    ]


def _file_with_one_broken_record(n=5, broken=3) -> bytes:
    chunks = []
    for i in range(1, n + 1):
        data = marc_record(f"ocm{i:05d}", f"Title number {i} /", author=f"Writer, Anne{i}", isbn="9780141439518" if i == 1 else "").as_marc()
        if i == broken:
            bad = bytearray(data)
            bad[27:31] = b"ABCD"  # the first directory entry's length is no number
            data = bytes(bad)
        chunks.append(data)
    return b"".join(chunks)


def test_marc_file_with_one_broken_record_loads_every_other_record_and_reloading_creates_nothing(db, library_a):
    """Acceptance 1 (binary MARC21)."""
    data = _file_with_one_broken_record()
    report = import_marc(data, library_a)
    assert report.read == 5
    assert report.created == 4
    assert [r.position for r in report.rejected] == [3]
    assert "invalid literal" in report.rejected[0].reason
    assert sorted(Record.objects.values_list("source_id", flat=True)) == ["ocm00001", "ocm00002", "ocm00004", "ocm00005"]

    again = import_marc(data, library_a)
    assert again.created == 0 and again.updated == 0 and again.unchanged == 4
    assert [r.position for r in again.rejected] == [3]
    assert Record.objects.count() == 4


def _xml(records_xml: str) -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<collection xmlns="http://www.loc.gov/MARC21/slim">'
            + records_xml + "</collection>").encode()


def _xml_record(control: str, title: str, *, broken: bool = False) -> str:
    tag = "" if broken else ' tag="245"'
    return (f'<record><leader>00000nam a2200000 a 4500</leader><controlfield tag="001">{control}</controlfield>'
            f'<datafield{tag} ind1="1" ind2="0"><subfield code="a">{title}</subfield></datafield></record>')


def test_marcxml_file_with_one_broken_record_loads_every_other_record_and_reloading_creates_nothing(db, library_a):
    """Acceptance 1 (MARCXML): a <datafield> without its tag breaks one record only."""
    data = _xml("".join(_xml_record(f"x{i}", f"XML title {i}", broken=(i == 2)) for i in range(1, 5)))
    report = import_marc(data, library_a)
    assert (report.read, report.created) == (4, 3)
    assert [(r.position, r.reason.startswith("malformed <datafield>")) for r in report.rejected] == [(2, True)]
    again = import_marc(data, library_a)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert Record.objects.filter(institution=library_a.institution).count() == 3


def test_records_without_title_are_rejected_by_position_and_without_id_loaded(db, library_a):
    data = b"".join([marc_record("a1", "Good one").as_marc(), marc_record("a2", None).as_marc(),
                     marc_record(None, "No id at all").as_marc(), marc_record("a4", "Another good one").as_marc()])
    report = import_marc(data, library_a)
    assert report.created == 3  # a record without 001 or 035 gets an id from its content (DSV-1)
    assert [(r.position, r.reason) for r in report.rejected] == [(2, "no title (245 $a)")]


def test_035_is_the_record_id_when_there_is_no_001(db, library_a):
    rec = marc_record(None, "Identified by 035", extra=[
        Field(tag="035", indicators=Indicators(" ", " "), subfields=[Subfield("a", "(OCoLC)12345678")])])
    import_marc(rec.as_marc(), library_a)
    import_marc(rec.as_marc(), library_a)
    record = Record.objects.get()
    assert record.source_id == "(OCoLC)12345678"
    assert "12345678" in record.identifiers.split()


def test_mapping_of_bibliographic_fields_holdings_items_and_links(db, library_a, library_a2):
    rec = marc_record("991000001", "Pride and prejudice /", author="Austen, Jane, 1775-1817.", isbn="0141439513 (pbk.)", year="2003",
                      extra=[
                          Field(tag="250", indicators=Indicators(" ", " "), subfields=[Subfield("a", "Penguin classics ed.")]),
                          Field(tag="264", indicators=Indicators(" ", "1"), subfields=[
                              Subfield("a", "London :"), Subfield("b", "Penguin Books,"), Subfield("c", "2003.")]),
                          Field(tag="650", indicators=Indicators(" ", "0"), subfields=[
                              Subfield("a", "Courtship"), Subfield("v", "Fiction.")]),
                          Field(tag="700", indicators=Indicators("1", " "), subfields=[
                              Subfield("a", "Jones, Vivien,"), Subfield("e", "editor.")]),
                          Field(tag="856", indicators=Indicators("4", "0"), subfields=[
                              Subfield("u", "https://ebooks.example.org/pride"), Subfield("3", "Example e-books")]),
                          *_holdings_and_items("lib-a2"),
                      ])
    report = import_marc(rec.as_marc(), library_a)
    assert report.created == 1 and report.items_created == 2 and report.eresources_created == 1
    r = Record.objects.get()
    assert r.title == "Pride and prejudice"
    assert r.csl["author"] == [{"family": "Austen", "given": "Jane"}]
    assert r.csl["editor"] == [{"family": "Jones", "given": "Vivien"}]
    assert (r.isbn, r.year, r.publisher, r.edition) == ("9780141439518", 2003, "Penguin Books", "Penguin classics ed.")
    assert r.csl["publisher-place"] == "London"
    assert "0141439513" in r.identifiers.split() and "9780141439518" in r.identifiers.split()
    assert r.subjects == "Courtship -- Fiction"
    assert r.work_key == "austen|pride and prejudice"
    holding = Holding.objects.get()
    assert (holding.library, holding.location, holding.call_number) == (library_a2, "Stacks", "PR4034 .P7 2003")
    items = {i.barcode: i for i in Item.objects.all()}
    assert items["39001001"].status == "in_place" and items["39001002"].status == "on_loan"
    assert items["39001002"].description == "c.2" and items["39001002"].library == library_a2
    assert items["39001001"].holding == holding
    assert EResource.objects.get().provider == "Example e-books"


def test_koha_952_items_and_unknown_library_codes_fall_back_to_the_import_library(db, library_a):
    rec = marc_record("k1", "Koha record", extra=[
        Field(tag="952", indicators=Indicators(" ", " "), subfields=[
            Subfield("a", "NOWHERE"), Subfield("c", "REF"), Subfield("o", "QA76 .K6"), Subfield("p", "K-0001"), Subfield("y", "BK")]),
        Field(tag="952", indicators=Indicators(" ", " "), subfields=[
            Subfield("a", "lib-a1"), Subfield("p", "K-0002"), Subfield("1", "1")]),
    ])
    report = import_marc(rec.as_marc(), library_a)
    assert report.items_created == 2
    assert report.warnings == ["unknown library code 'NOWHERE': items placed in lib-a1"]
    first, second = Item.objects.order_by("barcode")
    assert (first.library, first.location, first.call_number, first.item_type) == (library_a, "REF", "QA76 .K6", "bk")
    assert second.status == "missing"


def test_a_changed_record_is_updated_not_duplicated(db, library_a):
    import_marc(marc_record("u1", "First title").as_marc(), library_a)
    report = import_marc(marc_record("u1", "Corrected title").as_marc(), library_a)
    assert (report.created, report.updated) == (0, 1)
    assert Record.objects.get().title == "Corrected title"


def test_a_barcode_owned_by_another_record_rejects_only_that_record(db, library_a):
    items = _holdings_and_items("lib-a1")
    first = marc_record("b1", "Owner", extra=items)
    thief = marc_record("b2", "Thief", extra=items)
    other = marc_record("b3", "Innocent")
    report = import_marc(first.as_marc() + thief.as_marc() + other.as_marc(), library_a)
    assert report.created == 2
    assert [(r.position, r.record_id) for r in report.rejected] == [(2, "b2")]
    assert "already belongs to another record" in report.rejected[0].reason
    assert not Record.objects.filter(source_id="b2").exists()  # nothing half-written


def test_trailing_bytes_that_are_no_record_are_reported_and_the_rest_kept(db, library_a):
    """Records are framed by their terminator (issue 13), so bytes that are no record cost
    only themselves."""
    good = marc_record("t1", "Framed").as_marc()
    report = import_marc(good + b"12" + b"\x1d" + marc_record("t2", "After").as_marc(), library_a)
    assert report.created == 2
    assert report.rejected[0].position == 2 and "no MARC leader" in report.rejected[0].reason
    assert report.stopped == ""


def test_import_marc_command(db, library_a, tmp_path):
    path = tmp_path / "records.mrc"
    path.write_bytes(_file_with_one_broken_record())
    out = io.StringIO()
    with pytest.raises(CommandError) as exc:  # exit status 2: some refused, the others loaded (issue 13)
        call_command("import_marc", str(path), library="lib-a1", stdout=out)
    assert exc.value.returncode == 2
    text = out.getvalue()
    assert "5 records read: 4 created, 0 updated, 0 unchanged, 0 withdrawn, 1 rejected" in text
    assert "rejected record 3:" in text
    with pytest.raises(CommandError, match="no library"):
        call_command("import_marc", str(path), library="nope", stdout=io.StringIO())


def test_the_syllabus_console_script_knows_import_marc():
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-m", "syllabus.cli", "help", "import-marc"], capture_output=True, text=True)
    assert r.returncode == 0 and "--library" in r.stdout


def test_pymarc_writes_what_we_read_back(db, library_a):
    """A MARCXML file written by pymarc loads like the binary file."""
    rec = marc_record("w1", "Written by pymarc", author="Writer, Will")
    xml = pymarc.record_to_xml(rec, namespace=True)
    report = import_marc(_xml(xml.decode().replace(' xmlns="http://www.loc.gov/MARC21/slim"', "")), library_a)
    assert report.created == 1
    assert Record.objects.get().creators == "Writer, Will"
