"""LST-9 / LST-2, session 20: instructors and librarians bring reading lists as Excel workbooks,
CSV files and Word documents.  A spreadsheet is read one citation a row, by a mapping of its
columns (guessed from the header row: English, French, Leganto/Talis/Alma names) that the person
checks on a preview; a Word document one citation a paragraph, its headings as sections, a DOI or
ISBN looked up by the editor's identifier lookup (here a local server speaking Crossref's and Open
Library's protocol), anything else kept as its text and tagged "Needs review".  Both go through the
list import of RIS/BibTeX: the same per-entry report, background import, bounds and letters.

The files are tests/data/office/*, real references from the Zotero corpora in real export shapes
(tests/data/office/make_office_files.py writes them)."""
from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from syllabus.citations import tables
from syllabus.core import clock
from syllabus.core.models import AuditEntry
from syllabus.core.tasks import sweeps
from syllabus.lists import services
from syllabus.lists.models import Citation, ListImport, Section
from syllabus.notify.models import OutboxMessage

pytestmark = pytest.mark.django_db

OFFICE = Path(__file__).resolve().parents[1] / "data" / "office"
XLSX, CSV_BOM, CSV_FR, DOCX = ("reading-list-leganto.xlsx", "reading-list-utf8-bom.csv",
                               "liste-de-lectures-excel-fr.csv", "reading-list.docx")
HTMX = {"HTTP_HX_REQUEST": "true"}


def _file(name: str, content: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, (OFFICE / name).read_bytes() if content is None else content)


def _post(client, lst, name, content=None, path="import", **data):
    return client.post(f"/api/v1/lists/{lst.pk}/{path}", {"file": _file(name, content), **data})


@pytest.fixture
def lookups(fake_http):
    fake_http.route("/crossref/works/10.1038/nature14539", file="crossref_10.1038_nature14539.json")
    fake_http.route("/crossref/works/10.12345/123456", status=404, body="Resource not found.")
    fake_http.route("/openlibrary/api/books?bibkeys=ISBN%3A9780141439518&format=json&jscmd=data",
                    file="openlibrary_isbn_9780141439518.json")
    fake_http.route("/openlibrary/api/books", body="{}", content_type="application/json")
    return fake_http


@pytest.fixture
def reading_list(instructor, course):
    return services.create_list(instructor, title="SOC 210", courses=[course])


def _items(lst):
    return list(Citation.objects.filter(resource_list=lst).select_related("section").order_by("section__position", "position"))


# --- an Excel export ------------------------------------------------------------------------------

def test_an_excel_export_is_previewed_with_its_guessed_columns_and_each_rows_problems(client, instructor, reading_list):
    client.force_login(instructor)
    r = _post(client, reading_list, XLSX, path="import/preview")
    assert r.status_code == 200, r.content
    body = r.json()
    # the merged title row and the blank row above the header are skipped
    assert body["format"] == "xlsx" and body["header_row"] == 3 and body["total"] == 6 and body["refused"] == 1
    assert [(c["header"], c["field"]) for c in body["columns"]] == [
        ("Section", "section"), ("Title", "title"), ("Author", "author"), ("Journal Title", "container-title"),
        ("ISBN", "ISBN"), ("DOI", "DOI"), ("Publisher", "publisher"), ("Publication Date", "year"), ("Pages", "page"),
        ("Tags", "tag"), ("Public Note", "public_note"), ("Note for Library", "private_note")]
    rows = {row["row"]: row for row in body["rows"]}
    assert sorted(rows) == [4, 5, 7, 8, 9, 10]  # the blank row 6 is no citation
    assert rows[4]["values"][4] == "385527403"  # what Excel holds: the ISBN-10 0385527403 as a number
    assert rows[4]["problems"] == []
    assert rows[5]["problems"] == ["not imported: tag 'Must read'"]  # not a tag of the list: said, never silently
    assert rows[9]["problems"] == ["no title: it will be looked up by 9789279215070"]
    assert rows[10]["refused"] and rows[10]["problems"] == ["no title and no identifier (ISBN, ISSN or DOI): "
                                                           "give at least one of them"]
    assert not Citation.objects.filter(resource_list=reading_list).exists()  # a preview imports nothing


def test_an_excel_export_is_imported_with_its_sections_tags_notes_and_numbers_stored_as_numbers(
        client, instructor, reading_list, make_record, inst_a):
    record = make_record(inst_a, title="Active ageing and solidarity between generations: a statistical portrait of "
                                       "the European Union 2012", ISBN="9789279215070")
    client.force_login(instructor)
    r = _post(client, reading_list, XLSX)
    assert r.status_code == 200, r.content
    report = r.json()
    assert (report["format"], report["read"], report["created"], report["rejected"]) == ("xlsx", 6, 5, 1)
    refused = [e for e in report["entries"] if e["status"] == "rejected"]
    assert [(e["line"], e["rule"], e["detail"]) for e in refused] == [
        (10, "LST-9", "row 10: no title and no identifier (ISBN, ISSN or DOI): give at least one of them")]
    assert report["dropped"] == ["tag 'Must read' (1)"]

    items = _items(reading_list)
    assert [(c.section.title, c.title[:35]) for c in items] == [
        ("Week 1: Baseball and memoir", "The Yankee Years"),
        ("Week 1: Baseball and memoir", "Eigentumsverfassung und Finanzkrise"),
        ("Week 2: Communication", "From Basic to Applied Research to I"),
        ("Week 2: Communication", "Migrations: une odyssée humaine"),
        ("Week 2: Communication", "Active ageing and solidarity betwee")]
    yankee, eigentum, article, migrations, ageing = items
    assert yankee.metadata["ISBN"] == "9780385527408"  # 385527403.0 → 0385527403 → ISBN-13
    assert yankee.metadata["issued"] == {"date-parts": [[2008]]}  # 2008.0
    assert yankee.metadata["author"] == [{"family": "Torre", "given": "Joe"}, {"family": "Verducci", "given": "Tom"}]
    assert yankee.tags == ["essential"] and yankee.public_note == "Read the first three chapters"
    assert eigentum.tags == ["recommended"] and eigentum.library_note == "Order the e-book if the print copy is out"
    assert eigentum.metadata["ISBN"] == "9783642002304" and eigentum.metadata["DOI"] == "10.1007/978-3-642-00230-4"
    assert article.type == "article" and article.metadata["container-title"] == "Augmentative and Alternative Communication"
    assert article.metadata["issued"] == {"date-parts": [[2014, 6, 1]]}  # a date cell
    assert migrations.metadata["ISBN"] == "9782382790328"
    # no title: looked up by its ISBN — the local catalog's record, linked
    assert ageing.record_id == record.pk and ageing.metadata["ISBN"] == "9789279215070"
    assert AuditEntry.objects.get(action="created", object_id=str(yankee.pk),
                                  content_type=ContentType.objects.get_for_model(Citation)).note == (
        "imported from Excel (reading-list-leganto.xlsx)")


def test_a_mapping_says_what_the_columns_hold(client, instructor, reading_list):
    client.force_login(instructor)
    # the title column read as the public note, and the journal column ignored: by header name
    r = _post(client, reading_list, XLSX, path="import/preview",
              mapping=json.dumps({"Journal Title": "ignore", "public note": "private_note"}))
    fields = {c["header"]: c["field"] for c in r.json()["columns"]}
    assert fields["Journal Title"] == "ignore" and fields["Public Note"] == "private_note" and fields["Title"] == "title"
    # or one field a column, in order
    mapping = ["ignore"] * 12
    mapping[1] = "title"
    r = _post(client, reading_list, XLSX, mapping=json.dumps(mapping))
    assert r.status_code == 200 and r.json()["created"] == 4  # the untitled row has no ISBN column now: refused
    assert {c.section.title for c in _items(reading_list)} == {reading_list.sections.order_by("position")[0].title}
    assert all(c.metadata.keys() <= {"title", "type"} for c in _items(reading_list))


@pytest.mark.parametrize("mapping, detail", [
    ("{not json", "mapping: not JSON"),
    ('"title"', "mapping: a list of fields (one a column) or an object {column header: field}"),
    ('["title"]', "mapping: 1 fields for 12 columns"),
    ('{"Colour": "title"}', "mapping: no column is headed 'Colour'"),
    ('{"Title": "abstract"}', "mapping: unknown field 'abstract' for the column 'Title'"),
    (json.dumps(["ignore"] * 12), "mapping: no column is a title, an ISBN, an ISSN or a DOI"),
])
def test_a_wrong_mapping_is_refused_naming_the_rule(client, instructor, reading_list, mapping, detail):
    client.force_login(instructor)
    r = _post(client, reading_list, XLSX, mapping=mapping)
    assert r.status_code == 400 and r.json()["rule"] == "LST-9" and r.json()["detail"].startswith(detail), r.json()
    assert not Citation.objects.filter(resource_list=reading_list).exists()


# --- CSV as Excel saves it -----------------------------------------------------------------------

def test_a_utf8_csv_with_a_byte_order_mark_keeps_every_script(client, instructor, reading_list):
    client.force_login(instructor)
    report = _post(client, reading_list, CSV_BOM).json()
    assert (report["format"], report["created"], report["rejected"]) == ("csv", 3, 0)
    iliad, zanosni, evaluation = _items(reading_list)
    assert iliad.title == "Ilíada = Ἰλιάς" and iliad.section.title == "Epic" and iliad.tags == ["essential"]
    assert zanosni.metadata["author"] == [{"literal": "Prince"}, {"literal": "Принс"}]
    assert evaluation.metadata["ISBN"] == "9783830931492"  # "978-3-8309-3149-2" normalised (python-stdnum)
    assert evaluation.section.title == "Method"


def test_a_french_excel_csv_in_windows_1252_with_semicolons(client, instructor, reading_list):
    client.force_login(instructor)
    preview = _post(client, reading_list, CSV_FR, path="import/preview").json()
    assert [(c["header"], c["field"]) for c in preview["columns"]] == [
        ("Titre", "title"), ("Auteur(s)", "author"), ("Éditeur", "publisher"), ("Année", "year"), ("ISBN", "ISBN"),
        ("DOI", "DOI"), ("Section", "section"), ("Note publique", "public_note"), ("Note privée", "private_note")]
    rows = {row["row"]: row for row in preview["rows"]}
    assert rows[3]["problems"] == ["not imported: ISBN '9,78238E+12' (saved in scientific notation: its digits are "
                                   "lost; format the column as Text in Excel)"]
    report = _post(client, reading_list, CSV_FR).json()
    assert (report["created"], report["rejected"]) == (2, 1)
    assert [e["detail"] for e in report["entries"] if e["status"] == "rejected"] == [
        "row 5: no title and no identifier (ISBN, ISSN or DOI): give at least one of them"]
    migrations, code = _items(reading_list)
    assert migrations.metadata["publisher"] == "Muséum national d’histoire naturelle"  # 0x92 is ’ in Windows-1252
    assert migrations.metadata["author"] == [{"family": "Mazzella", "given": "Sylvie"},
                                             {"family": "Verna", "given": "Christine"}]
    assert migrations.public_note == "À lire avant la séance" and migrations.section.title == "Séance 1"
    assert code.title == "Code criminel de l’empereur Charles V vulgairement appellé la Caroline"
    assert "ISBN" not in code.metadata and code.metadata["DOI"] == "10.12763/ONA1045"
    assert code.library_note == "Numérisation demandée" and code.section.title == "Séance 2"


def test_a_section_named_by_rows_is_the_lists_own_when_it_has_one(client, instructor, reading_list):
    week = services.add_section(instructor, reading_list, title="week 1:  baseball and MEMOIR")
    client.force_login(instructor)
    _post(client, reading_list, XLSX)
    assert Section.objects.filter(resource_list=reading_list, title__icontains="baseball").count() == 1
    assert Citation.objects.filter(section=week).count() == 2


# --- Word ---------------------------------------------------------------------------------------

def test_a_word_document_paragraphs_with_identifiers_looked_up_and_the_rest_marked_for_review(
        client, instructor, reading_list, lookups):
    client.force_login(instructor)
    preview = _post(client, reading_list, DOCX, path="import/preview").json()
    assert preview["format"] == "docx" and preview["total"] == 4 and preview["columns"] == []
    assert [(r["section"], r["identifier"]) for r in preview["rows"]] == [
        ("Week 1: Foundations", "10.1038/nature14539"), ("Week 1: Foundations", "9780141439518"),
        ("Week 2: Sources", ""), ("Week 2: Sources", "10.12345/123456")]
    assert lookups.requests == []  # the preview looks nothing up

    report = _post(client, reading_list, DOCX).json()
    assert (report["format"], report["created"], report["rejected"]) == ("docx", 4, 0)
    deep, pride, handbook, unknown = _items(reading_list)
    assert deep.section.title == "Week 1: Foundations" and deep.title == "Deep learning"
    assert deep.type == "article" and deep.metadata["container-title"] == "Nature" and deep.tags == []
    assert pride.title == "Pride and Prejudice: a novel" and pride.metadata["ISBN"] == "9780141439518"
    # the hand-typed "1." is not part of the title; no identifier, but an APA reference: read into its
    # fields (LST-9, session 21), so it needs no review
    assert handbook.section.title == "Week 2: Sources" and handbook.tags == []
    assert handbook.title == ("Handbook of mathematical functions with formulas, graphs, and mathematical tables")
    assert handbook.metadata["author"] == [{"family": "Abramowitz", "given": "M."}, {"family": "Stegun", "given": "I. A."}]
    assert handbook.metadata["issued"] == {"date-parts": [[1964]]} and handbook.metadata["publisher"] == "Dover"
    # an identifier nobody knows (Crossref answers 404): kept as its text, with its DOI, for review
    assert unknown.title == "Smith, J. Testing identifier import. doi:10.12345/123456"
    assert unknown.metadata["DOI"] == "10.12345/123456" and unknown.tags == ["needs_review"]
    paths = [r["path"] for r in lookups.requests]
    assert paths == ["/crossref/works/10.1038/nature14539", "/openlibrary/api/books", "/crossref/works/10.12345/123456"]


def test_needs_review_is_for_the_editors_and_the_library_never_for_students(client, api, instructor, student, librarian,
                                                                           reading_list, lookups):
    client.force_login(instructor)
    _post(client, reading_list, DOCX)
    services.publish_list(instructor, reading_list)
    services.send_list(instructor, reading_list)
    # the library finds the lists with items to check (LST-7's item filter) and sees the tag on them
    r = api(librarian).get("/api/v1/librarian/lists", {"tab": "unassigned", "item_status": "needs_review"})
    assert [row["id"] for row in r.json()["items"]] == [reading_list.pk]
    body = api(librarian).get(f"/api/v1/lists/{reading_list.pk}").json()
    assert sum("needs_review" in c["tags"] for s in body["sections"] for c in s["citations"]) == 1
    # a student reading the published list never sees it
    seen = api(student).get(f"/api/v1/lists/{reading_list.pk}").json()
    assert not any("needs_review" in c["tags"] for s in seen["sections"] for c in s["citations"])
    # the instructor removes it once the item is right: it is no system tag
    handbook = Citation.objects.get(resource_list=reading_list, tags__icontains="needs_review", title__startswith="Smith")
    services.update_citation(instructor, handbook, tags=[])
    assert Citation.objects.get(pk=handbook.pk).tags == []


def test_a_word_document_with_many_identifiers_is_imported_in_the_background(client, instructor, reading_list, lookups,
                                                                             settings):
    settings.LIST_IMPORT_INLINE_LOOKUPS = 1  # three lookups: more than the request makes
    client.force_login(instructor)
    r = _post(client, reading_list, DOCX)
    assert r.status_code == 202, r.content
    job = r.json()
    assert job["status"] == "queued" and job["total"] == 4 and job["format"] == "docx"
    assert lookups.requests == [] and not Citation.objects.filter(resource_list=reading_list).exists()
    sweeps()["list_imports"](clock.now())
    done = client.get(f"/api/v1/lists/{reading_list.pk}/imports/{job['import_id']}").json()
    assert (done["status"], done["created"], done["rejected"]) == ("done", 4, 0)
    assert [c.title for c in _items(reading_list)][:2] == ["Deep learning", "Pride and Prejudice: a novel"]
    letters = OutboxMessage.objects.filter(idempotency_key__startswith=f"lists:import:{job['import_id']}:finished")
    assert {(m.letter, m.recipient_id) for m in letters} == {("list_import_done", instructor.pk)}


def test_a_large_spreadsheet_goes_to_the_background_within_the_same_bounds(client, instructor, reading_list, settings):
    settings.LIST_IMPORT_INLINE_BYTES = 200
    settings.LIST_IMPORT_MAX_ACTIVE_PER_LIST = 1
    client.force_login(instructor)
    first = _post(client, reading_list, CSV_BOM)
    assert first.status_code == 202
    second = _post(client, reading_list, XLSX)
    assert second.status_code == 409 and second.json()["rule"] == "LST-9"  # the list is busy: nothing stored
    assert ListImport.objects.filter(resource_list=reading_list).count() == 1
    sweeps()["list_imports"](clock.now())
    assert [c.title for c in _items(reading_list)][0] == "Ilíada = Ἰλιάς"


# --- refusals and bounds ---------------------------------------------------------------------------

def _xlsx(rows: list[list], **sheet) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_rows_and_columns_are_bounded(client, instructor, reading_list, settings):
    settings.LIST_IMPORT_SHEET_MAX_ROWS = 3
    client.force_login(instructor)
    r = _post(client, reading_list, "big.xlsx", _xlsx([["Title"]] + [[f"Book {i}"] for i in range(4)]))
    assert r.status_code == 400 and r.json()["detail"] == ("the spreadsheet has 4 rows of citations (at most 3): "
                                                           "split it into several files")
    settings.LIST_IMPORT_SHEET_MAX_COLUMNS = 5
    r = _post(client, reading_list, "wide.csv", b"Title,a,b,c,d,e,f\nX,1,2,3,4,5,6\n")
    assert r.status_code == 400 and r.json()["detail"].startswith("row 1 has 7 columns (at most 5)")


def test_a_zip_bomb_is_refused_before_it_is_opened(client, instructor, reading_list, settings):
    settings.LIST_IMPORT_UNPACKED_MAX_BYTES = 1024 * 1024
    raw = io.BytesIO(_xlsx([["Title"], ["A book"]]))
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        for info in source.infolist():
            bomb.writestr(info, source.read(info))
        bomb.writestr("xl/media/padding.bin", b"\0" * (3 * 1024 * 1024))  # 3 MB of zeros: a few kB packed
    assert len(out.getvalue()) < 20_000
    client.force_login(instructor)
    for name in ("bomb.xlsx", "bomb.docx"):
        r = _post(client, reading_list, name, out.getvalue())
        assert r.status_code == 400 and "unpacks to 3 MB (at most 1 MB)" in r.json()["detail"], r.json()


@pytest.mark.parametrize("name, content, detail", [
    ("list.xls", b"\xd0\xcf\x11\xe0rest", "the file is an Excel 97–2003 workbook (.xls): open it in Excel and save it"),
    ("list.doc", b"\xd0\xcf\x11\xe0rest", "the file is a Word 97–2003 document (.doc)"),
    ("list.xlsx", b"not a zip at all", "the file is not a readable Excel file"),
    ("list.docx", b"PK\x03\x04broken", "the file is not a readable Word file"),
    ("empty.csv", b"", "the spreadsheet is empty: nothing to import"),
    ("header-only.csv", b"Title;Author\r\n", "the spreadsheet has a header row (row 1) and no row of citations"),
])
def test_files_that_cannot_be_read_are_refused_naming_the_rule(client, instructor, reading_list, name, content, detail):
    client.force_login(instructor)
    r = _post(client, reading_list, name, content)
    assert r.status_code == 400 and r.json()["rule"] == "LST-9" and r.json()["detail"].startswith(detail), r.json()


def test_a_word_document_without_text_is_refused(client, instructor, reading_list):
    from docx import Document

    out = io.BytesIO()
    Document().save(out)
    client.force_login(instructor)
    r = _post(client, reading_list, "blank.docx", out.getvalue())
    assert r.status_code == 400 and r.json()["detail"] == "the Word document has no paragraph of text: nothing to import"


def test_who_may_not_edit_the_list_hears_so_before_the_file_is_read(client, student, reading_list, make_user, inst_b):
    services.publish_list(reading_list.owners.first(), reading_list)
    client.force_login(student)
    r = _post(client, reading_list, XLSX, path="import/preview")
    assert r.status_code == 403 and r.json()["rule"] == "LST-8"
    client.force_login(make_user("elsewhere", institution=inst_b, group="faculty"))
    assert _post(client, reading_list, XLSX).status_code == 404
    assert not Citation.objects.filter(resource_list=reading_list).exists()


def test_a_mapping_for_a_citation_file_is_refused(client, instructor, reading_list):
    client.force_login(instructor)
    r = client.post(f"/api/v1/lists/{reading_list.pk}/import",
                    {"file": SimpleUploadedFile("refs.ris", b"TY  - BOOK\nTI  - X\nER  - \n"), "mapping": '["title"]'})
    assert r.status_code == 400 and r.json()["detail"] == "mapping: only a spreadsheet (.xlsx, .csv) has columns to map"


# --- the template -------------------------------------------------------------------------------

def test_the_template_is_a_spreadsheet_whose_headers_the_import_reads(client, instructor, reading_list):
    client.force_login(instructor)
    r = client.get("/catalog/lists/import-template.xlsx")
    assert r.status_code == 200 and r["Content-Type"] == tables.XLSX_TYPE
    assert 'filename="reading-list-template.xlsx"' in r["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(r.content)).active
    assert [c.value for c in sheet[1]] == tables.TEMPLATE_HEADERS
    assert all(c.data_type == "s" for c in sheet[1])  # texts, never formulas
    preview = _post(client, reading_list, "template.xlsx", r.content, path="import/preview").json()
    assert IGNORE_NONE(preview) and preview["total"] == 1 and preview["rows"][0]["problems"] == []


def IGNORE_NONE(preview) -> bool:  # noqa: N802 - reads as a sentence in the assert
    return all(c["field"] != "ignore" for c in preview["columns"])


def test_formula_text_is_never_a_formula_in_the_template():
    from syllabus.core.office import neutralised, runs_as_formula

    assert runs_as_formula("=HYPERLINK(\"http://evil\")") and runs_as_formula("  ＝1+1")
    assert neutralised("@SUM(A1)") == "'@SUM(A1)" and neutralised(2003) == 2003


def test_an_excel_file_whose_texts_would_fill_the_memory_is_refused(client, instructor, reading_list, monkeypatch):
    """openpyxl holds every shared string (Excel keeps each text cell's text there) in memory even
    read-only: that part has its own ceiling, below the whole file's (security review, session 20)."""
    monkeypatch.setattr(tables, "SHARED_STRINGS_MAX_BYTES", 1024 * 1024)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(_xlsx([["Title"], ["A book"]]))) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as texts:
        for info in source.infolist():
            texts.writestr(info, source.read(info))
        strings = "".join(f"<si><t>A title {i} {'x' * 200}</t></si>" for i in range(10_000))
        texts.writestr("xl/sharedStrings.xml", f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{strings}</sst>')
    client.force_login(instructor)
    r = _post(client, reading_list, "texts.xlsx", out.getvalue())
    assert r.status_code == 400 and "the Excel file's texts unpack to 2 MB (at most 1 MB)" in r.json()["detail"], r.json()
    assert not Citation.objects.filter(section__resource_list=reading_list).exists()
