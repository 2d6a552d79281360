"""Acceptance 3 (DIG-7, DIG-8): patron limits per user group and electronic document delivery rules."""
import pytest

from syllabus.fulfillment import services
from syllabus.fulfillment.models import DigitizationRequest
from tests.problem import problem

pytestmark = pytest.mark.django_db


def test_limit_2_for_undergraduate_refuses_the_third_simultaneous_request(api, fadmin, student, record, edd_all):
    r = api(fadmin).put("/api/v1/digitization/patron-limits", {"undergraduate": 2})
    assert r.status_code == 200 and r.json()["undergraduate"] == 2
    client = api(student)
    for _ in range(2):
        assert client.post("/api/v1/digitization-requests", {"record_id": record.pk}).status_code == 201
    r = client.post("/api/v1/digitization-requests", {"record_id": record.pk})
    assert r.status_code == 409
    assert r.json()["rule"] == "DIG-7" and "at most 2 simultaneous" in r.json()["detail"]
    assert DigitizationRequest.objects.filter(requester=student).count() == 2  # nothing half-written


def test_a_closed_request_frees_a_place_under_the_limit(fadmin, student, record, edd_all, groups):
    services.set_patron_limit(fadmin, groups["undergraduate"], 1)
    first = services.request_from_record(student, record, {})
    with pytest.raises(services.RuleViolation):
        services.request_from_record(student, record, {})
    services.cancel(student, first, reason="no longer needed")
    assert services.request_from_record(student, record, {}).is_open


def test_limit_0_refuses_every_request(fadmin, student, record, edd_all, groups):
    services.set_patron_limit(fadmin, groups["undergraduate"], 0)
    with pytest.raises(services.RuleViolation) as exc:
        services.request_from_record(student, record, {})
    assert exc.value.rule == "DIG-7" and "may not place digitization requests" in exc.value.detail


def test_empty_limit_allows_many(fadmin, student, record, edd_all, groups):
    services.set_patron_limit(fadmin, groups["undergraduate"], None)
    for _ in range(6):
        services.request_from_record(student, record, {})
    assert DigitizationRequest.objects.filter(requester=student).count() == 6


def test_no_matching_edd_rule_refuses(api, fadmin, student, record, inst_a):
    services.save_edd_rule(fadmin, inst_a, name="Faculty only", user_groups=["faculty"], allowed=True)
    r = api(student).post("/api/v1/digitization-requests", {"record_id": record.pk})
    assert r.status_code == 403
    assert problem(r) == {"rule": "DIG-8", "detail": "no electronic document delivery rule allows user group Undergraduate"}


def test_edd_rule_with_allowed_false_refuses_and_order_decides(fadmin, student, record, inst_a):
    services.save_edd_rule(fadmin, inst_a, name="No undergraduates", position=1, user_groups=["undergraduate"], allowed=False)
    services.save_edd_rule(fadmin, inst_a, name="Everyone", position=2, user_groups=[], allowed=True)
    with pytest.raises(services.RuleViolation) as exc:
        services.request_from_record(student, record, {})
    assert exc.value.rule == "DIG-8" and "No undergraduates" in exc.value.detail


def test_edd_rule_for_unknown_group_is_refused(fadmin, inst_a):
    with pytest.raises(services.RuleViolation) as exc:
        services.save_edd_rule(fadmin, inst_a, name="x", user_groups=["martians"])
    assert exc.value.rule == "DIG-8"
