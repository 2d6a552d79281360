"""DIG-10 / ORG-3: every staff action for every role through the API: anonymous → 401, not
visible → 404, wrong role → 403 with the rule id, the right role → 200."""
import pytest

from syllabus.fulfillment import services
from syllabus.fulfillment.models import DigitizationRequest

pytestmark = pytest.mark.django_db


@pytest.fixture
def req(default_rule, patron_request):
    default_rule(approval_required=True, copyright_required=True, approval_mode="parallel")
    return patron_request(page_ranges=[{"from": 3, "to": 9}], notes=["chapter 2 only"])


def test_anonymous_gets_401(api, req):
    assert api().get(f"/api/v1/digitization-requests/{req.pk}").status_code == 401
    assert api().post(f"/api/v1/digitization-requests/{req.pk}/approve").status_code == 401
    assert api().get("/api/v1/digitization/departments").status_code == 401


def test_another_patron_gets_404(api, req, make_user):
    other = make_user("other")
    assert api(other).get(f"/api/v1/digitization-requests/{req.pk}").status_code == 404
    assert api(other).post(f"/api/v1/digitization-requests/{req.pk}/cancel").status_code == 404


def test_requester_sees_own_request(api, req, student):
    r = api(student).get(f"/api/v1/digitization-requests/{req.pk}")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "pick_from_shelf" and body["page_ranges"] == [{"from": 3, "to": 9}]
    assert body["approval"] == "pending" and body["department"] == "DIGI_DEPT_INST"
    assert [x["id"] for x in api(student).get("/api/v1/digitization-requests").json()["items"]] == [req.pk]


@pytest.mark.parametrize("action", ["approve", "reject", "approve-copyright", "reject-copyright"])
def test_approval_actions_need_a_fulfillment_services_manager(api, req, operator, manager, action):
    r = api(operator).post(f"/api/v1/digitization-requests/{req.pk}/{action}", {"reason": "x"})
    assert r.status_code == 403 and r.json()["rule"] == "DIG-10"
    assert "Fulfillment Services Manager" in r.json()["detail"]
    assert api(manager).post(f"/api/v1/digitization-requests/{req.pk}/{action}", {"reason": "ok"}).status_code == 200


def test_work_actions_need_a_work_order_operator_of_that_department(api, req, manager, operator, make_user, fadmin, inst_a, scan):

    other_dept = services.save_department(fadmin, inst_a, code="ARCHIVE", name="Archive scanning")
    stranger = make_user("stranger_op", group="staff")
    services.add_operator(fadmin, other_dept, stranger)
    for user in (manager, stranger):
        r = api(user).post(f"/api/v1/digitization-requests/{req.pk}/pick")
        assert r.status_code == 403 and r.json()["rule"] == "DIG-10"
        r = api(user).post(f"/api/v1/digitization-requests/{req.pk}/attach-file", {"file": scan()}, format="multipart")
        assert r.status_code == 403 and "Work Order Operator of Digitization Department For Institution" in r.json()["detail"]
    assert api(operator).post(f"/api/v1/digitization-requests/{req.pk}/pick").json()["status"] == "in_digitization"
    r = api(operator).post(f"/api/v1/digitization-requests/{req.pk}/attach-file", {"file": scan()}, format="multipart")
    assert r.status_code == 200 and r.json()["status"] == "file_attached" and r.json()["file_active"] is False
    # deliver is refused while approvals are pending (DIG-9), then works
    r = api(operator).post(f"/api/v1/digitization-requests/{req.pk}/deliver")
    assert r.status_code == 409 and r.json()["rule"] == "DIG-9"
    api(manager).post(f"/api/v1/digitization-requests/{req.pk}/approve", {"reason": ""})
    api(manager).post(f"/api/v1/digitization-requests/{req.pk}/approve-copyright", {"reason": ""})
    assert api(manager).post(f"/api/v1/digitization-requests/{req.pk}/deliver").status_code == 403
    r = api(operator).post(f"/api/v1/digitization-requests/{req.pk}/deliver")
    assert r.status_code == 200 and r.json()["status"] == "delivered" and r.json()["file_active"] is True
    assert api(operator).post(f"/api/v1/digitization-requests/{req.pk}/complete").json()["status"] == "completed"
    assert api(operator).post(f"/api/v1/digitization-requests/{req.pk}/cancel").status_code == 409
    history = api(operator).get(f"/api/v1/digitization-requests/{req.pk}/history").json()["items"]
    assert [h["action"] for h in history][:3] == ["complete", "updated", "deliver"]


def test_requests_operator_of_the_library_picks_from_shelf(api, req, make_user, library_a):
    from syllabus.org.roles import Role
    from syllabus.org.services import assign_role

    picker = make_user("picker", group="staff")
    assign_role(picker, Role.REQUESTS_OPERATOR, library=library_a)
    assert [r["id"] for r in api(picker).get("/api/v1/digitization-requests", {"scope": "work", "tab": "pick"}).json()["items"]] == [req.pk]
    assert api(picker).post(f"/api/v1/digitization-requests/{req.pk}/pick").status_code == 200


def test_work_queue_is_for_fulfillment_staff_only(api, req, student, operator):
    r = api(student).get("/api/v1/digitization-requests", {"scope": "work"})
    assert r.status_code == 403 and r.json()["rule"] == "DIG-10"
    tabs = {t: [x["id"] for x in api(operator).get("/api/v1/digitization-requests", {"scope": "work", "tab": t}).json()["items"]]
            for t in ("pick", "approval", "copyright", "digitization", "closed")}
    assert tabs == {"pick": [req.pk], "approval": [req.pk], "copyright": [req.pk], "digitization": [], "closed": []}


def test_requester_may_cancel_own_open_request(api, req, student):
    r = api(student).post(f"/api/v1/digitization-requests/{req.pk}/cancel", {"reason": "found it"})
    assert r.status_code == 200 and r.json()["status"] == "cancelled"


def test_on_behalf_of_a_patron_needs_a_fulfillment_services_operator(api, record, edd_all, student, fso, operator):
    body = {"record_id": record.pk, "on_behalf_of": "student", "chapters": "3"}
    r = api(operator).post("/api/v1/digitization-requests", body)
    assert r.status_code == 403 and r.json()["rule"] == "DIG-10" and "Fulfillment Services Operator" in r.json()["detail"]
    r = api(fso).post("/api/v1/digitization-requests", body)
    assert r.status_code == 201
    req = DigitizationRequest.objects.get(pk=r.json()["id"])
    assert req.requester == student and req.created_by == fso and req.source == "staff"
    assert api(student).get(f"/api/v1/digitization-requests/{req.pk}").status_code == 200


def test_form_rules_from_the_catalog_are_refused_by_name(api, record, edd_all, student):
    client = api(student)
    r = client.post("/api/v1/digitization-requests", {"record_id": record.pk,
                                                      "page_ranges": [{"from": n, "to": n} for n in range(1, 12)]})
    assert r.status_code == 400 and r.json()["rule"] == "DIG-1" and "at most 10 page ranges" in r.json()["detail"]
    r = client.post("/api/v1/digitization-requests", {"record_id": record.pk, "page_ranges": [{"from": 9, "to": 2}]})
    assert r.json()["detail"] == "page range 1 is reversed: 9 comes after 2"
    r = client.post("/api/v1/digitization-requests", {"record_id": record.pk, "notes": ["a", "b", "c", "d"]})
    assert r.json()["detail"] == "at most 3 notes (4 given)"
    assert DigitizationRequest.objects.count() == 0


def test_config_endpoints_need_a_fulfillment_administrator(api, operator, manager, fadmin, admin_user):
    for user in (operator, manager):
        r = api(user).get("/api/v1/digitization/rules")
        assert r.status_code == 403 and r.json()["rule"] == "DIG-6"
        r = api(user).put("/api/v1/digitization/patron-limits", {"undergraduate": 1})
        assert r.status_code == 403
    for user in (fadmin, admin_user):
        assert api(user).get("/api/v1/digitization/rules").status_code == 200


def test_dig10_on_behalf_of_a_full_width_username_is_that_patron(api, record, edd_all, student, fso):
    """Staff-typed usernames are read in NFKC like the sign-in form (User.normalize_username)."""
    from tests.conftest import full_width

    r = api(fso).post("/api/v1/digitization-requests", {"record_id": record.pk, "on_behalf_of": full_width("student"), "chapters": "3"})
    assert r.status_code == 201, r.content
    assert DigitizationRequest.objects.get(pk=r.json()["id"]).requester == student
