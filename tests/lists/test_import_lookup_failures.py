"""LST-9 (session 25): an identifier looked up during an import (a pasted or Word paragraph with a DOI or an
ISBN, a spreadsheet row without a title) whose look-up fails keeps the entry as written — and the import report
now says so for that entry, with why: the service did not answer in time, answered 5xx, or nobody knows the
identifier.  Before, the kept paragraph was added "Needs review" with nothing in the report to tell a failed
look-up from a paragraph that had no identifier at all.

Crossref and Open Library are a local server speaking their protocol (tests/catalog/conftest.py), and a socket
that accepts connections and never answers (a service that hangs)."""
from __future__ import annotations

import socket

import pytest

from syllabus.lists import services
from syllabus.lists.models import Citation
from tests.catalog.conftest import fake_http  # noqa: F401 — the local Crossref / Open Library

pytestmark = pytest.mark.django_db

PASTED = ("Smith, J. Testing identifier import. doi:10.12345/123456\n\n"
          "Jones, K. A study that hangs. doi:10.5555/hangs\n\n"
          "Brown, L. A book nobody has. ISBN 9780306406157\n\n"
          "Green, M. A paragraph without an identifier")


@pytest.fixture
def hanging():
    """A 'server' that accepts a connection and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    sock.close()


@pytest.fixture
def reading_list(instructor, course):
    return services.create_list(instructor, title="SOC 210", courses=[course])


@pytest.fixture
def services_failing(fake_http, hanging, settings):  # noqa: F811
    fake_http.route("/crossref/works/10.12345/123456", status=503, body="Service Unavailable")
    fake_http.route("/openlibrary/api/books", body="{}", content_type="application/json")  # nobody knows it
    settings.LOOKUP_TIMEOUT = "0.5"
    return fake_http



def test_lst9_each_failed_look_up_is_named_in_the_import_report_with_why(api, instructor, reading_list, services_failing,
                                                                        hanging, settings):
    # the second DOI's registrant... is Crossref too: one server per service, so the timeout is its own import
    r = api(instructor).post(f"/api/v1/lists/{reading_list.pk}/paste", {"text": PASTED.replace(
        "Jones, K. A study that hangs. doi:10.5555/hangs\n\n", "")})
    assert r.status_code == 201, r.content
    entries = r.json()["entries"]
    assert [(e["status"], e["detail"]) for e in entries] == [
        ("created", "10.12345/123456: LST-2: Crossref answered 503"),
        ("created", "9780306406157: nobody knows it (the catalog, Open Library, Crossref)"),
        ("created", ""),  # no identifier: nothing was looked up
    ]
    # each is kept as written, for review
    assert [c.tags for c in Citation.objects.filter(resource_list=reading_list).order_by("position")] == [["needs_review"]] * 3

    settings.CROSSREF_URL = hanging + "/crossref"  # Crossref hangs: the look-up gives up after LOOKUP_TIMEOUT
    r = api(instructor).post(f"/api/v1/lists/{reading_list.pk}/paste", {"text": "Jones, K. A study that hangs. doi:10.5555/hangs"})
    assert r.json()["entries"][0]["detail"] == "10.5555/hangs: LST-2: Crossref did not answer in time (0.5 s)"


def test_lst9_the_editor_says_which_pasted_reference_s_look_up_failed(client, instructor, reading_list, services_failing):
    client.force_login(instructor)
    r = client.post(f"/lists/{reading_list.pk}/edit/paste/add/", {"text": PASTED.split("\n\n")[0]}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    page = r.content.decode()
    assert "Look-up failed, kept as written: Smith, J. Testing identifier import. doi:10.12345/123456 — " \
           "10.12345/123456: LST-2: Crossref answered 503" in page


def test_lst9_a_word_import_report_names_the_failed_look_up_on_its_line(client, instructor, reading_list, services_failing):
    from pathlib import Path

    from django.core.files.uploadedfile import SimpleUploadedFile

    docx = (Path(__file__).resolve().parents[1] / "data" / "office" / "reading-list.docx").read_bytes()
    services_failing.route("/crossref/works/10.1038/nature14539", file="crossref_10.1038_nature14539.json")
    client.force_login(instructor)
    page = client.post(f"/catalog/lists/{reading_list.pk}/import/", {"file": SimpleUploadedFile("reading-list.docx", docx)},
                       HTTP_HX_REQUEST="true").content.decode()
    assert page.count('data-testid="import-lookup-failed"') == 2
    assert "Look-up failed, kept as written: 10.12345/123456: LST-2: Crossref answered 503" in page
    assert "Look-up failed, kept as written: 9780141439518: nobody knows it" in page
