"""Issue 18 item 2 (§12 uploads, DIG-4): a scan attached to a digitization request is served with
the type sniffed from its bytes and allow-listed, as an attachment unless it is a PDF or an image,
with ``nosniff`` and a sandboxing CSP — on the request's file route, the API's file download and
the delivery link.  A staff account must not be able to plant script on our origin."""
import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from syllabus.fulfillment import services
from syllabus.fulfillment.models import Kind

pytestmark = pytest.mark.django_db

PLANTED = b"<!doctype html><html><body><script>fetch('/api/v1/me').then(r=>r.text()).then(alert)</script></body></html>"


@pytest.fixture
def delivered(clock, course, instructor, record, operator, manager, default_rule):
    def make(upload):
        default_rule(target="inventory", copyright_required=True, approval_mode="parallel")
        req = services.request_for_course(instructor, kind=Kind.DIGITIZATION, institution=course.institution, record=record,
                                          course=course, citation_id=None, title="Middlemarch ch. 1",
                                          data={"start_date": dt.date(2026, 3, 1), "end_date": dt.date(2026, 6, 30),
                                                "page_ranges": [{"from": 1, "to": 30}]})
        services.pick(operator, req)
        req = services.attach_file(operator, req, upload)
        req = services.approve(manager, req, copyright=True)
        return services.deliver(operator, req)
    return make


def _assert_defused(response):
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream", response["Content-Type"]
    assert response["Content-Disposition"].startswith("attachment")
    assert ".html" not in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]


def test_html_claimed_by_the_uploader_is_never_served_as_a_page(client, api, delivered, student):
    req = delivered(SimpleUploadedFile("scan.html", PLANTED, content_type="text/html"))
    client.force_login(student)
    _assert_defused(client.get(f"/services/requests/{req.pk}/file/"))
    _assert_defused(api(student).get(f"/api/v1/digitization-requests/{req.pk}/file"))


def test_a_pdf_claiming_to_be_html_is_shown_inline_as_a_pdf(client, delivered, student):
    req = delivered(SimpleUploadedFile("scan.html", b"%PDF-1.4 scanned pages", content_type="text/html"))
    assert req.representation.mime_type == "application/pdf", "the sniffed type is stored, not the uploader's claim"
    client.force_login(student)
    response = client.get(f"/services/requests/{req.pk}/file/")
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline") and ".pdf" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff" and "sandbox" in response["Content-Security-Policy"]


# session 16: polyglots — a file that is two things at once is served as the harmless one, or as bytes
POLYGLOTS = {
    "svg-named-pdf": ("scan.pdf", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.domain)"/>'),
    "svg-named-png": ("page.png", b'<!-- a png --><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
    "svg-after-a-bom": ("page.svg", b'\xef\xbb\xbf<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
    "html-named-pdf": ("scan.pdf", PLANTED),
    "xhtml-named-jpg": ("scan.jpg", b'<html xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script></html>'),
    "utf16-html": ("scan.pdf", '<html><script>alert(1)</script></html>'.encode("utf-16")),
    "gif-and-html": ("scan.html", b"GIF89a/*\x00\x00<html><script>alert(1)</script></html>"),
    "pdf-and-html": ("scan.html", b"%PDF-1.4\n<html><script>alert(1)</script></html>"),
    "jpeg-and-svg": ("scan.svg", b"\xff\xd8\xff\xe0<svg onload=alert(1)>"),
}
SCRIPTABLE = {"text/html", "image/svg+xml", "application/xml", "text/xml", "application/xhtml+xml", "text/javascript"}


@pytest.mark.parametrize("name,body", POLYGLOTS.values(), ids=POLYGLOTS.keys())
def test_a_polyglot_is_never_served_as_a_page_or_an_svg_on_our_origin(client, delivered, student, name, body):
    """Whatever a file also is, it goes out as an allow-listed type sniffed from its bytes (a
    PDF, GIF or JPEG header wins and is shown as that, never parsed as a page), else as opaque
    bytes for download — always with nosniff and the sandbox, never with an .html/.svg name."""
    from syllabus.core.files import ALLOWED_TYPES, FALLBACK_TYPE, INLINE_TYPES

    req = delivered(SimpleUploadedFile(name, body, content_type="text/html"))
    client.force_login(student)
    response = client.get(f"/services/requests/{req.pk}/file/")
    assert response.status_code == 200
    served = response["Content-Type"].split(";")[0]
    assert served not in SCRIPTABLE and (served in ALLOWED_TYPES or served == FALLBACK_TYPE), served
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment") or served in INLINE_TYPES, (served, disposition)
    assert not any(ext in disposition.lower() for ext in (".html", ".svg", ".xhtml", ".xml")), disposition
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"].startswith("sandbox") and "script-src" not in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content) == body   # served as stored, not rewritten
