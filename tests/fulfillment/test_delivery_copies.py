"""A scan made for one person's document delivery (target attachment or link) is that
person's copy, not the catalog's: it stays out of search, the record page, the record API and
the link resolver, and only its request opens it (DIG-9 targets, DIG-4/DIG-10 delivery).  A
scan delivered into the digital inventory is published like any representation."""
from __future__ import annotations

import pytest

from syllabus.catalog import resolver, selectors
from syllabus.fulfillment import services

pytestmark = pytest.mark.django_db


def _delivered(default_rule, patron_request, operator, scan, target):
    default_rule(target=target, **({"max_accesses": 3} if target == "link" else {}))
    req = patron_request()
    services.pick(operator, req)
    return services.deliver(operator, services.attach_file(operator, req, scan()), base_url="http://testserver")


@pytest.mark.parametrize("target", ["attachment", "link"])
def test_a_delivery_copy_stays_out_of_discovery(target, default_rule, patron_request, operator, scan, student,
                                                make_user, record, client, api):
    req = _delivered(default_rule, patron_request, operator, scan, target)
    rep = req.representation
    assert rep.active and not rep.discoverable

    other = make_user("another_student")
    page = selectors.search_records(other, "Middlemarch", availability="online")
    assert page.count == 0, "the record is not 'online' because of someone's delivery copy"
    assert [r["id"] for r in api(other).get(f"/api/v1/records/{record.pk}").json()["representations"]] == []
    found = resolver.resolve(other, {"type": "book", "title": "Middlemarch"})
    assert not [link for link in found.fulltext if link.kind == "representation"]

    client.force_login(other)
    assert client.get(f"/catalog/representations/{rep.pk}/file/").status_code == 404
    assert "Digital copy" not in client.get(f"/catalog/records/{record.pk}/").content.decode()
    if target == "attachment":
        client.force_login(student)
        response = client.get(f"/services/requests/{req.pk}/file/")
        assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")


def test_a_scan_delivered_into_the_digital_inventory_is_published(default_rule, patron_request, operator, scan, make_user,
                                                                  record, api):
    req = _delivered(default_rule, patron_request, operator, scan, "inventory")
    assert req.representation.discoverable
    other = make_user("another_student")
    assert selectors.search_records(other, "Middlemarch", availability="online").count == 1
    assert [r["id"] for r in api(other).get(f"/api/v1/records/{record.pk}").json()["representations"]] == [req.representation_id]
