"""OUT-2: files attached to a letter ("Document delivery – attachment") go out with its
e-mail, read from storage by the worker at send time; above ``email_attachment_max_mb`` the
e-mail carries the download link instead and says so."""
from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from syllabus.notify.delivery import deliver_due
from syllabus.notify.models import OutboxMessage
from syllabus.notify.services import file_attachment, queue_letter
from syllabus.org import config

pytestmark = pytest.mark.django_db
Status = OutboxMessage.Status
SCAN = b"%PDF-1.4\n" + bytes(range(256)) * 64  # binary, 16 KiB + header


def _stored(name="scans/chapter-3.pdf", content=SCAN):
    from django.db.models.fields.files import FieldFile

    stored = default_storage.save(name, ContentFile(content))
    return FieldFile(None, type("F", (), {"storage": default_storage})(), stored)


def _queue(patron, attachment):
    with transaction.atomic():
        return queue_letter("test_due_soon", patron, {"patron": "Pat", "title": "Middlemarch", "due": "9 March"},
                            key="scan:1", channels=("email", "inapp"), attachments=[attachment])


def test_the_smtp_server_receives_the_file_as_an_attachment(smtp_server, due_letter, patron):
    field_file = _stored()
    rows = _queue(patron, file_attachment(field_file, filename="Middlemarch ch3.pdf", content_type="application/pdf",
                                          link="https://syllabus.example.edu/services/requests/1/file/"))
    email_row = next(r for r in rows if r.channel == "email")
    # the row holds a reference to the stored file, never its bytes
    assert email_row.attachments == [{"storage": "default", "name": field_file.name, "filename": "Middlemarch ch3.pdf",
                                      "content_type": "application/pdf", "size": len(SCAN),
                                      "link": "https://syllabus.example.edu/services/requests/1/file/"}]
    assert next(r for r in rows if r.channel == "inapp").attachments == []

    assert deliver_due().sent == 2
    received = smtp_server.messages[0]
    files = list(received.iter_attachments())
    assert len(files) == 1
    assert files[0].get_filename() == "Middlemarch ch3.pdf"
    assert files[0].get_content_type() == "application/pdf"
    assert files[0].get_content() == SCAN
    assert "too large" not in received.get_body(("plain",)).get_content()


def test_over_the_size_limit_the_letter_carries_the_link_and_says_so(smtp_server, due_letter, patron, inst_a):
    config.set_value("email_attachment_max_mb", 1, institution=inst_a)
    big = SCAN * 80  # 1.3 MB
    _queue(patron, file_attachment(_stored(content=big), filename="whole-book.pdf", content_type="application/pdf",
                                   link="https://syllabus.example.edu/services/requests/1/file/"))
    assert deliver_due().sent == 2
    received = smtp_server.messages[0]
    assert list(received.iter_attachments()) == []
    body = received.get_content()
    assert "too large for e-mail (more than 1 MB)" in body
    assert "Download whole-book.pdf here: https://syllabus.example.edu/services/requests/1/file/" in body
    row = OutboxMessage.objects.get(channel="email")
    assert row.status == Status.SENT and "sent as a link" in row.note


def test_the_default_limit_is_10_mb(inst_a):
    assert config.get("email_attachment_max_mb", institution=inst_a) == 10


def test_a_file_gone_from_storage_is_retried_not_sent_without_it(smtp_server, due_letter, patron):
    field_file = _stored()
    _queue(patron, file_attachment(field_file, content_type="application/pdf"))
    default_storage.delete(field_file.name)
    report = deliver_due()
    assert report.retrying == 1 and smtp_server.messages == []
    assert OutboxMessage.objects.get(channel="email").status == Status.PENDING
