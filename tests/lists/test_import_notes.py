"""LST-3 / LST-9, session 20: the notes of an imported file — Zotero's notes (RIS N1, HTML), EndNote's
research notes (RIS RN), Scopus' notes, biblatex's ``annotation``, BibTeX's ``note``/``annote``, CSL's
``note``/``annote`` — are no longer dropped: they become the item's note for the library, never shown
to students, unless the person importing says they are for students (``notes_public``: the public
note).  Real files of the corpus (tests/data), each entry's note asserted."""
from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from syllabus.core import clock
from syllabus.lists import catalog_link, services
from syllabus.lists.models import Citation

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parent.parent / "data"
ZOTERO_NOTES = DATA / "ris" / "zotero-RIS-export-notes.ris"  # Zotero's own RIS export of items with notes

BOMBAY = "The Transactions of the Bombay Geographical Society. From May 1857 to May 1858. (New Issue.)"


def _post(client, lst, path: Path, **extra):
    return client.post(f"/api/v1/lists/{lst.pk}/import", {"file": SimpleUploadedFile(path.name, path.read_bytes()), **extra})


def _item(lst, title_start: str) -> Citation:
    return Citation.objects.get(resource_list=lst, title__startswith=title_start)


def test_zoteros_html_notes_become_the_library_note_as_text_and_students_never_see_them(client, instructor, student,
                                                                                         course):
    lst = services.create_list(instructor, title="Notes", courses=[course])
    services.publish_list(instructor, lst)
    client.force_login(instructor)
    r = _post(client, lst, ZOTERO_NOTES)
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["created"] == 3 and not any(d.startswith(("N1", "RN")) for d in body["dropped"])  # no longer dropped

    book = _item(lst, BOMBAY)
    # three N1 notes (two plain, one Zotero HTML note: <p><em>…</em></p><p>… &amp; …</p>), a paragraph each
    assert book.library_note == (
        "This volume contains a table of contents giving headings and page references. There is an index to "
        "Volumes I-XVII (1836-1864) in a separate volume (ST 393, index).\n\n"
        "Dimensions: 220 x 140mm\n\n"
        "The Transactions of the Bombay Geographical Society. From May 1857 to May 1858. (New Issue.) Edited by the "
        "Secretary. Volume XIV.\n\nPublication details: Bombay: Smith, Taylor & Co., 1859.\n\nWith maps and drawings.")
    assert book.public_note == ""
    glove = _item(lst, "Electronic Control Glove")  # a note over several RIS lines, headings in HTML
    assert glove.library_note == ("Classifications\n\nIPC\n\nG06F3/033; G09G5/08\n\nCPC\n\nG06F3/014 (EP, KR); "
                                  "G08C17/02 (KR, US); H01H2009/0221 (EP, KR); H01H2203/0085 (EP, KR)")
    case = Citation.objects.get(resource_list=lst, metadata__type="legal_case")
    assert case.library_note.startswith("HUDOC Legal Summary\n\nInformation Note on the Court’s case-law No. 122\n\n")
    assert "<" not in case.library_note and "&amp;" not in case.library_note

    # the list's editors see it; a student sees neither the page's note nor the API's
    assert "Smith, Taylor &amp; Co., 1859." in client.get(f"/lists/{lst.pk}/edit/").content.decode()
    client.force_login(student)
    page = client.get(f"/lists/{lst.pk}/").content.decode()
    assert BOMBAY in page and "Smith, Taylor" not in page and "Dimensions: 220" not in page
    items = [c for s in client.get(f"/api/v1/lists/{lst.pk}").json()["sections"] for c in s["citations"]]
    assert items and all(c["library_note"] is None and c["public_note"] == "" for c in items)


def test_notes_chosen_for_students_are_the_public_note(client, instructor, student, course):
    lst = services.create_list(instructor, title="Shared notes", courses=[course])
    services.publish_list(instructor, lst)
    client.force_login(instructor)
    assert _post(client, lst, DATA / "ris" / "zotero-RIS-09.ris", notes_public="true").status_code == 200
    scopus = _item(lst, "Using focus groups to adapt ethnically appropriate")
    assert scopus.public_note == "Cited By :10\n\nExport Date: 13 July 2022" and scopus.library_note == ""
    client.force_login(student)
    assert "Export Date: 13 July 2022" in client.get(f"/lists/{lst.pk}/").content.decode()


def test_the_editors_import_form_offers_the_choice_and_keeps_notes_for_the_library_by_default(client, instructor, course):
    """The list editor's import form (not only the API): a box "Show the entries' notes to students",
    unticked; the same file imported with and without it."""
    lst = services.create_list(instructor, title="From the form", courses=[course])
    services.add_section(instructor, lst, title="Week 1")
    client.force_login(instructor)
    editor = client.get(f"/lists/{lst.pk}/edit/").content.decode()
    assert 'name="notes_public"' in editor and "Show the entries' notes to students" in editor
    assert 'name="notes_public" value="1" checked' not in editor
    path = DATA / "ris" / "zotero-RIS-09.ris"
    for ticked in ({}, {"notes_public": "1"}):
        r = client.post(f"/catalog/lists/{lst.pk}/import/", {"file": SimpleUploadedFile(path.name, path.read_bytes()), **ticked})
        assert r.status_code == 302, r.content
    first, second = Citation.objects.filter(resource_list=lst, title__startswith="Using focus groups to adapt").order_by("pk")
    assert (first.public_note, first.library_note) == ("", "Cited By :10\n\nExport Date: 13 July 2022")
    assert (second.public_note, second.library_note) == ("Cited By :10\n\nExport Date: 13 July 2022", "")


def test_biblatex_annotations_and_bibtex_notes_are_the_library_note(instructor, course):
    lst = services.create_list(instructor, title="biblatex", courses=[course])
    catalog_link.import_into_list(instructor, lst.pk, (DATA / "bibtex" / "biblatex-examples.bib").read_text(encoding="utf-8"),
                                  filename="biblatex-examples.bib")
    # annotation = {A German article in a French journal. Apart from that, a typical \texttt{article} entry. ...}
    angenendt = _item(lst, "In Honore Salvatoris")
    assert angenendt.library_note == ("A German article in a French journal. Apart from that, a typical article entry. "
                                      "Note the indextitle field")
    # JabRef's test file: a BibTeX note (kept in the metadata for the exports as well)
    jabref = services.create_list(instructor, title="JabRef", courses=[course])
    catalog_link.import_into_list(instructor, jabref.pk, (DATA / "bibtex" / "bbt-excerpts.bib").read_text(encoding="utf-8"),
                                  filename="bbt-excerpts.bib")
    carat = _item(jabref, "CaratInterface")
    assert carat.library_note == "Refereed GAP package" and carat.metadata["note"] == "Refereed GAP package"


def test_a_background_import_keeps_the_choice_for_its_notes(instructor, course, settings):
    settings.LIST_IMPORT_INLINE_BYTES = 100
    private = services.create_list(instructor, title="Private", courses=[course])
    public = services.create_list(instructor, title="Public", courses=[course])
    text = ZOTERO_NOTES.read_text(encoding="utf-8")
    catalog_link.queue_import(instructor, private.pk, text, filename="notes.ris")
    catalog_link.queue_import(instructor, public.pk, text, filename="notes.ris", notes_public=True)
    assert catalog_link.run_imports(clock.now(), 60) == 6
    assert _item(private, "Electronic Control Glove").library_note.startswith("Classifications\n\nIPC")
    assert _item(private, "Electronic Control Glove").public_note == ""
    assert _item(public, "Electronic Control Glove").public_note.startswith("Classifications\n\nIPC")
    assert _item(public, "Electronic Control Glove").library_note == ""


def test_a_title_repeated_as_a_note_and_a_note_given_twice_are_read_once():
    from syllabus.citations import formats

    text = ("TY  - BOOK\nTI  - A Title\nN1  - A Title\nN1  - <p>Read <b>chapter 2</b> first</p>\n"
            "N1  - Read chapter 2 first\nRN  - Mine\nER  - \n")
    [entry] = formats.parse(text, "ris")[1]
    assert entry.notes == ("Read chapter 2 first", "Mine") and "N1" not in entry.dropped


def test_notes_longer_than_the_note_field_are_cut_with_an_ellipsis(instructor, course):
    lst = services.create_list(instructor, title="Long", courses=[course])
    long_note = "word " * 5000  # 25,000 characters
    report = catalog_link.import_into_list(instructor, lst.pk, f"TY  - BOOK\nTI  - Long notes\nN1  - {long_note}\nER  - \n")
    assert report.created == 1
    note = Citation.objects.get(resource_list=lst).library_note
    assert len(note) == catalog_link.NOTES_CHARS and note.endswith("…")
