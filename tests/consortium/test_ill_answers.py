"""CON-2: a supplier outside the consortium answers at the requester's ISO 18626 address — the
partner of the institution's directory authenticated by the header and secret configured for it
(nothing else: no secret, a wrong one, an inactive partner, another institution's, an unsafe or
oversized body is a 401 before anything is read or changed); its statuses and reasonForMessage
mapped onto the state table, each answered by a schema-valid supplyingAgencyMessageConfirmation
(OK, or ERROR with the standard's errorType); a Cancel that waits for the supplier's
CancelResponse; and the reader's overdue and recall letters.  The partner's messages are written
from the standard (tests/consortium/iso18626_peer.py), not from Syllabus' builders."""
from __future__ import annotations

import datetime as dt

import pytest
from lxml import etree

from syllabus.consortium import delivery
from syllabus.consortium.models import IllMessage, IllPartner, IllRequest
from syllabus.core.models import AuditEntry
from syllabus.notify.models import OutboxMessage
from tests.consortium.iso18626_peer import NS, XSD, supplying_message
from tests.consortium.test_ill_partners import AGENCY, _sent

pytestmark = pytest.mark.django_db
SECRET = "Bearer s3cret"


def _post(client, body: bytes, secret: str | None = SECRET, **headers):
    if secret is not None:
        headers["HTTP_AUTHORIZATION"] = secret
    client.logout()
    return client.post("/api/v1/iso18626", body, content_type="application/xml", **headers)


def _say(client, ill: IllRequest, status: str, secret: str | None = SECRET, **kw):
    body = supplying_message(supplier=AGENCY, requester=ill.requesting_agency, request_id=ill.requesting_agency_request_id,
                             status=status, **kw)
    return _post(client, body, secret)


def _confirmation(response) -> tuple[str, str, str]:
    """(messageStatus, errorType, errorValue) of a confirmation that is valid ISO 18626."""
    assert response.status_code == 200, response.content
    root = etree.fromstring(response.content)
    assert XSD.validate(root), XSD.error_log
    c = root.find(f"{{{NS}}}supplyingAgencyMessageConfirmation")
    assert c is not None
    return (c.findtext(f"{{{NS}}}confirmationHeader/{{{NS}}}messageStatus"), c.findtext(f"{{{NS}}}errorData/{{{NS}}}errorType") or "",
            c.findtext(f"{{{NS}}}errorData/{{{NS}}}errorValue") or "")


def _letters(user) -> list[str]:
    return list(OutboxMessage.objects.filter(recipient=user, channel="email").order_by("pk").values_list("letter", flat=True))


@pytest.fixture
def world(ill_readers):
    return ill_readers


@pytest.fixture
def sent(client, world, peer, clock):
    ill = _sent(client, world, peer)
    assert delivery.deliver_due() == 1
    ill.refresh_from_db()
    assert ill.status == "RequestReceived"
    return ill


def test_con2_the_partners_answers_move_the_request_and_are_confirmed(client, world, sent):
    student = world["student"]
    assert _confirmation(_say(client, sent, "ExpectToSupply", reason="RequestResponse")) == ("OK", "", "")
    assert _confirmation(_say(client, sent, "WillSupply")) == ("OK", "", "")
    assert _confirmation(_say(client, sent, "Loaned", due="2026-04-01T12:00:00Z")) == ("OK", "", "")
    sent.refresh_from_db()
    assert sent.status == "Loaned" and sent.due_date.isoformat().startswith("2026-04-01T12:00")
    assert _letters(student)[-1] == "ill_request_supplied"
    kept = IllMessage.objects.filter(request=sent, direction="in", kind="supplyingAgencyMessage")
    assert kept.count() == 3 and IllMessage.objects.filter(request=sent, kind="supplyingAgencyMessageConfirmation").count() == 3
    # a note (Notification) keeps the status and is recorded; the answer to a status request too
    assert _confirmation(_say(client, sent, "Loaned", reason="Notification", note="Sent by courier")) == ("OK", "", "")
    assert _confirmation(_say(client, sent, "Loaned", reason="StatusRequestResponse")) == ("OK", "", "")
    assert AuditEntry.objects.filter(note__contains="Sent by courier").exists()
    sent.refresh_from_db()
    assert sent.status == "Loaned"


def test_con2_statuses_that_cannot_follow_or_are_not_followed_are_error_confirmations(client, world, sent):
    status, kind, value = _confirmation(_say(client, sent, "LoanCompleted"))
    assert (status, kind) == ("ERROR", "UnrecognisedDataValue") and "cannot follow RequestReceived" in value
    status, kind, value = _confirmation(_say(client, sent, "RetryPossible"))
    assert (status, kind) == ("ERROR", "UnrecognisedDataValue") and "RetryPossible" in value
    status, kind, value = _confirmation(_say(client, sent, "Cancelled", reason="CancelResponse", answer="Y"))
    assert (status, kind) == ("ERROR", "UnrecognisedDataValue") and "no Cancel" in value
    status, kind, value = _confirmation(_say(client, sent, "Loaned", reason="RenewResponse"))
    assert (status, kind) == ("ERROR", "UnrecognisedDataElement") and "answerYesNo" in value
    other = supplying_message(supplier=AGENCY, requester=sent.requesting_agency, request_id="NO-SUCH-REQUEST",
                              status="WillSupply")
    status, kind, value = _confirmation(_post(client, other))
    assert (status, kind) == ("ERROR", "UnrecognisedDataValue") and "NO-SUCH-REQUEST" in value
    # valid ISO 18626 in the partner's well-formed envelope, but not the schema: BadlyFormedMessage
    bad = _say(client, sent, "Lost")
    status, kind, value = _confirmation(bad)
    assert (status, kind) == ("ERROR", "BadlyFormedMessage") and "schema" in value
    sent.refresh_from_db()
    assert sent.status == "RequestReceived"


def test_con2_only_the_partner_with_its_secret_is_heard(client, world, sent, inst_b, settings):
    def refused(response):
        assert response.status_code == 401 and response["Content-Type"].startswith("application/problem+json")

    refused(_say(client, sent, "WillSupply", secret=None))
    refused(_say(client, sent, "WillSupply", secret="Bearer wrong"))
    refused(_say(client, sent, "WillSupply", secret="Bearer s3cret "))
    # the secret of a partner of another institution's directory does not speak for this one
    IllPartner.objects.create(institution=inst_b, agency_id="DE-1", name="Other", endpoint_url="https://example.org/",
                              auth_header="Authorization", auth_value="Bearer other")
    body = supplying_message(supplier="DE-1", requester=sent.requesting_agency, request_id=sent.requesting_agency_request_id,
                             status="WillSupply")
    refused(_post(client, body, "Bearer other"))
    # an inactive partner, and one without a secret, cannot post
    partner = IllPartner.objects.get(agency_id=AGENCY)
    IllPartner.objects.filter(pk=partner.pk).update(active=False)
    refused(_say(client, sent, "WillSupply"))
    IllPartner.objects.filter(pk=partner.pk).update(active=True, auth_header="", auth_value="")
    refused(_say(client, sent, "WillSupply", secret=""))
    IllPartner.objects.filter(pk=partner.pk).update(auth_header="Authorization", auth_value=SECRET)
    # nothing unsafe or oversized is read: a DOCTYPE with entities, a body over 256 KB
    laughs = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
              + supplying_message(supplier=AGENCY, requester=sent.requesting_agency,
                                  request_id=sent.requesting_agency_request_id, status="WillSupply",
                                  note="&lol2;").split(b"?>", 1)[1])
    refused(_post(client, laughs))
    big = supplying_message(supplier=AGENCY, requester=sent.requesting_agency, request_id=sent.requesting_agency_request_id,
                            status="WillSupply", note="x" * (300 * 1024))
    refused(_post(client, big))
    sent.refresh_from_db()
    assert sent.status == "RequestReceived"
    assert not IllMessage.objects.filter(request=sent, direction="in", kind="supplyingAgencyMessage").exists()
    # the partner has no session: no CSRF token is asked of it (a real client, checks on)
    from django.test import Client

    assert _confirmation(_say(Client(enforce_csrf_checks=True), sent, "WillSupply")) == ("OK", "", "")


def test_con2_a_partner_speaks_only_of_its_own_requests(client, world, sent, inst_b):
    # a member's loan: its messages come from Syllabus itself
    member = IllRequest.objects.create(requesting_institution=sent.requesting_institution, supplying_institution=inst_b,
                                       requesting_agency=sent.requesting_agency, supplying_agency=AGENCY,
                                       requesting_agency_request_id="MEMBER-1", title="t")
    body = supplying_message(supplier=AGENCY, requester=sent.requesting_agency, request_id="MEMBER-1", status="WillSupply")
    status, kind, value = _confirmation(_post(client, body))
    assert (status, kind) == ("ERROR", "UnrecognisedDataValue") and "member" in value
    member.refresh_from_db()
    assert member.status == "RequestReceived"
    # another supplier's request of the same library
    IllRequest.objects.filter(pk=sent.pk).update(supplying_agency="US-OTHER")
    status, kind, _value = _confirmation(_say(client, sent, "WillSupply"))
    assert (status, kind) == ("ERROR", "UnrecognisedDataValue")


def test_con2_a_cancel_waits_for_the_suppliers_cancel_response(client, world, sent):
    student, staff = world["student"], world["staff"]
    client.force_login(student)
    response = client.post(f"/consortium/ill/mine/{sent.pk}/cancel/", follow=True)
    assert "was asked to cancel" in response.content.decode()
    sent.refresh_from_db()
    assert sent.status == "CancelRequested" and "ill_request_cancelled" not in _letters(student)
    page = client.get("/consortium/ill/mine/").content.decode()
    assert "waiting for the supplying library" in page and 'data-testid="ill-cancel"' not in page
    assert client.get(f"/api/v1/me/ill-requests/{sent.pk}").json()["cancellable"] is False

    # N: the request stays with the supplier at the status it names; the reader and the staff are told
    assert _confirmation(_say(client, sent, "WillSupply", reason="CancelResponse", answer="N",
                              note="Already packed")) == ("OK", "", "")
    sent.refresh_from_db()
    assert sent.status == "WillSupply"
    assert _letters(student)[-1] == "ill_request_cancel_refused"
    assert "Already packed" in OutboxMessage.objects.get(letter="ill_request_cancel_refused", channel="email").body
    told = OutboxMessage.objects.filter(letter="ill_cancel_refused_staff", recipient=staff)
    assert {m.channel for m in told} == {"email", "inapp"}
    assert AGENCY in told.first().subject

    # asked again, then Y: cancelled, with the reader's letter
    client.force_login(staff)
    assert client.post(f"/consortium/ill/{sent.pk}/move/", {"action": "cancel", "side": "requester"}).status_code == 302
    sent.refresh_from_db()
    assert sent.status == "CancelRequested"
    assert _confirmation(_say(client, sent, "Cancelled", reason="CancelResponse", answer="Y")) == ("OK", "", "")
    sent.refresh_from_db()
    assert sent.status == "Cancelled" and _letters(student)[-1] == "ill_request_cancelled"
    assert delivery.deliver_due() == 2   # both Cancels were posted to the partner


def test_con2_a_supplier_that_sent_before_the_cancel_reached_it_loans(client, world, sent):
    client.force_login(world["student"])
    client.post(f"/consortium/ill/mine/{sent.pk}/cancel/")
    assert _confirmation(_say(client, sent, "Loaned", reason="CancelResponse", answer="N",
                              due="2026-04-01T12:00:00Z")) == ("OK", "", "")
    sent.refresh_from_db()
    assert sent.status == "Loaned"
    assert _letters(world["student"])[-2:] == ["ill_request_supplied", "ill_request_cancel_refused"]


def test_con2_a_member_supplier_still_cancels_at_once(client, world, inst_b):
    from syllabus.consortium import services

    ill = IllRequest.objects.create(requesting_institution=world["staff"].institution, supplying_institution=inst_b,
                                    requesting_agency="INST-A", supplying_agency="INST-B",
                                    requesting_agency_request_id="A-1", title="t")
    services.act_on_loan_request(world["staff"], ill, "cancel")
    ill.refresh_from_db()
    assert ill.status == "Cancelled"


def test_con2_overdue_and_recall_letters_ask_the_reader_to_bring_it_back(client, world, sent):
    student = world["student"]
    _say(client, sent, "WillSupply")
    _say(client, sent, "Loaned", due="2026-04-01T12:00:00Z")
    # not yet with the reader: the library returns it, no letter
    assert _confirmation(_say(client, sent, "Overdue")) == ("OK", "", "")
    assert "ill_request_overdue" not in _letters(student)
    IllRequest.objects.filter(pk=sent.pk).update(status="Loaned", received=True)
    assert _confirmation(_say(client, sent, "Overdue")) == ("OK", "", "")
    assert _letters(student)[-1] == "ill_request_overdue"
    overdue = OutboxMessage.objects.get(letter="ill_request_overdue", channel="email")
    assert "2026-04-01" in overdue.body and sent.title in overdue.body
    client.force_login(student)
    page = client.get("/consortium/ill/mine/").content.decode()
    assert 'data-testid="ill-return-asked"' in page and "Overdue: please return it" in page

    # renewed (RenewResponse Y, a new due date), then overdue again: a second letter
    assert _confirmation(_say(client, sent, "Loaned", reason="RenewResponse", answer="Y",
                              due="2026-05-01T12:00:00Z")) == ("OK", "", "")
    sent.refresh_from_db()
    assert sent.status == "Loaned" and sent.due_date.month == 5
    _say(client, sent, "Overdue")
    assert _letters(student).count("ill_request_overdue") == 2

    assert _confirmation(_say(client, sent, "Recalled", due="2026-04-20T12:00:00Z")) == ("OK", "", "")
    assert _letters(student)[-1] == "ill_request_recalled"
    client.force_login(student)
    assert "Recalled by the lending library" in client.get("/consortium/ill/mine/").content.decode()
    # returned: the supplier's LoanCompleted closes it
    IllRequest.objects.filter(pk=sent.pk).update(shipped_return=True)
    assert _confirmation(_say(client, sent, "LoanCompleted")) == ("OK", "", "")
    sent.refresh_from_db()
    assert sent.status == "LoanCompleted"


def test_con2_a_copy_completed_and_unfilled_reach_the_reader(client, world, sent):
    IllRequest.objects.filter(pk=sent.pk).update(service_type="Copy")
    _say(client, sent, "WillSupply")
    assert _confirmation(_say(client, sent, "CopyCompleted")) == ("OK", "", "")
    sent.refresh_from_db()
    assert sent.status == "CopyCompleted" and _letters(world["student"])[-1] == "ill_request_supplied"
    assert not IllRequest.objects.filter(pk=sent.pk).exclude(status="CopyCompleted").exists()


def test_con2_unfilled_with_the_reason(client, world, sent):
    assert _confirmation(_say(client, sent, "Unfilled", reason="RequestResponse", unfilled="Not for loan")) == ("OK", "", "")
    sent.refresh_from_db()
    assert (sent.status, sent.reason_unfilled) == ("Unfilled", "Not for loan")
    assert _letters(world["student"])[-1] == "ill_request_unfilled"


@pytest.mark.parametrize("steps, final, service", [
    (["Loaned"], "Loaned", "Loan"),                       # Alma: RequestReceived → Loaned
    (["ExpectToSupply", "Loaned"], "Loaned", "Loan"),
    (["CopyCompleted"], "CopyCompleted", "Copy"),
    (["ExpectToSupply", "CopyCompleted"], "CopyCompleted", "Copy"),
    (["WillSupply", "CopyCompleted"], "CopyCompleted", "Copy"),
])
def test_con2_a_supplier_may_skip_statuses_on_the_way(client, world, sent, steps, final, service):
    """ISO 18626 does not make a supplier name every status: a later status of its sequence is
    accepted (OK), the request moves there, and the reader gets the letter it implies (supplied)."""
    IllRequest.objects.filter(pk=sent.pk).update(service_type=service)
    for status in steps:
        due = "2026-04-01T12:00:00Z" if status == "Loaned" else ""
        assert _confirmation(_say(client, sent, status, reason="RequestResponse" if status == steps[0] else "StatusChange",
                                  due=due)) == ("OK", "", ""), status
    sent.refresh_from_db()
    assert sent.status == final and _letters(world["student"]).count("ill_request_supplied") == 1
    if final == "Loaned":
        assert sent.due_date.isoformat().startswith("2026-04-01T12:00")
    # still no step back, nor a status before its time
    status, kind, value = _confirmation(_say(client, sent, "WillSupply"))
    assert (status, kind) == ("ERROR", "UnrecognisedDataValue") and f"cannot follow {final}" in value


def test_con2_failed_partner_authentications_are_bounded(client, world, sent, settings, clock):
    """Guessing a partner's secret at the requester's address: past ``ILL_PARTNER_MAX_FAILURES``
    wrong secrets from one address, that partner is not heard from there — even with the right
    secret — answered 429 with ``Retry-After`` and problem details (AUTH-THROTTLE), until the lock
    runs out; another address (the partner's own) is unaffected, and a post with the right secret
    clears its count.  Time moves with the injectable clock."""
    settings.ILL_PARTNER_MAX_FAILURES = 3
    settings.SIGNIN_LOCKOUT_SECONDS = 600
    ok = ("OK", "", "")
    # the partner posts as often as it likes; a wrong secret now and then never adds up
    for _ in range(5):
        assert _say(client, sent, "ExpectToSupply", secret="Bearer wrong").status_code == 401
        assert _confirmation(_say(client, sent, "ExpectToSupply")) == ok
    for _ in range(2):
        assert _say(client, sent, "WillSupply", secret="Bearer guess").status_code == 401
    locked = _say(client, sent, "WillSupply", secret="Bearer guess")   # the third in the window locks
    assert locked.status_code == 429 and locked["Content-Type"].startswith("application/problem+json")
    assert locked.json()["rule"] == "AUTH-THROTTLE" and int(locked["Retry-After"]) == 600
    clock.advance(dt.timedelta(seconds=60))
    right = _say(client, sent, "WillSupply")   # locked: the right secret tells the guesser nothing
    assert right.status_code == 429 and int(right["Retry-After"]) == 540
    sent.refresh_from_db()
    assert sent.status == "ExpectToSupply"
    # the partner posting from its own address is heard
    assert _confirmation(_post(client, supplying_message(
        supplier=AGENCY, requester=sent.requesting_agency, request_id=sent.requesting_agency_request_id,
        status="WillSupply"), REMOTE_ADDR="192.0.2.10")) == ok
    # the lock runs out
    clock.advance(dt.timedelta(seconds=541))
    assert _confirmation(_say(client, sent, "Loaned")) == ok
    sent.refresh_from_db()
    assert sent.status == "Loaned"
