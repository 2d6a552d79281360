"""DIG-9 "Document delivery – attachment": the requester's e-mail carries the scan itself
(OUT-2), not only a link to it; the other targets attach nothing."""
import pytest
from django.core import mail

from syllabus.fulfillment import services
from syllabus.notify.delivery import deliver_due
from syllabus.notify.models import OutboxMessage

pytestmark = pytest.mark.django_db


def _delivered(default_rule, patron_request, operator, scan, target, **rule):
    default_rule(target=target, **rule)
    req = patron_request()
    services.pick(operator, req)
    req = services.attach_file(operator, req, scan())
    return services.deliver(operator, req, base_url="http://testserver")


def test_attachment_target_sends_the_scan_with_the_email(default_rule, patron_request, operator, scan, student):
    req = _delivered(default_rule, patron_request, operator, scan, "attachment")
    row = OutboxMessage.objects.get(recipient=student, channel="email")
    assert [a["name"] for a in row.attachments] == [req.representation.file.name]
    assert deliver_due().sent >= 1
    email = next(m for m in mail.outbox if m.to == [student.email])
    [(filename, content, mimetype)] = email.attachments
    assert filename == req.representation.file.name.rsplit("/", 1)[-1]
    assert content == b"%PDF-1.4 scanned pages" and mimetype == "application/pdf"


@pytest.mark.parametrize("target", ["link", "inventory"])
def test_other_targets_attach_nothing(target, default_rule, patron_request, operator, scan, student):
    _delivered(default_rule, patron_request, operator, scan, target, **({"max_accesses": 3} if target == "link" else {}))
    assert OutboxMessage.objects.get(recipient=student, channel="email").attachments == []
    deliver_due()
    assert all(m.attachments == [] for m in mail.outbox)
