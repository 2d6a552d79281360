"""Issue 18, item 4: a NUL or other control character in a citation made the Word export fail
(500) for everyone.  The API refuses them with an error naming the field; an import drops them;
every export copes with those already stored."""
from __future__ import annotations

import io

import pytest

from tests.problem import problem


def test_the_api_refuses_a_control_character_naming_the_field(api, instructor, built_list):
    lst = built_list["list"]
    r = api(instructor).post(f"/api/v1/lists/{lst.pk}/citations",
                             {"type": "book", "metadata": {"title": "Bad\u0000title"}})
    assert r.status_code == 422
    body = problem(r)
    assert body["field"] == "metadata.title" and "U+0000" in body["detail"]
    r = api(instructor).patch(f"/api/v1/lists/{lst.pk}", {"title": "Esc\u001bape"})
    assert r.status_code == 422 and problem(r)["field"] == "title"
    r = api(instructor).get("/api/v1/courses", {"q": "a\u0007b"})
    assert r.status_code == 422 and problem(r)["field"] == "q"
    # tab and line breaks are text
    r = api(instructor).patch(f"/api/v1/lists/{lst.pk}", {"description": "line one\nline two\tend"})
    assert r.status_code == 200


@pytest.mark.parametrize("fmt", ["docx", "html", "ris", "bibtex", "csl-json"])
def test_every_export_copes_with_control_characters_already_stored(api, instructor, built_list, fmt):
    book = built_list["book"]
    # U+0001, not NUL: PostgreSQL text cannot hold NUL at all, so only SQLite could have "stored" one
    book.metadata = {**book.metadata, "title": "Pride\u0001 and\u000b prejudice\u001b"}
    book.title = "Pride\u0001 and prejudice"
    book.save()
    r = api(instructor).get(f"/api/v1/lists/{built_list['list'].pk}/export", {"format": fmt})
    assert r.status_code == 200
    content = r.content
    if fmt == "docx":
        from docx import Document

        text = "\n".join(p.text for p in Document(io.BytesIO(content)).paragraphs)
    else:
        text = content.decode()
    assert "Pride and prejudice" in text.replace("\\u0000", "")
    assert not any(ch in text for ch in "\x00\x01\x0b\x1b")


def test_an_import_drops_control_characters(client, instructor, built_list):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from syllabus.lists.models import Citation
    from syllabus.org.services import create_api_token

    ris = "TY  - BOOK\r\nTI  - Clean\u0001 title\u0000\r\nAU  - Doe, Jane\r\nPY  - 2001\r\nER  - \r\n"
    lst = built_list["list"]
    _, token = create_api_token(instructor)
    r = client.post(f"/api/v1/lists/{lst.pk}/import", {"file": SimpleUploadedFile("bad.ris", ris.encode())},
                    HTTP_AUTHORIZATION=f"Bearer {token}")
    assert r.status_code == 200, r.content
    assert Citation.objects.filter(section__resource_list=lst, title="Clean title").exists()
