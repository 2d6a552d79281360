"""Acceptance 3: an invalid ISBN, an upload over the configured limit and an illegal status jump
each get a 4xx with the rule id, and change nothing (LST-2, LST-3, LST-4).  Plus the other
metadata, upload and workflow refusals."""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from syllabus.core.models import AuditEntry
from syllabus.lists import services
from syllabus.lists.models import Citation, LibrarianTask, ResourceList
from syllabus.org import config
from tests.problem import problem

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _snapshot():
    return (list(ResourceList.objects.values().order_by("pk")), list(Citation.objects.values().order_by("pk")),
            list(LibrarianTask.objects.values().order_by("pk")), AuditEntry.objects.count())


def _pdf(size: int, name="reading.pdf"):
    return SimpleUploadedFile(name, PDF + b"0" * max(0, size - len(PDF)), content_type="application/pdf")


def test_acceptance_3_invalid_isbn_is_refused_and_changes_nothing(api, instructor, built_list):
    lst, section = built_list["list"], built_list["sections"][0]
    teacher = api(instructor)
    before = _snapshot()
    r = teacher.post(f"/api/v1/lists/{lst.pk}/citations",
                             {"section_id": section.pk, "type": "book", "metadata": {"title": "Bad", "ISBN": "978-0-14-143954-0"}})
    assert r.status_code == 400
    assert problem(r) == {"rule": "LST-2", "field": "metadata.ISBN",
                        "detail": "ISBN 978-0-14-143954-0 is not valid (the number's checksum or check digit is invalid)"}
    r = teacher.patch(f"/api/v1/citations/{built_list['book'].pk}", {"metadata": {"ISBN": "12345"}})
    assert r.status_code == 400 and r.json()["rule"] == "LST-2"
    assert _snapshot() == before


def test_acceptance_3_upload_over_the_configured_limit_is_refused_and_changes_nothing(api, client, instructor, built_list, inst_a, settings):
    config.set_value("max_upload_mb_instructor", 1, institution=inst_a)
    book = built_list["book"]
    auth = api(instructor).headers["HTTP_AUTHORIZATION"]
    before = _snapshot()
    r = client.post(f"/api/v1/citations/{book.pk}/file", {"file": _pdf(1024 * 1024 + 1)}, HTTP_AUTHORIZATION=auth)
    assert r.status_code == 413
    assert r.json()["rule"] == "LST-3" and "limit for you is 1 MB" in r.json()["detail"]
    assert _snapshot() == before
    media = settings.MEDIA_ROOT
    assert not any(p.is_file() for p in media.rglob("*")) if media.exists() else True
    r = client.post(f"/api/v1/citations/{book.pk}/file", {"file": _pdf(1024 * 1024)}, HTTP_AUTHORIZATION=auth)
    assert r.status_code == 200, r.content


def test_acceptance_3_illegal_status_jump_is_refused_and_changes_nothing(api, librarian, instructor, built_list):
    lib = api(librarian)
    lst, book = built_list["list"], built_list["book"]
    before = _snapshot()
    r = lib.patch(f"/api/v1/citations/{book.pk}", {"status": "complete"})  # being prepared → complete
    assert r.status_code == 409
    assert problem(r) == {"rule": "LST-4", "detail": "an item cannot go from Being prepared to Complete"}
    r = lib.patch(f"/api/v1/lists/{lst.pk}", {"status": "complete"})  # being prepared → complete
    assert r.status_code == 409 and r.json()["rule"] == "LST-4"
    assert "Being prepared to Complete" in r.json()["detail"]
    assert _snapshot() == before


def test_a_patch_that_fails_half_way_writes_nothing(api, librarian, built_list):
    """PATCH with a valid note and an illegal status: one transaction, nothing kept."""
    book = built_list["book"]
    r = api(librarian).patch(f"/api/v1/citations/{book.pk}", {"library_note": "changed", "status": "complete"})
    assert r.status_code == 409
    book.refresh_from_db()
    assert book.library_note == ""


def test_unknown_status_names_the_rule(api, librarian, built_list):
    r = api(librarian).patch(f"/api/v1/citations/{built_list['book'].pk}", {"status": "done"})
    assert r.status_code == 400 and r.json()["rule"] == "LST-4"


def test_sending_twice_is_refused(api, instructor, built_list):
    assert api(instructor).post(f"/api/v1/lists/{built_list['list'].pk}/send").status_code == 200
    r = api(instructor).post(f"/api/v1/lists/{built_list['list'].pk}/send")
    assert r.status_code == 409 and r.json()["rule"] == "LST-4"
    r = api(instructor).post(f"/api/v1/citations/{built_list['book'].pk}/send")
    assert r.status_code == 409 and "already Ready for processing" in r.json()["detail"]


@pytest.mark.parametrize("meta, field, words", [
    ({"title": "X", "ISSN": "0317-8472"}, "metadata.ISSN", "ISSN 0317-8472 is not valid"),
    ({"title": "X", "DOI": "10.1000"}, "metadata.DOI", "DOI 10.1000 is not valid"),
    ({"title": "X", "URL": "javascript:alert(1)"}, "metadata.URL", "not a valid http(s) address"),
    ({"title": ""}, "metadata.title", "needs a title"),
    ({"title": "X", "authors": [{"family": "A"}]}, "metadata.authors", "did you mean 'author'"),
    ({"title": "X", "author": [{"given": "Only"}]}, "metadata.author", "family name"),
    # 13–16 and 21–24 are seasons (citeproc-js, EDTF): 17 is neither month nor season
    ({"title": "X", "issued": {"date-parts": [[2020, 17]]}}, "metadata.issued", "not a valid date"),
])
def test_metadata_is_checked_with_a_clear_error(api, instructor, built_list, meta, field, words):
    r = api(instructor).post(f"/api/v1/lists/{built_list['list'].pk}/citations", {"type": "article", "metadata": meta})
    assert r.status_code == 400, r.content
    assert r.json()["rule"] == "LST-2" and r.json()["field"] == field and words in r.json()["detail"]


def test_metadata_is_normalised(api, instructor, built_list):
    meta = {"title": "  Spaces  ", "ISSN": "03178471", "DOI": "https://doi.org/10.1000/XYZ.1", "ISBN": "0-14-143954-8",
            "author": ["Eliot, George", "UNESCO"], "issued": "1994-05", "volume": 3}
    r = api(instructor).post(f"/api/v1/lists/{built_list['list'].pk}/citations", {"type": "book", "metadata": meta})
    assert r.status_code == 201, r.content
    m = r.json()["metadata"]
    assert m == {"title": "Spaces", "ISSN": "0317-8471", "DOI": "10.1000/XYZ.1", "ISBN": "9780141439549",
                 "author": [{"family": "Eliot", "given": "George"}, {"literal": "UNESCO"}],
                 "issued": {"date-parts": [[1994, 5]]}, "volume": "3", "type": "book"}


def test_metadata_patch_is_a_merge_patch(api, instructor, built_list):
    book = built_list["book"]
    r = api(instructor).patch(f"/api/v1/citations/{book.pk}", {"metadata": {"edition": "2", "publisher-place": None}})
    assert r.status_code == 200
    m = r.json()["metadata"]
    assert m["edition"] == "2" and "publisher-place" not in m and m["title"] == book.metadata["title"]
    assert "2nd ed." in r.json()["formatted"]


def test_upload_type_is_sniffed_not_trusted(api, client, instructor, built_list):
    exe = SimpleUploadedFile("reading.pdf", b"MZ\x90\x00" + b"\x00" * 200, content_type="application/pdf")
    r = client.post(f"/api/v1/citations/{built_list['book'].pk}/file", {"file": exe},
                    HTTP_AUTHORIZATION=api(instructor).headers["HTTP_AUTHORIZATION"])
    assert r.status_code == 415 and r.json()["rule"] == "LST-3"
    assert not Citation.objects.get(pk=built_list["book"].pk).file


def test_upload_is_stored_under_a_generated_name_and_served_with_access_checks(api, client, instructor, student,
                                                                              other_student, built_list):
    book = built_list["book"]
    auth = api(instructor).headers["HTTP_AUTHORIZATION"]
    r = client.post(f"/api/v1/citations/{book.pk}/file", {"file": _pdf(2000, name="../../etc/Chapter 1 <x>.pdf")},
                    HTTP_AUTHORIZATION=auth)
    assert r.status_code == 200, r.content
    f = r.json()["file"]
    assert f["name"] == "Chapter 1 x.pdf" and f["content_type"] == "application/pdf" and f["size"] == 2000
    book.refresh_from_db()
    assert book.file.name.startswith("lists/") and "Chapter" not in book.file.name and book.file.name.endswith(".pdf")
    # the enrolled student may download once the list is published; others never
    services.publish_list(instructor, built_list["list"])
    download = api(student).get(f["url"])
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Security-Policy"].startswith("sandbox") and "no-store" in download["Cache-Control"]
    assert download["Content-Disposition"].startswith("inline") and 'filename="Chapter 1 x.pdf"' in download["Content-Disposition"]
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    assert api(other_student).get(f["url"]).status_code == 404
    client.force_login(other_student)
    assert client.get(f"/lists/items/{book.pk}/file/").status_code == 404
    client.force_login(student)
    assert client.get(f"/lists/items/{book.pk}/file/").status_code == 200


def test_student_upload_limit_applies_to_a_student_collaborator(api, client, instructor, make_user, built_list, inst_a):
    config.set_value("max_upload_mb_student", 1, institution=inst_a)
    ta = make_user("ta2", group="postgraduate")
    services.update_list(instructor, built_list["list"], collaborators=["ta2"])
    r = client.post(f"/api/v1/citations/{built_list['book'].pk}/file", {"file": _pdf(1024 * 1024 + 10)},
                    HTTP_AUTHORIZATION=api(ta).headers["HTTP_AUTHORIZATION"])
    assert r.status_code == 413 and "limit for you is 1 MB" in r.json()["detail"]


def test_system_tags_are_the_librarys(api, instructor, librarian, built_list):
    book = built_list["book"]
    r = api(instructor).patch(f"/api/v1/citations/{book.pk}", {"tags": ["essential", "new_edition_available"]})
    assert r.status_code == 403 and r.json()["rule"] == "LST-3"
    r = api(librarian).patch(f"/api/v1/citations/{book.pk}", {"tags": ["essential", "new_edition_available"]})
    assert r.status_code == 200 and r.json()["tags"] == ["essential", "new_edition_available"]
    # an instructor's later tag change keeps the system tag
    r = api(instructor).patch(f"/api/v1/citations/{book.pk}", {"tags": ["optional"]})
    assert r.status_code == 200 and r.json()["tags"] == ["optional", "new_edition_available"]
    r = api(instructor).patch(f"/api/v1/citations/{book.pk}", {"tags": ["nonsense"]})
    assert r.status_code == 400 and r.json()["rule"] == "LST-3"


def test_section_dates_must_be_ordered(api, instructor, built_list):
    r = api(instructor).post(f"/api/v1/lists/{built_list['list'].pk}/sections",
                             {"title": "Week 9", "start_date": "2026-05-01", "end_date": "2026-04-01"})
    assert r.status_code == 400 and r.json()["rule"] == "LST-1"


def test_a_section_with_items_is_not_deleted(api, instructor, built_list):
    r = api(instructor).delete(f"/api/v1/sections/{built_list['sections'][0].pk}")
    assert r.status_code == 409 and r.json()["rule"] == "LST-1"


def test_assigning_to_someone_who_is_not_a_librarian_is_refused(api, librarian, instructor, built_list):
    r = api(librarian).post(f"/api/v1/lists/{built_list['list'].pk}/assign", {"username": "instructor"})
    assert r.status_code == 400 and r.json()["rule"] == "LST-7"
