"""CON-2: the back office's ILL partner pages read their POST with a form (IllPartnerForm), never by
hand: a text over its column is refused naming the field and its ceiling (it was cut at 1,000
characters and then refused as "agency_id is longer than 100 characters"); what is required, the
address's checks and the shared secret's keeping (core.secrets.kept_secret) stay the service's,
with their messages; the Remove button still removes."""
from __future__ import annotations

import pytest

from syllabus.consortium.models import IllPartner
from tests.consortium.test_ill_partners import AGENCY, _partner

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("field, limit", [("agency_id", 100), ("name", 200), ("endpoint_url", 500),
                                          ("auth_header", 100), ("auth_value", 500)])
def test_a_text_over_its_column_is_refused_naming_the_field(client, ill_readers, peer, field, limit):
    r = _partner(client, ill_readers["staff"], peer, **{field: "x" * (limit + 1)})
    page = r.content.decode()
    assert r.status_code == 400
    assert f"CON-2:</strong> {field.replace('_', ' ')}: Ensure this value has at most {limit} characters" in page
    assert not IllPartner.objects.exists()


def test_the_services_checks_and_messages_are_kept(client, ill_readers, peer):
    staff = ill_readers["staff"]
    r = _partner(client, staff, peer, name="  ")
    assert r.status_code == 400 and "name: the partner&#x27;s name is required" in r.content.decode()
    r = _partner(client, staff, peer, auth_header="")
    assert r.status_code == 400 and "header: name the header the shared secret goes in" in r.content.decode()
    assert not IllPartner.objects.exists()
    assert _partner(client, staff, peer, active="").status_code == 302   # unchecked: saved inactive
    partner = IllPartner.objects.get()
    assert (partner.agency_id, partner.active, partner.auth_value) == (AGENCY, False, "Bearer s3cret")


def test_editing_keeps_the_secret_when_left_empty_and_remove_removes(client, ill_readers, peer):
    staff = ill_readers["staff"]
    assert _partner(client, staff, peer).status_code == 302
    partner = IllPartner.objects.get()
    form = {"agency_id": partner.agency_id, "name": "Det Kgl. Bibliotek", "endpoint_url": partner.endpoint_url,
            "auth_header": partner.auth_header, "auth_value": "", "active": "on"}
    assert client.post(f"/consortium/ill/partners/{partner.pk}/", form).status_code == 302
    partner.refresh_from_db()
    assert (partner.name, partner.auth_value, partner.active) == ("Det Kgl. Bibliotek", "Bearer s3cret", True)
    assert client.post(f"/consortium/ill/partners/{partner.pk}/", {"delete": "1"}).status_code == 302
    assert not IllPartner.objects.exists()
