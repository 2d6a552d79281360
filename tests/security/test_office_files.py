"""Attack class (session 21 review of the list import, LST-9): hostile Excel and Word files.

- **a broken worksheet** — an .xlsx whose workbook opens but whose sheet's XML is malformed (an
  undefined entity, a cut-off part): openpyxl read-only parses the sheet only while its rows are
  iterated, and that ``ParseError`` escaped the import's own refusal — a 500 on the preview, the
  import and the page's import form.  Now ``LST-9`` naming the file, nothing imported.
- **XML entities** — an external entity (XXE: ``<!ENTITY x SYSTEM "file:///…">``) or a billion
  laughs in a .docx body, an .xlsx sheet or its shared strings: nothing of the local file reaches
  the list, the import ends at once (python-docx parses with ``resolve_entities=False``; openpyxl
  through defusedxml).
"""
from __future__ import annotations

import io
import time
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from docx import Document
from openpyxl import Workbook

from syllabus.lists import services
from syllabus.lists.models import Citation

pytestmark = pytest.mark.django_db

SECRET = "s21-local-secret-4711"
LOL = ('<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">'
       '<!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"><!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">'
       '<!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;"><!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">'
       '<!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;">')


@pytest.fixture
def reading_list(instructor, course):
    return services.create_list(instructor, title="SOC 210", courses=[course])


def _rewrite(raw: bytes, part: str, change) -> bytes:
    src, out = zipfile.ZipFile(io.BytesIO(raw)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for info in src.infolist():
            data = src.read(info.filename)
            z.writestr(info.filename, change(data) if info.filename == part else data)
    return out.getvalue()


def _with_dtd(root: str, entities: str, reference: str):
    def change(data: bytes) -> bytes:
        dtd = f"<!DOCTYPE {root} [{entities}]>".encode()
        if data.startswith(b"<?xml"):
            end = data.index(b"?>") + 2
            data = data[:end] + dtd + data[end:]
        else:
            data = dtd + data
        return data.replace(b"MARKER", reference.encode())
    return change


def _xlsx() -> bytes:
    book = Workbook()
    book.active.append(["Title", "Author"])
    book.active.append(["MARKER", "Austen"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _docx() -> bytes:
    document = Document()
    document.add_paragraph("MARKER")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _send(client, lst, name, raw, path="import/preview"):
    return client.post(f"/api/v1/lists/{lst.pk}/{path}", {"file": SimpleUploadedFile(name, raw)})


def test_lst9_an_xlsx_whose_sheet_xml_is_broken_is_refused_not_a_500(client, instructor, reading_list):
    client.force_login(instructor)
    broken = _rewrite(_xlsx(), "xl/worksheets/sheet1.xml", lambda d: d.replace(b"MARKER", b"&undefined;"))
    cut = _rewrite(_xlsx(), "xl/worksheets/sheet1.xml", lambda d: d[: len(d) // 2])
    for raw in (broken, cut):
        for path in ("import/preview", "import"):
            r = _send(client, reading_list, "list.xlsx", raw, path)
            assert r.status_code == 400, (path, r.status_code, r.content[:200])
            assert r.json()["rule"] == "LST-9" and "cannot be read" in r.json()["detail"]
    assert not Citation.objects.filter(resource_list=reading_list).exists()
    # the page's import form says the same
    r = client.post(f"/catalog/lists/{reading_list.pk}/import/preview/", {"file": SimpleUploadedFile("list.xlsx", broken)})
    assert r.status_code in (200, 400) and "LST-9" in r.content.decode()


@pytest.mark.parametrize("kind", ["docx", "xlsx-sheet"])
def test_lst9_xml_entities_in_an_office_file_read_no_local_file_and_expand_nothing(client, instructor, reading_list,
                                                                                  tmp_path, kind):
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    client.force_login(instructor)
    if kind == "docx":
        base, part, root, name = _docx(), "word/document.xml", "w:document", "list.docx"
    else:
        base, part, root, name = _xlsx(), "xl/worksheets/sheet1.xml", "worksheet", "list.xlsx"
    for entities, reference in ((f'<!ENTITY x SYSTEM "file://{secret}">', "&x;"), (LOL, "&h;")):
        raw = _rewrite(base, part, _with_dtd(root, entities, reference))
        started = time.monotonic()
        r = _send(client, reading_list, name, raw)
        assert time.monotonic() - started < 5
        assert r.status_code in (200, 400), r.status_code
        assert SECRET not in r.content.decode() and "aaaaaaaaaa" not in r.content.decode()
