"""The lending API (LDL-1..13): shapes, and who may see and change what — anonymous → 401,
wrong role → 403, not visible → 404, broken rule → 4xx with the rule id."""
from __future__ import annotations

import datetime as dt

import pytest

from syllabus.core.audit import trail
from syllabus.lending.models import AccessRightsPolicy, LoanRequest, LoanSettings, LoanSlot

from .conftest import DEFAULT_RULE


def test_a_patron_requests_a_loan_201_with_status_step_and_place(api, clock, rep, patrons):
    r = api(patrons[0]).post(f"/api/v1/representations/{rep.pk}/loan-requests")
    assert r.status_code == 201, r.content
    body = r.json()
    assert {k: body[k] for k in ("status", "step", "place_in_queue", "priority")} == {
        "status": "active", "step": "in_grace_period", "place_in_queue": 0, "priority": 0}
    assert body["grace_due_at"] and body["viewer_url"] == f"/lending/loans/{body['id']}/view/"
    r2 = api(patrons[1]).post(f"/api/v1/representations/{rep.pk}/loan-requests", {"note": "for my essay"})
    assert r2.status_code == 201
    assert {k: r2.json()[k] for k in ("status", "step", "place_in_queue")} == {"status": "ready", "step": "in_waitlist", "place_in_queue": 1}
    assert r2.json()["viewer_url"] is None and r2.json()["session_period"] == "3 days" and r2.json()["grace_period"] == "2 days"


def test_the_whole_loan_through_the_api(api, clock, rep, patrons):
    me = api(patrons[0])
    rid = me.post(f"/api/v1/representations/{rep.pk}/loan-requests").json()["id"]
    body = me.post(f"/api/v1/loan-requests/{rid}/access").json()
    assert body["step"] == "is_being_viewed" and body["session_started_at"]
    clock.advance(dt.timedelta(days=2, hours=1))
    body = me.post(f"/api/v1/loan-requests/{rid}/renew").json()
    assert body["renewals"] == 1 and body["renewed_days"] == 3.0
    body = me.post(f"/api/v1/loan-requests/{rid}/finish").json()
    assert (body["status"], body["step"], body["outcome"]) == ("completed", "completed", "finished")
    assert me.get(f"/api/v1/loan-requests/{rid}").json()["status"] == "completed"
    assert [r["id"] for r in me.get("/api/v1/me/loan-requests").json()["items"]] == [rid]


def test_one_ready_or_active_request_per_patron_and_representation(api, rep, patrons):
    assert api(patrons[0]).post(f"/api/v1/representations/{rep.pk}/loan-requests").status_code == 201
    r = api(patrons[0]).post(f"/api/v1/representations/{rep.pk}/loan-requests")
    assert r.status_code == 409 and r.json()["rule"] == "LDL-3"
    assert LoanRequest.objects.filter(patron=patrons[0]).count() == 1


def test_anonymous_is_401_everywhere(api, rep, patrons, policy):
    req = LoanRequest.objects.create(representation=rep, patron=patrons[0])
    anon = api()
    for method, path in [("post", f"/api/v1/representations/{rep.pk}/loan-requests"), ("get", f"/api/v1/loan-requests/{req.pk}"),
                         ("post", f"/api/v1/loan-requests/{req.pk}/access"), ("post", f"/api/v1/loan-requests/{req.pk}/finish"),
                         ("post", f"/api/v1/loan-requests/{req.pk}/renew"), ("post", f"/api/v1/loan-requests/{req.pk}/cancel"),
                         ("get", f"/api/v1/representations/{rep.pk}/loan-requests"), ("get", "/api/v1/loan-requests"),
                         ("post", "/api/v1/access-rights-policies"), ("get", "/api/v1/representations"),
                         ("patch", f"/api/v1/representations/{rep.pk}"), ("get", "/api/v1/me/loan-requests"),
                         ("get", f"/api/v1/loan-requests/{req.pk}/history"), ("patch", f"/api/v1/loan-requests/{req.pk}")]:
        r = getattr(anon, method)(path)
        assert r.status_code == 401, (method, path)
        assert r.json()["rule"] == "AUTH"


def test_a_student_cannot_do_staff_things_403(api, rep, patrons, policy):
    student = api(patrons[0])
    rid = api(patrons[1]).post(f"/api/v1/representations/{rep.pk}/loan-requests").json()["id"]
    assert student.get(f"/api/v1/representations/{rep.pk}/loan-requests").status_code == 403
    assert student.get("/api/v1/loan-requests").status_code == 403
    r = student.post(f"/api/v1/representations/{rep.pk}/loan-requests", {"patron": "p3"})
    assert r.status_code == 403 and r.json()["rule"] == "LDL-3"
    r = student.post(f"/api/v1/representations/{rep.pk}/loan-requests", {"priority": 9})
    assert r.status_code == 403
    assert student.post("/api/v1/access-rights-policies", {"name": "Mine", "rules": [{}]}).status_code == 403
    r = student.patch(f"/api/v1/representations/{rep.pk}", {"concurrent_users": 9})
    assert r.status_code == 403 and LoanSettings.objects.get(representation=rep).concurrent_users == 1
    assert student.post(f"/api/v1/representations/{rep.pk}/staff-access").status_code == 403
    # another patron's request is not even visible
    assert student.get(f"/api/v1/loan-requests/{rid}").status_code == 404
    assert student.post(f"/api/v1/loan-requests/{rid}/cancel", {"reason": "other"}).status_code == 404
    assert student.patch(f"/api/v1/loan-requests/{rid}", {"priority": 5}).status_code == 404


def test_another_institution_sees_nothing_404(api, rep, patrons, make_user, inst_b, lending_staff):
    from syllabus.org.roles import Role

    outsider = make_user("outsider", institution=inst_b)
    outside_staff = make_user("outstaff", institution=inst_b, roles=[Role.REQUESTS_OPERATOR, Role.DIGITAL_INVENTORY_OPERATOR])
    rid = api(patrons[0]).post(f"/api/v1/representations/{rep.pk}/loan-requests").json()["id"]
    for user in (outsider, outside_staff):
        assert api(user).post(f"/api/v1/representations/{rep.pk}/loan-requests").status_code == 404
        assert api(user).get(f"/api/v1/loan-requests/{rid}").status_code == 404
        assert api(user).get(f"/api/v1/representations/{rep.pk}/loan-requests").status_code == 404
        assert api(user).patch(f"/api/v1/representations/{rep.pk}", {"concurrent_users": 5}).status_code == 404
        assert rep.pk not in [x["id"] for x in api(user).get("/api/v1/representations").json()["items"]]
    assert api(outside_staff).get("/api/v1/loan-requests").json()["count"] == 0


def test_staff_request_on_behalf_with_priority_override_and_see_the_queue(api, clock, rep, patrons, lending_staff):
    staff = api(lending_staff)
    for p in patrons[:3]:
        api(p).post(f"/api/v1/representations/{rep.pk}/loan-requests")
    r = staff.post(f"/api/v1/representations/{rep.pk}/loan-requests", {"patron": "p4", "priority": 7, "note": "faculty course"})
    assert r.status_code == 201
    body = r.json()
    assert (body["patron"], body["creator"], body["source"], body["priority"], body["place_in_queue"]) == (
        "p4", "lender", "staff_on_behalf", 7, 1)
    q = staff.get(f"/api/v1/representations/{rep.pk}/loan-requests").json()
    assert [x["patron"] for x in q["active"]] == ["p1"]
    assert [(x["patron"], x["place_in_queue"]) for x in q["waiting"]] == [("p4", 1), ("p2", 2), ("p3", 3)]
    assert q["representation"]["availability"] == "not_available"


def test_staff_edit_changes_note_and_priority_only_and_reorders_the_queue(api, clock, rep, patrons, lending_staff):
    ids = [api(p).post(f"/api/v1/representations/{rep.pk}/loan-requests").json()["id"] for p in patrons[:3]]
    r = api(lending_staff).patch(f"/api/v1/loan-requests/{ids[2]}", {"priority": 5, "note": "urgent", "status": "completed"})
    assert r.status_code == 200
    assert (r.json()["priority"], r.json()["note"], r.json()["status"], r.json()["place_in_queue"]) == (5, "urgent", "ready", 1)
    assert api(lending_staff).get(f"/api/v1/loan-requests/{ids[1]}").json()["place_in_queue"] == 2
    history = api(lending_staff).get(f"/api/v1/loan-requests/{ids[2]}/history").json()["items"]
    assert history[0]["actor"] == "lender" and set(history[0]["changes"]) == {"priority", "note"}
    assert api(patrons[2]).get(f"/api/v1/loan-requests/{ids[2]}/history").status_code == 403


def test_cancel_needs_a_known_reason_and_patrons_cancel_only_while_waiting(api, clock, rep, patrons, lending_staff):
    r1 = api(patrons[0]).post(f"/api/v1/representations/{rep.pk}/loan-requests").json()["id"]
    r2 = api(patrons[1]).post(f"/api/v1/representations/{rep.pk}/loan-requests").json()["id"]
    bad = api(lending_staff).post(f"/api/v1/loan-requests/{r1}/cancel", {"reason": "because"})
    assert bad.status_code == 400 and bad.json()["rule"] == "LDL-11"
    none = api(lending_staff).post(f"/api/v1/loan-requests/{r1}/cancel", {})
    assert none.status_code == 400 and none.json()["rule"] == "LDL-11"
    own_active = api(patrons[0]).post(f"/api/v1/loan-requests/{r1}/cancel", {})
    assert own_active.status_code == 409 and own_active.json()["rule"] == "LDL-11"
    own_waiting = api(patrons[1]).post(f"/api/v1/loan-requests/{r2}/cancel", {})
    assert own_waiting.status_code == 200 and own_waiting.json()["status"] == "rejected"
    assert own_waiting.json()["cancel_reason"] == "patron_request"


def test_create_policy_with_every_ldl1_parameter_and_the_grace_included_rule(api, lending_staff, groups):
    rules = [DEFAULT_RULE, DEFAULT_RULE | {"user_group": "faculty", "request_priority": 5, "session_period": 12,
                                           "session_period_unit": "hours", "grace_period": 6, "grace_period_unit": "hours",
                                           "grace_included_in_session": True, "limit_reloan": True, "reloan_limit_days": 7}]
    r = api(lending_staff).post("/api/v1/access-rights-policies", {"name": "CDL", "long_term_loan": True,
                                                                   "limit_note": "All copies are out", "rules": rules})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["limit_note"] == "All copies are out" and len(body["rules"]) == 2
    faculty = next(x for x in body["rules"] if x["user_group"] == "faculty")
    assert {k: faculty[k] for k in DEFAULT_RULE} == {k: rules[1][k] for k in DEFAULT_RULE}
    bad = api(lending_staff).post("/api/v1/access-rights-policies", {"name": "Bad", "rules": [
        DEFAULT_RULE | {"grace_included_in_session": True, "grace_period": 4, "session_period": 3}]})
    assert bad.status_code == 400 and bad.json()["rule"] == "LDL-1" and "grace period cannot be longer" in bad.json()["detail"]
    hours_vs_days = api(lending_staff).post("/api/v1/access-rights-policies", {"name": "Bad2", "rules": [
        DEFAULT_RULE | {"grace_included_in_session": True, "grace_period": 2, "grace_period_unit": "days",
                        "session_period": 36, "session_period_unit": "hours"}]})
    assert hours_vs_days.status_code == 400 and hours_vs_days.json()["rule"] == "LDL-1"
    assert not AccessRightsPolicy.objects.filter(name__startswith="Bad").exists()
    dup = api(lending_staff).post("/api/v1/access-rights-policies", {"name": "CDL", "rules": []})
    assert dup.status_code == 409
    unit = api(lending_staff).post("/api/v1/access-rights-policies", {"name": "X", "rules": [DEFAULT_RULE | {"session_period_unit": "weeks"}]})
    assert unit.status_code == 422


def test_a_renewable_rule_with_no_open_for_renewal_period_is_refused(api, lending_staff, policy):
    """LDL-1: renewal opens open_for_renewal_days before the due time — with 0 it would open
    only when the session has ended, so the loan could never be renewed."""
    staff = api(lending_staff)
    r = staff.post("/api/v1/access-rights-policies", {"name": "Never renewable", "rules": [
        DEFAULT_RULE | {"renewable": True, "max_renewal_days": 10, "open_for_renewal_days": 0}]})
    assert r.status_code == 400 and r.json()["rule"] == "LDL-1" and "open-for-renewal" in r.json()["detail"]
    assert not AccessRightsPolicy.objects.filter(name="Never renewable").exists()
    from syllabus.core.errors import RuleViolation
    from syllabus.lending import services

    with pytest.raises(RuleViolation) as exc:                           # nor by editing a policy's rules
        services.update_policy(lending_staff, policy, rules=[DEFAULT_RULE | {"open_for_renewal_days": 0}])
    assert exc.value.rule == "LDL-1"
    assert policy.rules.get().open_for_renewal_days == 1
    ok = staff.post("/api/v1/access-rights-policies", {"name": "Not renewable", "rules": [     # fine when not renewable
        DEFAULT_RULE | {"renewable": False, "max_renewal_days": 0, "open_for_renewal_days": 0}]})
    assert ok.status_code == 201, ok.content


def test_assign_policy_and_concurrent_users_and_filter_long_term_loans(api, lending_staff, policy, inst_a, library_a, make_rep):
    from syllabus.catalog.models import Item, Record, Representation

    record = Record.objects.create(institution=inst_a, source_id="plain-1", title="A plain PDF")
    plain = Representation.objects.create(record=record, library=library_a, label="PDF")
    item = Item.objects.create(record=record, library=library_a, barcode="B0001")
    loaned = make_rep(2)
    staff = api(lending_staff)
    listed = staff.get("/api/v1/representations", {"long_term_loan": "true"}).json()["items"]
    assert [x["id"] for x in listed] == [loaned.pk]
    assert listed[0]["concurrent_users"] == 2 and listed[0]["availability"] == "available"
    r = staff.patch(f"/api/v1/representations/{plain.pk}", {"policy_id": policy.pk, "concurrent_users": 3, "related_item_ids": [item.pk]})
    assert r.status_code == 200, r.content
    assert (r.json()["long_term_loan"], r.json()["concurrent_users"], r.json()["related_item_ids"]) == (True, 3, [item.pk])
    assert LoanSlot.objects.filter(representation=plain).count() == 3
    assert staff.patch(f"/api/v1/representations/{plain.pk}", {"concurrent_users": -1}).status_code == 422  # refused at the schema (issue 18 item 3)
    other = Item.objects.create(record=loaned.record, library=library_a, barcode="B0002")
    wrong = staff.patch(f"/api/v1/representations/{plain.pk}", {"related_item_ids": [other.pk]})
    assert wrong.status_code == 400 and wrong.json()["rule"] == "LDL-2"
    assert trail(LoanSettings.objects.get(representation=plain)).first().changes["concurrent_users"] == [0, 3]


def test_a_bad_related_item_leaves_the_whole_patch_unsaved(api, lending_staff, policy, inst_a, library_a, make_rep):
    """LDL-2: PATCH is one change — a refused related_item_ids does not leave the policy and the
    copies saved behind a 400."""
    from syllabus.catalog.models import Item, Record, Representation

    record = Record.objects.create(institution=inst_a, source_id="plain-2", title="Half saved?")
    plain = Representation.objects.create(record=record, library=library_a, label="PDF")
    other = Item.objects.create(record=make_rep(1).record, library=library_a, barcode="B0003")
    staff = api(lending_staff)
    for bad_ids in ([other.pk], [987654]):                                  # another title's item, an unknown id
        r = staff.patch(f"/api/v1/representations/{plain.pk}", {"policy_id": policy.pk, "concurrent_users": 3,
                                                                  "related_item_ids": bad_ids})
        assert r.status_code == 400 and r.json()["rule"] == "LDL-2"
        shown = next(x for x in staff.get("/api/v1/representations").json()["items"] if x["id"] == plain.pk)
        assert (shown["long_term_loan"], shown["concurrent_users"]) == (False, 0)
    assert not LoanSettings.objects.filter(representation=plain, concurrent_users__gt=0).exists()
    assert not LoanSlot.objects.filter(representation=plain).exists()


def test_zero_concurrent_users_prevents_any_access(api, make_rep, patrons):
    rep0 = make_rep(0)
    r = api(patrons[0]).post(f"/api/v1/representations/{rep0.pk}/loan-requests")
    assert r.status_code == 400 and r.json()["rule"] == "LDL-2"


def test_only_registered_users_of_the_institution_may_borrow(rep, patrons, make_user, inst_b):
    from syllabus.core.errors import RuleViolation
    from syllabus.lending import services

    visitor = make_user("visitor", institution=inst_b)
    with pytest.raises(RuleViolation) as exc:
        services.request_loan(visitor, rep)
    assert exc.value.rule == "LDL-3" and exc.value.status == 403
    patrons[0].is_active = False
    with pytest.raises(RuleViolation):
        services.request_loan(patrons[0], rep)


def test_monitoring_filters_by_activity_status_step_type_and_source(api, clock, rep, patrons, lending_staff):
    for p in patrons[:3]:
        api(p).post(f"/api/v1/representations/{rep.pk}/loan-requests")
    api(lending_staff).post(f"/api/v1/representations/{rep.pk}/loan-requests", {"patron": "p4"})
    first = LoanRequest.objects.get(patron=patrons[0])
    api(patrons[0]).post(f"/api/v1/loan-requests/{first.pk}/access")
    api(patrons[0]).post(f"/api/v1/loan-requests/{first.pk}/finish")
    staff = api(lending_staff)

    def ids(**params):
        return sorted(x["patron"] for x in staff.get("/api/v1/loan-requests", params).json()["items"])

    assert ids(activity="active") == ["p2", "p3", "p4"]
    assert ids(activity="inactive") == ["p1"]
    assert ids(step="in_grace_period") == ["p2"]
    assert ids(status="ready") == ["p3", "p4"]
    assert ids(source="staff_on_behalf") == ["p4"]
    assert ids(type="long_term_digital_loan", activity="active") == ["p2", "p3", "p4"]
    assert ids(type="digitization") == []
    item = next(x for x in staff.get("/api/v1/loan-requests", {"q": "p4"}).json()["items"])
    assert (item["creator"], item["user_group"], item["place_in_queue"]) == ("lender", "undergraduate", 2)


def test_staff_access_from_the_back_office_opens_it_at_once(api, clock, rep, lending_staff):
    body = api(lending_staff).post(f"/api/v1/representations/{rep.pk}/staff-access").json()
    assert (body["patron"], body["source"], body["step"]) == ("lender", "staff_access", "is_being_viewed")


def test_ldl3_staff_on_behalf_of_a_full_width_username_is_that_patron(api, rep, patrons, lending_staff):
    from tests.conftest import full_width

    r = api(lending_staff).post(f"/api/v1/representations/{rep.pk}/loan-requests", {"patron": full_width("p4")})
    assert r.status_code == 201, r.content
    assert (r.json()["patron"], r.json()["source"]) == ("p4", "staff_on_behalf")
