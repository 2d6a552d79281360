"""SEC-KEY, DIG-9: a delivery link's token is stored only as its SHA-256 (as API tokens are); the
plain token is only in the requester's letter.  Migration 0007 hashes the tokens already stored, so
links sent before keep working; its reverse cannot recover them and gives every request a new token
nobody was sent (docs/security.md, "Secrets at rest")."""
from __future__ import annotations

import re

import pytest

from syllabus.core import audit
from syllabus.fulfillment import services
from syllabus.fulfillment.models import DigitizationRequest
from syllabus.notify.models import OutboxMessage
from syllabus.org.models import hash_token
from tests.migrating import latest, migrate as _migrate

BEFORE, AFTER = [("fulfillment", "0006_copyright_status_one_vocabulary")], [("fulfillment", "0007_link_token_hashed")]


def _delivered_by_link(default_rule, patron_request, operator, scan, student) -> tuple[DigitizationRequest, str]:
    default_rule(target="link", max_accesses=5)
    req = patron_request()
    services.pick(operator, req)
    req = services.deliver(operator, services.attach_file(operator, req, scan()), base_url="http://testserver")
    letter = OutboxMessage.objects.get(recipient=student, channel="email").body
    return req, re.search(r"/services/d/([A-Za-z0-9_-]+)/", letter).group(1)


@pytest.mark.django_db
def test_sec_key_the_link_token_is_only_in_the_letter_and_the_row_keeps_its_hash(client, default_rule, patron_request,
                                                                                 operator, scan, student):
    req, token = _delivered_by_link(default_rule, patron_request, operator, scan, student)
    row = DigitizationRequest.objects.filter(pk=req.pk).values().get()
    assert token not in repr(row), "the plain token is not stored"
    assert row["access_token_hash"] == hash_token(token)
    assert token not in repr([(e.changes, e.note) for e in audit.trail(req)])
    client.force_login(student)
    assert client.get(f"/services/d/{token}/").status_code == 200            # the letter's link opens the file
    assert client.get(f"/services/d/{hash_token(token)}/").status_code == 404  # the stored hash is no link


@pytest.mark.django_db(transaction=True)
def test_sec_key_links_sent_before_the_migration_keep_working_and_a_reverse_leaves_none_valid(
        client, default_rule, patron_request, operator, scan, student):
    req, token = _delivered_by_link(default_rule, patron_request, operator, scan, student)
    try:
        old = _migrate(BEFORE)   # the reverse: a new token for every request, never sent to anybody
        OldRequest = old.get_model("fulfillment", "DigitizationRequest")
        reversed_token = OldRequest.objects.get(pk=req.pk).access_token
        assert reversed_token and reversed_token != token and hash_token(token) != reversed_token
        OldRequest.objects.filter(pk=req.pk).update(access_token="sent-before-the-upgrade")   # a link in a letter
        _migrate(AFTER)
    finally:
        _migrate(latest())
    assert DigitizationRequest.objects.get(pk=req.pk).access_token_hash == hash_token("sent-before-the-upgrade")
    client.force_login(student)
    assert client.get("/services/d/sent-before-the-upgrade/").status_code == 200
    assert client.get(f"/services/d/{token}/").status_code == 404   # the link before the reverse is gone for good
