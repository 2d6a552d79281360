"""Accessible file requests (SRV-4; issue 12 acceptance 4): the institution's addresses receive
an e-mail (through the outbox, a real SMTP server on loopback) with every field; the file staff
attach opens for the requester only, served with its sniffed allow-listed type."""
from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from syllabus.circulation.models import AccessibleRequest
from syllabus.notify.delivery import deliver_due
from syllabus.notify.models import OutboxMessage

from .conftest import ACCESS_DESKS

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def item(published, instructor):
    from syllabus.lists import services

    lst, section = published
    return services.add_citation(instructor, lst, section, "book", {"title": "Middlemarch", "author": [{"family": "Eliot", "given": "George"}]})


def test_request_emails_every_configured_address_with_every_field(item, student, accessible_desks, smtp_server, api, clock):
    student.first_name, student.last_name, student.email = "Sam", "Student", "sam.student@inst-a.example.edu"
    student.save()
    r = api(student).post(f"/api/v1/citations/{item.pk}/accessible-requests",
                          {"format": "Accessible PDF", "comment": "I use a screen reader (NVDA)."})
    assert r.status_code == 201, r.json()
    assert r.json()["status"] == "open" and r.json()["file_url"] is None
    assert OutboxMessage.objects.filter(letter="accessible_file_request").count() == 2  # written in the transaction
    deliver_due()
    assert sorted(rcpt for env in smtp_server.envelopes for rcpt in env.rcpt_tos) == sorted(ACCESS_DESKS)
    for message in smtp_server.messages:
        body = message.get_body(("plain",)).get_content()
        assert "Middlemarch" in message["Subject"] and "Accessible PDF" in message["Subject"]
        assert "Sam Student" in body                                             # requester
        assert "Item: Middlemarch" in body                                       # citation
        assert "HIST101 Introduction to Modern History" in body                  # course
        assert "I use a screen reader (NVDA)." in body                           # comment
        assert f"/lists/{item.resource_list_id}/#item-{item.pk}" in body        # link to the item
        assert "Send the accessible file to: sam.student@inst-a.example.edu" in body


def test_the_file_opens_for_the_requester_only(item, student, reserves, make_user, course, accessible_desks, client):
    from syllabus.courses.models import Enrollment

    client.force_login(student)
    r = client.post(reverse("circulation:accessible-request", args=[item.pk]), {"format": "EPUB", "comment": ""})
    assert r.status_code == 302
    req = AccessibleRequest.objects.get()
    file_url = reverse("circulation:accessible-file", args=[req.pk])
    assert client.get(file_url).status_code == 409  # nothing attached yet
    client.force_login(reserves)
    assert client.get(reverse("circulation:accessible")).status_code == 200
    r = client.post(reverse("circulation:accessible-detail", args=[req.pk]),
                    {"file": SimpleUploadedFile("page.html", b"<html><script>alert(1)</script></html>", content_type="application/pdf")})
    assert r.status_code == 415 and "SRV-4" in r.content.decode()
    r = client.post(reverse("circulation:accessible-detail", args=[req.pk]),
                    {"file": SimpleUploadedFile("middlemarch.pdf", PDF, content_type="text/html")})
    assert r.status_code == 302
    req.refresh_from_db()
    assert req.status == "fulfilled" and req.file_type == "application/pdf"
    assert OutboxMessage.objects.filter(letter="accessible_file_ready", recipient=student).exists()
    assert client.get(file_url).status_code == 404  # staff attach it but do not open it as the student's file
    classmate = make_user("classmate")
    Enrollment.objects.create(course=course, user=classmate)
    client.force_login(classmate)
    assert client.get(file_url).status_code == 404
    client.force_login(student)
    response = client.get(file_url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf" and response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("inline") and response["Content-Security-Policy"].startswith("sandbox")
    assert b"".join(response.streaming_content) == PDF
    client.logout()
    assert client.get(file_url).status_code == 302


def test_a_word_file_downloads_as_attachment(item, student, reserves, accessible_desks, client):
    from syllabus.circulation import services

    req = services.request_accessible_file(student, item, format="Word document")
    from syllabus.citations.bibliography import to_docx

    docx = to_docx(["Eliot, G. (1871). <i>Middlemarch</i>."], title="Middlemarch, large print")  # a real .docx (python-docx)
    services.attach_accessible_file(reserves, req, SimpleUploadedFile("readings.docx", docx))
    client.force_login(student)
    response = client.get(reverse("circulation:accessible-file", args=[req.pk]))
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert response["Content-Disposition"].startswith("attachment")


def test_refusals_name_srv_4(item, student, other_student_outside, inst_a, api):
    r = api(student).post(f"/api/v1/citations/{item.pk}/accessible-requests", {"format": "Accessible PDF"})
    assert r.status_code == 409 and r.json()["rule"] == "SRV-4"  # no address configured
    from syllabus.org import config

    config.set_value("accessible_file_request_emails", ACCESS_DESKS, institution=inst_a)
    r = api(student).post(f"/api/v1/citations/{item.pk}/accessible-requests", {"format": "Hologram"})
    assert r.status_code == 400 and r.json()["rule"] == "SRV-4"
    r = api(student).post(f"/api/v1/citations/{item.pk}/accessible-requests", {"format": "EPUB", "comment": "x" * 2001})
    assert r.status_code == 400 and r.json()["rule"] == "SRV-4"
    assert api(student).post(f"/api/v1/citations/{item.pk}/accessible-requests", {"format": "EPUB"}).status_code == 201
    r = api(student).post(f"/api/v1/citations/{item.pk}/accessible-requests", {"format": "EPUB"})
    assert r.status_code == 409 and r.json()["rule"] == "SRV-4"
    assert api(other_student_outside).post(f"/api/v1/citations/{item.pk}/accessible-requests", {"format": "EPUB"}).status_code == 404
    assert AccessibleRequest.objects.count() == 1


@pytest.fixture
def other_student_outside(make_user):
    return make_user("outsider")


# --- which items offer it (SRV-4: "eligible items"; session 14) ---------------------------------------

@pytest.fixture
def kinds(published, instructor):
    """A web page anyone opens, a web page with the instructor's uploaded file, a chapter, an article."""
    from syllabus.lists import services

    lst, section = published
    web = services.add_citation(instructor, lst, section, "website", {"title": "The Victorian Web", "URL": "https://victorianweb.org/"})
    web_file = services.add_citation(instructor, lst, section, "website", {"title": "Saved copy of a web page", "URL": "https://example.org/gone"})
    services.attach_file(instructor, web_file, SimpleUploadedFile("page.pdf", PDF, content_type="application/pdf"))
    chapter = services.add_citation(instructor, lst, section, "book_chapter", {"title": "The Factory System", "page": "1-20"})
    article = services.add_citation(instructor, lst, section, "article", {"title": "Time, Work-Discipline", "container-title": "Past & Present"})
    return {"web": web, "web_file": web_file, "chapter": chapter, "article": article}


def test_srv4_an_open_web_page_offers_no_accessible_file_request(kinds, student, accessible_desks, api, client):
    from syllabus.lists.item_access import access_for

    citations = list(kinds.values())
    access = access_for(student, citations)
    offered = {key: access[c.pk]["accessible_request"] for key, c in kinds.items()}
    assert offered == {"web": False, "web_file": True, "chapter": True, "article": True}
    # the student's list page shows the link on the chapter, not on the web page
    client.force_login(student)
    page = client.get(reverse("lists:view", args=[kinds["web"].resource_list_id])).content.decode()
    chapter_form = reverse("circulation:accessible-request", args=[kinds["chapter"].pk])
    web_form = reverse("circulation:accessible-request", args=[kinds["web"].pk])
    assert chapter_form in page and web_form not in page
    # asked anyway (an old link, the API): refused naming SRV-4, nothing written, no e-mail
    r = api(student).post(f"/api/v1/citations/{kinds['web'].pk}/accessible-requests", {"format": "Accessible PDF"})
    assert r.status_code == 409 and r.json()["rule"] == "SRV-4" and "open web page" in r.json()["detail"]
    form = client.get(web_form)
    assert form.status_code == 200 and b"accessible-not-eligible" in form.content and b"accessible-form" not in form.content
    assert client.post(web_form, {"format": "EPUB"}).status_code == 409
    assert not AccessibleRequest.objects.exists() and not OutboxMessage.objects.filter(letter="accessible_file_request").exists()
    # the chapter is asked for as before
    assert api(student).post(f"/api/v1/citations/{kinds['chapter'].pk}/accessible-requests",
                             {"format": "Accessible PDF"}).status_code == 201
