"""LST-9 on the list pages: the instructor's editor and the student view export the list (format
and citation style picked on the page), and the editor imports RIS/BibTeX with a per-entry
report shown in place (htmx).  The pages use the catalog's services (the functions behind
GET /api/v1/lists/{id}/export and POST /api/v1/lists/{id}/import, and the styles of
GET /api/v1/styles)."""
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from docx import Document

from syllabus.citations import bibliography
from syllabus.lists import services
from syllabus.lists.models import Citation

from .conftest import BOOK

RIS = """TY  - BOOK
TI  - Pride and prejudice
AU  - Austen, Jane
PY  - 2003
PB  - Penguin Books
ER  - 

TY  - JOUR
AU  - Nobody, A.
PY  - 2001
ER  - 

TY  - JOUR
TI  - Deep learning
AU  - LeCun, Yann
T2  - Nature
PY  - 2015
DO  - 10.1038/nature14539
ER  - 
"""

HTMX = {"HTTP_HX_REQUEST": "true"}


def _export_url(lst):
    return f"/catalog/lists/{lst.pk}/export/"


def _import_url(lst):
    return f"/catalog/lists/{lst.pk}/import/"


def test_the_editor_has_an_export_form_with_the_style_picker_and_an_import_form(client, instructor, built_list):
    client.force_login(instructor)
    page = client.get(f"/lists/{built_list['list'].pk}/edit/").content.decode()
    assert 'data-testid="export-form"' in page and 'data-testid="import-form"' in page
    assert f'action="{_export_url(built_list["list"])}"' in page
    assert f'hx-post="{_import_url(built_list["list"])}"' in page
    for name, _label in bibliography.PICKER:  # the same source as GET /api/v1/styles
        assert f'<option value="{name}"' in page
    for required in ("apa", "harvard-cite-them-right", "chicago-author-date", "modern-language-association", "nlm-citation-sequence"):
        assert f'<option value="{required}"' in page
    for fmt in ("html", "docx", "ris", "bibtex", "csl-json"):
        assert f'<option value="{fmt}"' in page


def test_export_downloads_a_bibliography_in_the_chosen_style(client, instructor, built_list):
    client.force_login(instructor)
    lst = built_list["list"]
    r = client.get(_export_url(lst), {"format": "html", "style": "harvard-cite-them-right"})
    assert r.status_code == 200 and r["Content-Type"] == "text/html; charset=utf-8"
    assert r["Content-Disposition"].startswith("attachment;")
    body = r.content.decode()
    harvard = bibliography.render([BOOK | {"type": "book"}], "harvard-cite-them-right")[0]
    apa = bibliography.render([BOOK | {"type": "book"}], "apa")[0]
    assert harvard != apa and harvard in body and apa not in body
    assert "Harvard (Cite Them Right)" in body
    docx = client.get(_export_url(lst), {"format": "docx", "style": "mla"})
    assert docx.status_code == 200
    assert docx["Content-Type"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    paragraphs = [p.text for p in Document(io.BytesIO(docx.content)).paragraphs]
    assert paragraphs[0] == lst.title and any(p.startswith("Thompson, E. P.") for p in paragraphs)
    ris = client.get(_export_url(lst), {"format": "ris"})
    assert ris["Content-Type"].startswith("application/x-research-info-systems") and "TI  - The Making" in ris.content.decode()
    assert client.get(_export_url(lst), {"format": "pdf"}).status_code == 400


def test_the_student_view_exports_but_does_not_import(client, instructor, student, other_student, built_list):
    lst = built_list["list"]
    services.publish_list(instructor, lst)
    client.force_login(student)
    page = client.get(f"/lists/{lst.pk}/").content.decode()
    assert 'data-testid="export-form"' in page and 'data-testid="import-form"' not in page
    r = client.get(_export_url(lst), {"format": "html", "style": "apa"})
    assert r.status_code == 200 and "Thompson" in r.content.decode()
    n = Citation.objects.count()
    refused = client.post(_import_url(lst), {"file": SimpleUploadedFile("r.ris", RIS.encode())}, **HTMX)
    assert refused.status_code in (403, 404)
    assert client.post(_import_url(lst), {}).status_code in (403, 404)
    assert Citation.objects.count() == n
    client.force_login(other_student)  # not enrolled: does not know the list
    assert client.get(_export_url(lst), {"format": "ris"}).status_code == 404
    assert client.post(_import_url(lst), {"file": SimpleUploadedFile("r.ris", RIS.encode())}).status_code == 404


def test_import_shows_the_report_in_place_and_adds_the_citations(client, instructor, built_list):
    lst = built_list["list"]
    week2 = built_list["sections"][1]
    client.force_login(instructor)
    r = client.post(_import_url(lst), {"file": SimpleUploadedFile("reading.ris", RIS.encode()), "section_id": str(week2.pk)}, **HTMX)
    assert r.status_code == 200
    html = r.content.decode()
    assert "<html" not in html  # a fragment for the report area, no page reload
    assert 'data-testid="import-summary"' in html and "2 entries imported" in html and "1 refused" in html
    assert "Pride and prejudice" in html and "Deep learning" in html and "LST-9" in html
    added = Citation.objects.filter(resource_list=lst, title__in=["Pride and prejudice", "Deep learning"])
    assert added.count() == 2 and set(added.values_list("section_id", flat=True)) == {week2.pk}
    editor = client.get(f"/lists/{lst.pk}/edit/").content.decode()
    assert "Pride and prejudice" in editor


def test_import_without_javascript_redirects_to_the_editor_with_a_summary(client, instructor, built_list):
    lst = built_list["list"]
    client.force_login(instructor)
    r = client.post(_import_url(lst), {"file": SimpleUploadedFile("reading.ris", RIS.encode())}, follow=True)
    assert r.redirect_chain[-1][0] == f"/lists/{lst.pk}/edit/"
    assert "2 entries imported" in r.content.decode()
    bad = client.post(_import_url(lst), {"file": SimpleUploadedFile("x.txt", b"hello")}, **HTMX)
    assert bad.status_code == 400 and "LST-9" in bad.content.decode()


def test_the_list_import_reports_read_imported_refused_with_line_and_dropped(client, instructor, built_list):
    """Issue 13 (LST-9): per file — read, imported, refused with rule and line, dropped fields named."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from syllabus.org.services import create_api_token

    ris = ("TY  - BOOK\nTI  - Kept\nAU  - Austen, Jane\nDP  - a database provider we do not import\n"
           "N1  - a note: the library's (session 20)\nER  - \n\n"
           "TY  - BOOK\nAU  - Nobody\nER  - \n\n"
           "TY  - BOOK\nTI  - Bad ISBN\nSN  - 123\nER  - \n")
    lst = built_list["list"]
    _, token = create_api_token(instructor)
    r = client.post(f"/api/v1/lists/{lst.pk}/import", {"file": SimpleUploadedFile("refs.ris", ris.encode()), "format": "ris"},
                    HTTP_AUTHORIZATION=f"Bearer {token}")
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["read"], body["created"], body["rejected"]) == (3, 1, 2)
    assert body["dropped"] == ["DP (1)"]
    first, second, third = body["entries"]
    assert first["status"] == "created" and first["dropped"] == ["DP"] and first["line"] == 1
    assert lst.citations.get(pk=first["citation_id"]).library_note == "a note: the library's (session 20)"
    assert second["status"] == "rejected" and second["line"] == 8 and "line 8" in second["detail"]
    assert third["status"] == "rejected" and third["rule"] == "LST-2" and third["line"] == 12


def _selected_style(page: str) -> str:
    import re

    select = re.search(r'<select id="export-style-\d+" name="style">(.*?)</select>', page).group(1)
    return re.findall(r'<option value="([^"]+)" selected>', select)[0]


def test_the_export_form_shows_the_institutions_style_and_the_language_at_once(client, instructor, student, built_list):
    """The export form is kept rendered between requests (issue 19): a change of the
    institution's citation style or of the language shows on the next page."""
    from syllabus.org import config

    lst = built_list["list"]
    services.publish_list(instructor, lst)
    client.force_login(student)
    page = client.get(f"/lists/{lst.pk}/").content.decode()
    assert _selected_style(page) == bibliography.DEFAULT_STYLE
    config.set_value("citation_style", "chicago-author-date", institution=lst.institution)
    page = client.get(f"/lists/{lst.pk}/").content.decode()
    assert _selected_style(page) == "chicago-author-date"
    assert f'action="{_export_url(lst)}"' in page and f'id="export-style-{lst.pk}"' in page
    client.cookies["django_language"] = "fr"
    french = client.get(f"/lists/{lst.pk}/").content.decode()
    client.cookies["django_language"] = "en"
    english = client.get(f"/lists/{lst.pk}/").content.decode()
    assert "Download" in english and "Download" not in french
