"""CON-2: ISO 18626 messages delivered to libraries outside the consortium — the institution's
directory of partners (back office and admin), the ``request`` posted when the staff send a
reader's request (after their web request, from the outbox), the partner's confirmation kept (an
ERROR shown to the staff, the request sendable again), the partner down or answering nonsense
retried later, an address the server must not reach refused by name, and the requester's Cancel,
Received and ShippedReturn posted too.  The partner is a local ISO 18626 endpoint written from
the standard's XSD (tests/consortium/iso18626_peer.py)."""
from __future__ import annotations

import datetime as dt

import pytest

from syllabus.consortium import delivery
from syllabus.consortium.models import IllMessage, IllPartner, IllRequest
from syllabus.core.models import AuditEntry
from syllabus.org.roles import Role
from tests.consortium.iso18626_peer import NS
from tests.consortium.test_reader_ill import BOOK, _ask, _kev
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
AGENCY = "DK-710100"


@pytest.fixture
def world(ill_readers):
    return ill_readers


def _partner(client, staff, peer, **extra):
    client.force_login(staff)
    data = {"agency_id": AGENCY.lower(), "name": "Royal Danish Library", "endpoint_url": peer.url,
            "auth_header": "Authorization", "auth_value": "Bearer s3cret", "active": "on", **extra}
    return client.post("/consortium/ill/partners/", data)


def _new_request(client, world):
    client.force_login(world["student"])
    assert _ask(client, _kev(BOOK)).status_code == 302
    return IllRequest.objects.get(title="A Book Nobody Has")


def _send(client, staff, ill):
    client.force_login(staff)
    return client.post(f"/consortium/ill/{ill.pk}/move/", {"action": "send", "agency": AGENCY, "side": "requester"})


def _sent(client, world, peer, mode: str = "ok") -> IllRequest:
    """A reader's request, sent by the staff to the partner (in the directory), which answers as ``mode``."""
    _partner(client, world["staff"], peer)
    ill = _new_request(client, world)
    peer.mode = mode
    assert _send(client, world["staff"], ill).status_code == 302
    return ill


def _queue(client, staff) -> str:
    client.force_login(staff)
    return client.get("/consortium/ill/?side=requester").content.decode()


def test_con2_the_request_is_posted_after_the_staff_send_it_and_the_confirmation_kept(client, world, peer, clock):
    staff = world["staff"]
    assert _partner(client, staff, peer).status_code == 302
    partner = IllPartner.objects.get()
    assert (partner.agency_id, partner.institution, partner.active) == (AGENCY, staff.institution, True)
    page = client.get("/consortium/ill/partners/").content.decode()
    assert AGENCY in page and "s3cret" not in page   # the secret is never shown again
    assert not any("s3cret" in str(e.changes) + e.note for e in AuditEntry.objects.all())   # nor audited

    ill = _new_request(client, world)
    assert _send(client, staff, ill).status_code == 302
    msg = IllMessage.objects.get(request=ill, direction="out", kind="request")
    assert (msg.delivery, peer.received) == ("pending", [])   # never posted inside the staff's request
    assert "Waiting to be sent" in _queue(client, staff)

    assert delivery.deliver_due() == 1
    headers, root = peer.received[0]
    assert headers["Authorization"] == "Bearer s3cret" and headers["Content-Type"].startswith("application/xml")
    assert root.findtext(f".//{{{NS}}}requestingAgencyRequestId") == ill.requesting_agency_request_id
    assert root.findtext(f".//{{{NS}}}supplyingAgencyId/{{{NS}}}agencyIdValue") == AGENCY
    msg.refresh_from_db()
    assert (msg.delivery, msg.attempts) == ("delivered", 1) and "<messageStatus>OK</messageStatus>" in msg.answer
    ill.refresh_from_db()
    assert ill.status == "RequestReceived"
    assert "request: Delivered" in _queue(client, staff)
    assert delivery.deliver_due() == 0   # posted once

    # the reader withdraws it: the Cancel goes to the partner too
    client.force_login(world["student"])
    assert client.post(f"/consortium/ill/mine/{ill.pk}/cancel/").status_code == 302
    assert delivery.deliver_due() == 1
    assert peer.kinds() == ["request", "requestingAgencyMessage:Cancel"]
    cancel = IllMessage.objects.filter(request=ill, kind="requestingAgencyMessage", direction="out").exclude(delivery="").get()
    assert cancel.delivery == "delivered" and "<action>Cancel</action>" in cancel.answer


def test_con2_received_and_shipped_return_are_posted_to_the_partner(client, world, peer, clock):
    ill = _sent(client, world, peer)
    delivery.deliver_due()
    IllRequest.objects.filter(pk=ill.pk).update(status="Loaned")   # the supplier said Loaned (tests/test_reader_ill)
    for action in ("received", "shipped_return"):
        assert client.post(f"/consortium/ill/{ill.pk}/move/", {"action": action, "side": "requester"}).status_code == 302
    assert delivery.deliver_due() == 2
    assert peer.kinds() == ["request", "requestingAgencyMessage:Received", "requestingAgencyMessage:ShippedReturn"]
    assert peer.invalid == []


def test_con2_an_error_confirmation_is_shown_and_the_request_may_be_sent_again(client, world, peer, clock):
    staff = world["staff"]
    ill = _sent(client, world, peer, "error")
    assert delivery.deliver_due() == 1
    msg = IllMessage.objects.get(request=ill, kind="request")
    assert (msg.delivery, msg.error_type, msg.error_value) == (
        "refused", "UnrecognisedDataValue", "requestingAgencyId: not a partner of ours")
    ill.refresh_from_db()
    assert ill.status == "New"   # sendable again
    queue = _queue(client, staff)
    assert "Refused by the partner" in queue and "not a partner of ours" in queue and 'data-testid="ill-send"' in queue

    peer.mode = "ok"
    assert _send(client, staff, ill).status_code == 302
    assert delivery.deliver_due() == 1
    assert list(IllMessage.objects.filter(request=ill, kind="request").values_list("delivery", flat=True)) == [
        "refused", "delivered"]


@pytest.mark.parametrize("mode, named", [("down", "answered HTTP 503"), ("html", "not valid ISO 18626"),
                                         ("huge", "larger than 262,144 bytes")])
def test_con2_a_partner_down_or_answering_nonsense_is_tried_again_later(client, world, peer, clock, mode, named):
    staff = world["staff"]
    ill = _sent(client, world, peer, mode)
    assert delivery.deliver_due() == 0
    msg = IllMessage.objects.get(request=ill, kind="request")
    assert (msg.delivery, msg.attempts) == ("pending", 1) and named in msg.last_error
    assert msg.next_attempt_at == clock.now() + dt.timedelta(minutes=1)
    assert named in _queue(client, staff) and "next try" in _queue(client, staff)
    assert delivery.deliver_due() == 0 and IllMessage.objects.get(pk=msg.pk).attempts == 1   # not before its time

    peer.mode = "ok"
    clock.advance(dt.timedelta(minutes=1))
    assert delivery.deliver_due() == 1
    msg.refresh_from_db()
    assert (msg.delivery, msg.attempts, msg.last_error) == ("delivered", 2, "")


def test_con2_after_its_last_attempt_the_request_is_not_delivered_and_sendable_again(client, world, peer, clock):
    ill = _sent(client, world, peer, "down")
    for _ in range(delivery.MAX_ATTEMPTS):
        delivery.deliver_due()
        clock.advance(dt.timedelta(hours=7))
    msg = IllMessage.objects.get(request=ill, kind="request")
    assert (msg.delivery, msg.attempts) == ("failed", delivery.MAX_ATTEMPTS) and "gave up" in msg.last_error
    ill.refresh_from_db()
    assert ill.status == "New"


def test_con2_an_address_the_server_must_not_reach_fails_at_once_by_name(client, world, peer, clock, settings):
    # saved while the operator allowed the host; then a real deployment: 127.0.0.1 is the server's
    # own machine (the address is vetted again at every post, not only when it is saved)
    assert _partner(client, world["staff"], peer).status_code == 302
    settings.OUTBOUND_PRIVATE_HOSTS = []
    ill = _new_request(client, world)
    assert _send(client, world["staff"], ill).status_code == 302
    assert delivery.deliver_due() == 0
    msg = IllMessage.objects.get(request=ill, kind="request")
    assert msg.delivery == "failed" and "127.0.0.1 is a private or local network address" in msg.last_error
    assert peer.received == []
    ill.refresh_from_db()
    assert ill.status == "New"


def test_con2_without_a_partner_the_request_is_kept_not_posted(client, world, peer, clock):
    ill = _new_request(client, world)
    _send(client, world["staff"], ill)
    assert IllMessage.objects.get(request=ill, kind="request").delivery == ""
    assert delivery.deliver_due() == 0 and peer.received == []


def test_con2_the_partners_address_and_fields_are_checked(client, world, peer, settings):
    staff = world["staff"]
    settings.ILL_PARTNERS_ALLOW_HTTP = False
    r = _partner(client, staff, peer)
    assert r.status_code == 400 and "CON-2:</strong> endpoint: an https address" in r.content.decode()
    settings.ILL_PARTNERS_ALLOW_HTTP = True
    for extra, named in (({"agency_id": ""}, "agency id: the partner"), ({"endpoint_url": "ftp://x.org/"}, "endpoint:"),
                         ({"agency_id": "INST-B"}, "is a member of the consortium"),
                         ({"auth_header": "X-Key: 1"}, "header: Authorization, or"),
                         ({"endpoint_url": "https://u:p@x.org/"}, "no user name or password"),
                         ({"name": "n" * 201}, "name")):
        r = _partner(client, staff, peer, **extra)
        assert r.status_code == 400 and named in r.content.decode(), extra
    assert not IllPartner.objects.exists()
    assert _partner(client, staff, peer).status_code == 302
    r = _partner(client, staff, peer)
    assert r.status_code == 409 and "already in your directory" in r.content.decode()

    partner = IllPartner.objects.get()
    r = client.post(f"/consortium/ill/partners/{partner.pk}/", {"agency_id": AGENCY, "name": "KB", "endpoint_url": peer.url,
                                                                 "auth_header": "Authorization", "auth_value": ""})
    partner.refresh_from_db()
    assert r.status_code == 302 and (partner.name, partner.auth_value, partner.active) == ("KB", "Bearer s3cret", False)
    client.post(f"/consortium/ill/partners/{partner.pk}/", {"delete": "1"})
    assert not IllPartner.objects.exists()


def test_con2_only_the_institutions_ill_staff_manage_its_partners(client, world, peer, inst_b, make_user):
    from syllabus.consortium.permissions import ILL_STAFF_ROLES

    staff = world["staff"]
    _partner(client, staff, peer)
    partner = IllPartner.objects.get()
    people = [(world["student"], False), (make_user("a-instr", group="instructor"), False)]
    people += [(make_user(f"a-{role.value}", roles=[role]), role in ILL_STAFF_ROLES) for role in Role]
    for person, allowed in people:
        client.force_login(person)
        assert client.get("/consortium/ill/partners/").status_code == (200 if allowed else 403), person
        assert client.get(f"/consortium/ill/partners/{partner.pk}/").status_code == (200 if allowed else 403), person
        if not allowed:
            assert client.post("/consortium/ill/partners/", {"agency_id": "X-1"}).status_code == 403
            assert client.post(f"/consortium/ill/partners/{partner.pk}/", {"delete": "1"}).status_code == 403
    assert IllPartner.objects.count() == 1
    b_staff = world["b_staff"]
    client.force_login(b_staff)
    assert client.get("/consortium/ill/partners/").status_code == 200
    assert AGENCY not in client.get("/consortium/ill/partners/").content.decode()   # B's own (empty) directory
    assert client.get(f"/consortium/ill/partners/{partner.pk}/").status_code == 404
    assert client.post(f"/consortium/ill/partners/{partner.pk}/", {"delete": "1"}).status_code == 404
    assert IllPartner.objects.filter(pk=partner.pk).exists()
    client.logout()
    assert client.get("/consortium/ill/partners/").status_code == 302


def test_con2_partners_in_the_admin_scoped_to_the_institution(client, world, peer, inst_b, make_user, settings):
    settings.ILL_PARTNERS_ALLOW_HTTP = False
    _partner(client, world["staff"], peer, endpoint_url="https://ill.example.org/iso18626")
    partner = IllPartner.objects.get()
    b_admin = UserFactory(username="b-admin", institution=inst_b, is_staff=True)
    from syllabus.org.services import assign_role

    assign_role(b_admin, Role.GENERAL_SYSTEM_ADMINISTRATOR)
    client.force_login(b_admin)
    assert client.get(f"/admin/consortium/illpartner/{partner.pk}/change/").status_code in (302, 404)
    assert f"/illpartner/{partner.pk}/change/" not in client.get("/admin/consortium/illpartner/").content.decode()
    a_admin = UserFactory(username="a-admin", institution=world["staff"].institution, is_staff=True)
    assign_role(a_admin, Role.GENERAL_SYSTEM_ADMINISTRATOR)
    client.force_login(a_admin)
    page = client.get(f"/admin/consortium/illpartner/{partner.pk}/change/").content.decode()
    assert AGENCY in page and "s3cret" not in page
    r = client.post(f"/admin/consortium/illpartner/{partner.pk}/change/",
                    {"institution": partner.institution_id, "agency_id": AGENCY, "name": "KB", "endpoint_url": "http://x.org/",
                     "auth_header": "Authorization", "auth_value": "", "active": "on"})
    assert r.status_code == 200 and "CON-2: endpoint: an https address" in r.content.decode()


def test_con2_the_tick_posts_due_messages_and_takes_back_a_lease_a_dead_worker_left(client, world, peer, clock):
    from syllabus.core.tasks import run_tick

    ill = _sent(client, world, peer)
    assert run_tick()["consortium.ill_deliver"] == 1   # Celery beat, the in-process runner, `syllabus tick`
    assert peer.kinds() == ["request"]

    # a worker died while posting the Received: its lease runs out, the next sweep posts it
    IllRequest.objects.filter(pk=ill.pk).update(status="Loaned")
    client.post(f"/consortium/ill/{ill.pk}/move/", {"action": "received", "side": "requester"})
    msg = IllMessage.objects.get(request=ill, kind="requestingAgencyMessage", delivery="pending")
    IllMessage.objects.filter(pk=msg.pk).update(delivery="sending", claimed_until=clock.now() + delivery.LEASE,
                                                claim_token="dead", attempts=1)
    assert delivery.deliver_due() == 0   # still leased
    clock.advance(delivery.LEASE + dt.timedelta(seconds=1))
    assert delivery.deliver_due() == 1
    msg.refresh_from_db()
    assert (msg.delivery, msg.attempts) == ("delivered", 2)
    assert peer.kinds() == ["request", "requestingAgencyMessage:Received"]


@pytest.mark.parametrize("url, address", [("https://10.0.0.7/iso18626", "10.0.0.7"), ("https://169.254.169.254/", "169.254.169.254"),
                                          ("https://[::1]/iso18626", "::1"), ("https://192.168.1.20:8443/", "192.168.1.20")])
def test_con2_a_private_or_local_partner_address_is_refused_when_saved(client, world, peer, settings, url, address):
    """The outbound client's SSRF checks, made when the address is saved: back office and admin
    (the API: tests/consortium/test_ill_partners_api.py)."""
    r = _partner(client, world["staff"], peer, endpoint_url=url)
    text = r.content.decode()
    assert r.status_code == 400 and "CON-2:</strong> endpoint:" in text and "private or local network address" in text
    assert not IllPartner.objects.exists()
    # the admin applies the same check
    admin = UserFactory(username="ill-admin", institution=world["staff"].institution, is_staff=True, is_superuser=True)
    client.force_login(admin)
    r = client.post("/admin/consortium/illpartner/add/", {"institution": world["staff"].institution_id, "agency_id": "DE-9",
                                                          "name": "x", "endpoint_url": url, "auth_header": "", "auth_value": "",
                                                          "active": "on"})
    assert r.status_code == 200 and "private or local network address" in r.content.decode()
    assert not IllPartner.objects.exists()
    # unless the platform operator allows the host
    settings.OUTBOUND_PRIVATE_HOSTS = [address.strip("[]")]
    assert _partner(client, world["staff"], peer, endpoint_url=url).status_code == 302
