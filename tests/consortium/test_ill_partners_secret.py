"""CON-2: an ILL partner's shared secret goes where its address and header say — to the partner
with every message posted to it, and it authenticates the partner's answers.  So an ILL staff
member who changes the address or the header name must type the secret again (the back office,
the admin and the API alike: otherwise anyone of them could point the partner at their own
address and read the secret off the next message); and the header is ``Authorization`` or an
``X-…`` header of the partner's own, never one that frames the request (``Host``,
``Content-Length``, ``Transfer-Encoding``, ``Connection``, ``Cookie``)."""
from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from syllabus.consortium import delivery
from syllabus.consortium.models import IllPartner
from syllabus.core.models import AuditEntry
from syllabus.org.roles import Role
from syllabus.org.services import assign_role
from tests.consortium.iso18626_peer import Peer
from tests.consortium.test_ill_partners import AGENCY, _new_request, _partner, _send
from tests.factories import UserFactory
from tests.problem import problem

pytestmark = pytest.mark.django_db
SECRET = "Bearer s3cret"
URL = "/api/v1/consortium/ill-partners"
FRAMING = ("Host", "Content-Length", "Transfer-Encoding", "Connection", "Cookie", "X-", "X-A:B", "X-a b", "X-é",
           "Proxy-Authorization", "Authorization2")


@pytest.fixture
def attacker():
    """An address of the ILL staff member's own: whatever reaches it, they read."""
    p = Peer()
    yield p
    p.close()


@pytest.fixture
def saved(client, ill_readers, peer):
    assert _partner(client, ill_readers["staff"], peer).status_code == 302
    return IllPartner.objects.get()


def _form(partner, **extra) -> dict:
    return {"agency_id": partner.agency_id, "name": partner.name, "endpoint_url": partner.endpoint_url,
            "auth_header": partner.auth_header, "auth_value": "", "active": "on", **extra}


def _admin(ill_readers):
    admin = UserFactory(username="a-admin", institution=ill_readers["staff"].institution, is_staff=True)
    assign_role(admin, Role.GENERAL_SYSTEM_ADMINISTRATOR)
    return admin


def test_con2_a_new_address_in_the_back_office_does_not_get_the_saved_secret(client, ill_readers, peer, saved, attacker):
    staff = ill_readers["staff"]
    for extra, named in (({"endpoint_url": attacker.url}, "the address changed"),
                         ({"auth_header": "X-Api-Key"}, "the header name changed"),
                         ({"endpoint_url": attacker.url, "auth_header": "X-Api-Key"}, "the address and the header name")):
        r = client.post(f"/consortium/ill/partners/{saved.pk}/", _form(saved, **extra))
        text = r.content.decode()
        assert r.status_code == 400 and "CON-2:</strong> " in text and named in text and "shared secret again" in text, extra
    saved.refresh_from_db()
    assert (saved.endpoint_url, saved.auth_header, saved.auth_value) == (peer.url, "Authorization", SECRET)

    # the next request still goes to the partner, with its secret; nothing reached the attacker
    ill = _new_request(client, ill_readers)
    assert _send(client, staff, ill).status_code == 302 and delivery.deliver_due() == 1
    assert [h.get("Authorization") for h, _ in peer.received] == [SECRET] and attacker.received == []

    # the name alone may change with the secret left empty; the address only with the secret typed again
    assert client.post(f"/consortium/ill/partners/{saved.pk}/", _form(saved, name="KB")).status_code == 302
    saved.refresh_from_db()
    assert (saved.name, saved.auth_value) == ("KB", SECRET)
    r = client.post(f"/consortium/ill/partners/{saved.pk}/", _form(saved, endpoint_url=attacker.url, auth_value="Bearer n3w"))
    saved.refresh_from_db()
    assert r.status_code == 302 and (saved.endpoint_url, saved.auth_value) == (attacker.url, "Bearer n3w")
    # clearing the header clears the secret (nothing left to send it in)
    assert client.post(f"/consortium/ill/partners/{saved.pk}/", _form(saved, auth_header="")).status_code == 302
    saved.refresh_from_db()
    assert (saved.auth_header, saved.auth_value) == ("", "")
    assert AuditEntry.objects.filter(note="CON-2: the shared secret was removed").exists()


def test_con2_a_new_address_in_the_api_patch_does_not_get_the_saved_secret(api, ill_readers, saved, attacker):
    staff = ill_readers["staff"]
    for changes, named in (({"endpoint_url": attacker.url}, "the address changed"),
                           ({"auth_header": "X-Api-Key"}, "the header name changed"),
                           ({"endpoint_url": attacker.url, "auth_value": None}, "the address changed")):
        r = api(staff).patch(f"{URL}/{saved.pk}", changes)
        if "auth_value" in changes:   # null (or "") removes the secret: nothing is kept, nothing leaks
            assert r.status_code == 200 and r.json()["has_secret"] is False, r.content
            continue
        p = problem(r)
        assert r.status_code == 400 and (p["rule"], p["field"]) == ("CON-2", "auth_value") and named in p["detail"], changes
        saved.refresh_from_db()
        assert (saved.endpoint_url, saved.auth_header, saved.auth_value) != (attacker.url, "X-Api-Key", "")
        assert saved.auth_value == SECRET
    saved.refresh_from_db()
    assert (saved.endpoint_url, saved.auth_value) == (attacker.url, "")
    r = api(staff).patch(f"{URL}/{saved.pk}", {"endpoint_url": saved.endpoint_url.replace("/iso", "/v2/iso"),
                                                "auth_value": "Bearer n3w"})
    assert r.status_code == 200 and r.json()["has_secret"] is True


def test_con2_a_new_address_in_the_admin_does_not_get_the_saved_secret(client, ill_readers, saved, attacker):
    client.force_login(_admin(ill_readers))
    page = f"/admin/consortium/illpartner/{saved.pk}/change/"
    r = client.post(page, {**_form(saved, endpoint_url=attacker.url), "institution": saved.institution_id})
    text = r.content.decode()
    assert r.status_code == 200 and "CON-2: the address changed: type the shared secret again" in text
    saved.refresh_from_db()
    assert (saved.endpoint_url, saved.auth_value) != (attacker.url, SECRET) and saved.endpoint_url != attacker.url
    r = client.post(page, {**_form(saved, name="KB"), "institution": saved.institution_id})
    saved.refresh_from_db()
    assert r.status_code == 302 and (saved.name, saved.auth_value) == ("KB", SECRET)
    r = client.post(page, {**_form(saved, auth_header="X-Api-Key", auth_value="k3y"), "institution": saved.institution_id})
    saved.refresh_from_db()
    assert r.status_code == 302 and (saved.auth_header, saved.auth_value) == ("X-Api-Key", "k3y")


@pytest.mark.parametrize("header", FRAMING)
def test_con2_the_secret_goes_in_authorization_or_an_x_header_only(client, api, ill_readers, peer, header):
    staff = ill_readers["staff"]
    r = _partner(client, staff, peer, auth_header=header)
    assert r.status_code == 400 and "CON-2:</strong> header: Authorization, or" in r.content.decode()
    r = api(staff).post(URL, {"agency_id": AGENCY, "name": "KB", "endpoint_url": peer.url, "auth_header": header,
                              "auth_value": "k"})
    assert r.status_code in (400, 422) and (r.status_code == 422 or problem(r)["field"] == "auth_header"), r.content
    assert not IllPartner.objects.exists()
    client.force_login(_admin(ill_readers))
    r = client.post("/admin/consortium/illpartner/add/", {"institution": staff.institution_id, "agency_id": AGENCY, "name": "KB",
                                                          "endpoint_url": peer.url, "auth_header": header, "auth_value": "k",
                                                          "active": "on"})
    assert r.status_code == 200 and "header: Authorization, or" in r.content.decode()
    partner = IllPartner(institution=staff.institution, agency_id=AGENCY, name="KB", endpoint_url=peer.url, auth_header=header)
    with pytest.raises(ValidationError) as exc:
        partner.full_clean()
    assert "auth_header" in exc.value.message_dict
    assert not IllPartner.objects.exists()


def test_con2_an_existing_partner_cannot_be_moved_to_a_framing_header(api, ill_readers, saved):
    r = api(ill_readers["staff"]).patch(f"{URL}/{saved.pk}", {"auth_header": "Host", "auth_value": "evil.example"})
    assert r.status_code == 400 and problem(r)["field"] == "auth_header"
    saved.refresh_from_db()
    assert saved.auth_header == "Authorization"


@pytest.mark.parametrize("header", ["Authorization", "authorization", "X-Api-Key", "X-Okapi-Token", "x-ill_key.v2"])
def test_con2_authorization_and_x_headers_are_accepted(client, ill_readers, peer, header):
    assert _partner(client, ill_readers["staff"], peer, auth_header=header).status_code == 302
    assert IllPartner.objects.get().auth_header == header


def test_sec_key_the_shared_secret_is_encrypted_and_a_lost_key_holds_the_message_with_a_clear_error(
        client, ill_readers, peer, clock, settings):
    """SEC-KEY (session 18): the partner's secret is a token in its row, the partner still receives
    it in plain.  A server without the key it was encrypted with sends nothing (not an empty
    header): the message waits, its error naming SEC-KEY and the variable; once the key is back it
    goes out with the secret."""
    from cryptography.fernet import Fernet

    from syllabus.consortium.models import IllMessage
    from tests.security.test_encryption_at_rest import _raw

    staff = ill_readers["staff"]
    assert _partner(client, staff, peer).status_code == 302
    partner = IllPartner.objects.get()
    assert SECRET not in _raw(IllPartner, "auth_value", partner.pk) and partner.auth_value == SECRET
    ill = _new_request(client, ill_readers)
    assert _send(client, staff, ill).status_code == 302
    settings.ENCRYPTION_KEYS = [Fernet.generate_key().decode()]   # the key was lost
    assert delivery.deliver_due() == 0 and peer.received == []
    msg = IllMessage.objects.get(request=ill, direction="out", kind="request")
    assert msg.delivery == "pending" and "SYLLABUS_ENCRYPTION_KEYS" in msg.last_error
    assert "consortium.IllPartner.auth_value" in msg.last_error
    settings.ENCRYPTION_KEYS = []   # back: the key derived from SECRET_KEY that encrypted it
    clock.set_now(clock.now() + dt.timedelta(hours=1))   # past the retry's back-off
    assert delivery.deliver_due() == 1
    assert peer.received[0][0]["Authorization"] == SECRET
