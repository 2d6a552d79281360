"""CON-2: the directory of ILL partners through the REST API — its institution's ILL staff list it
(the project's one paginator), add, change and deactivate partners; the shared secret is
write-only (never in an answer, nor in the audit trail); every refusal is problem details naming
CON-2 and the field; the address is vetted as the back office vets it; every other role is 403
and another institution's partner is 404."""
from __future__ import annotations

import pytest

from syllabus.consortium.models import IllPartner
from syllabus.consortium.permissions import ILL_STAFF_ROLES
from syllabus.core.models import AuditEntry
from syllabus.org.roles import Role
from syllabus.org.services import assign_role
from tests.factories import UserFactory
from tests.problem import problem

pytestmark = pytest.mark.django_db
URL = "/api/v1/consortium/ill-partners"
NEW = {"agency_id": "dk-710100", "name": "Royal Danish Library", "endpoint_url": "https://127.0.0.1:8443/iso18626",
       "auth_header": "Authorization", "auth_value": "Bearer s3cret"}


@pytest.fixture
def staff(ill_readers):
    return ill_readers["staff"]


def test_con2_staff_add_list_change_and_deactivate_partners(api, staff, settings):
    r = api(staff).post(URL, NEW)
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["agency_id"], body["has_secret"], body["active"]) == ("DK-710100", True, True)
    assert "auth_value" not in body and "s3cret" not in r.content.decode()
    pid = body["id"]
    for n in range(3):
        assert api(staff).post(URL, {**NEW, "agency_id": f"DE-{n}", "auth_header": "", "auth_value": ""}).status_code == 201
    page = api(staff).get(URL, {"limit": 2})
    assert page.status_code == 200
    listed = page.json()
    assert listed["count"] == 4 and len(listed["items"]) == 2 and listed["next"]
    assert "s3cret" not in page.content.decode()
    assert api(staff).get(f"{URL}/{pid}").json()["name"] == "Royal Danish Library"

    # PATCH: the fields given; the secret kept when not given, replaced, then removed
    r = api(staff).patch(f"{URL}/{pid}", {"name": "KB"})
    assert r.status_code == 200 and r.json()["name"] == "KB" and r.json()["has_secret"] is True
    assert IllPartner.objects.get(pk=pid).auth_value == "Bearer s3cret"
    r = api(staff).patch(f"{URL}/{pid}", {"auth_value": "Bearer n3w"})
    assert r.status_code == 200 and "n3w" not in r.content.decode()
    assert IllPartner.objects.get(pk=pid).auth_value == "Bearer n3w"
    r = api(staff).patch(f"{URL}/{pid}", {"auth_value": ""})
    assert r.status_code == 200 and r.json()["has_secret"] is False and IllPartner.objects.get(pk=pid).auth_value == ""
    assert not any("s3cret" in str(e.changes) + e.note or "n3w" in str(e.changes) + e.note
                   for e in AuditEntry.objects.all())

    r = api(staff).post(f"{URL}/{pid}/deactivate")
    assert r.status_code == 200 and r.json()["active"] is False
    assert IllPartner.objects.get(pk=pid).active is False
    assert AuditEntry.objects.filter(note__contains="deactivated").exists()
    assert api(staff).patch(f"{URL}/{pid}", {"active": True}).json()["active"] is True


def test_con2_refusals_are_problem_details_naming_con2_and_the_field(api, staff, settings):
    settings.OUTBOUND_PRIVATE_HOSTS = []
    r = api(staff).post(URL, NEW)
    assert r.status_code == 400
    p = problem(r)
    assert (p["rule"], p["field"]) == ("CON-2", "endpoint_url") and "private or local network address" in p["detail"]
    settings.OUTBOUND_PRIVATE_HOSTS = ["127.0.0.1"]
    for extra, field in (({"endpoint_url": "http://127.0.0.1/"}, "endpoint_url"), ({"agency_id": " "}, "agency_id"),
                         ({"agency_id": "INST-B"}, "agency_id"), ({"auth_header": ""}, "auth_header"),
                         ({"endpoint_url": "https://u:p@127.0.0.1/"}, "endpoint_url")):
        r = api(staff).post(URL, {**NEW, **extra})
        p = problem(r)
        assert r.status_code == 400 and (p["rule"], p.get("field")) == ("CON-2", field), (extra, p)
    assert api(staff).post(URL, {**NEW, "name": "n" * 201}).status_code == 422
    pid = api(staff).post(URL, NEW).json()["id"]
    r = api(staff).post(URL, NEW)
    assert r.status_code == 409 and problem(r)["rule"] == "CON-2"
    settings.OUTBOUND_PRIVATE_HOSTS = []
    r = api(staff).patch(f"{URL}/{pid}", {"endpoint_url": "https://10.1.2.3/"})
    assert r.status_code == 400 and problem(r)["field"] == "endpoint_url"
    assert IllPartner.objects.get(pk=pid).endpoint_url == NEW["endpoint_url"]


def test_con2_only_the_institutions_ill_staff_reach_its_partners(api, staff, inst_b, make_user, settings):
    settings.OUTBOUND_PRIVATE_HOSTS = ["127.0.0.1"]
    pid = api(staff).post(URL, NEW).json()["id"]
    a = staff.institution
    for role in Role:
        user = UserFactory(username=f"p-{role.value}"[:150], institution=a)
        assign_role(user, role)
        allowed = role in ILL_STAFF_ROLES
        for call in (lambda c: c.get(URL), lambda c: c.get(f"{URL}/{pid}"), lambda c: c.patch(f"{URL}/{pid}", {"name": "x"}),
                     lambda c: c.post(f"{URL}/{pid}/deactivate"), lambda c: c.post(URL, {**NEW, "agency_id": "X-1"})):
            r = call(api(user))
            assert (r.status_code < 300) == allowed, (role, r.status_code)
            if not allowed:
                assert r.status_code == 403 and problem(r)["rule"] == "CON-2"
        IllPartner.objects.filter(pk=pid).update(active=True, name=NEW["name"])
        IllPartner.objects.filter(agency_id="X-1").delete()
    assert api().get(URL).status_code == 401
    student = make_user("p-student", institution=a)
    assert api(student).get(URL).status_code == 403
    # the other institution's ILL staff: its own (empty) directory, and a 404 for ours
    b_staff = UserFactory(username="p-b-ill", institution=inst_b)
    assign_role(b_staff, Role.REQUESTS_OPERATOR)
    assert api(b_staff).get(URL).json()["count"] == 0
    for r in (api(b_staff).get(f"{URL}/{pid}"), api(b_staff).patch(f"{URL}/{pid}", {"name": "x"}),
              api(b_staff).post(f"{URL}/{pid}/deactivate")):
        assert r.status_code == 404 and problem(r)["rule"] == "CON-2"
    partner = IllPartner.objects.get(pk=pid)
    assert (partner.name, partner.active) == (NEW["name"], True)
