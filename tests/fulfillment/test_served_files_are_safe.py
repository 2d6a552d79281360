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
