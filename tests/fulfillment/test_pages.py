"""Pages of digitization for every role: anonymous → sign-in, wrong role → 403 with the rule,
not visible → 404, and the htmx actions return the updated panel."""
import pytest
from django.urls import reverse

from syllabus.fulfillment import services
from syllabus.fulfillment.models import DigitizationRequest, DisplayLogicRule, PatronLimit, Status
from syllabus.org.roles import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def req(patron_request):
    return patron_request(chapters="1-2")


@pytest.mark.parametrize("path", ["/services/", "/services/work/", "/services/configuration/", "/services/requests/1/",
                                  "/services/records/1/", "/services/requests/1/file/", "/services/d/abc/"])
def test_anonymous_is_sent_to_sign_in(client, db, path):
    r = client.get(path)
    assert r.status_code == 302 and r.url.startswith("/login/")


def test_patron_requests_from_the_record_page(client, student, record, edd_all):
    client.force_login(student)
    r = client.get(f"/services/records/{record.pk}/")
    assert r.status_code == 200 and b"Middlemarch" in r.content and b'name="page_from"' in r.content
    r = client.post(f"/services/records/{record.pk}/", {"service": "digitization", "chapters": "3", "page_from": ["5", ""],
                                                         "page_to": ["9", ""], "note": ["please", "", ""],
                                                         "include_images": "on", "start_date": "", "end_date": ""})
    req = DigitizationRequest.objects.get()
    assert r.status_code == 302 and r.url == f"/services/requests/{req.pk}/"
    assert req.page_ranges == [{"from": 5, "to": 9}] and req.notes == ["please"] and req.include_images
    page = client.get(r.url)
    assert b'data-testid="request-status"' in page.content and b"Pick from shelf" in page.content
    assert b"Middlemarch" in client.get("/services/").content


def test_record_page_shows_the_rule_that_refused(client, student, record, edd_all, groups, fadmin):
    services.set_patron_limit(fadmin, groups["undergraduate"], 0)
    client.force_login(student)
    r = client.post(f"/services/records/{record.pk}/", {"service": "digitization"})
    assert r.status_code == 403 and b"DIG-7" in r.content and b'role="alert"' in r.content
    r = client.post(f"/services/records/{record.pk}/", {"service": "digitization", "page_from": "9", "page_to": "2"})
    assert r.status_code == 400 and b"page range 1 is reversed" in r.content


def test_hidden_fields_are_not_on_the_form_and_hidden_services_not_offered(client, student, record, fadmin, inst_a):
    services.save_form_field(fadmin, inst_a, "pages", display=False)
    DisplayLogicRule.objects.create(institution=inst_a, service="digitization", condition="always")
    client.force_login(student)
    r = client.get(f"/services/records/{record.pk}/")
    assert b'name="page_from"' not in r.content and b"hidden by display logic" in r.content


def test_record_of_another_institution_is_404(client, record, inst_b, make_user):
    client.force_login(make_user("outsider", institution=inst_b))
    assert client.get(f"/services/records/{record.pk}/").status_code == 404


def test_request_page_404_for_others_and_no_staff_actions_for_the_requester(client, req, student, make_user):
    client.force_login(make_user("other"))
    assert client.get(f"/services/requests/{req.pk}/").status_code == 404
    client.force_login(student)
    r = client.get(f"/services/requests/{req.pk}/")
    assert r.status_code == 200 and b"Picked from shelf" not in r.content and b"Cancel request" in r.content
    assert b'id="history-h"' not in r.content


def test_wrong_role_on_a_page_action_gets_403_with_the_rule(client, req, manager):
    client.force_login(manager)
    r = client.post(f"/services/requests/{req.pk}/pick/", HTTP_HX_REQUEST="true")
    assert r.status_code == 403 and b"DIG-10" in r.content and b"<html" not in r.content


def test_operator_works_the_request_through_htmx_panels(client, req, operator, scan, student):
    client.force_login(operator)
    r = client.get(f"/services/requests/{req.pk}/")
    assert b"Picked from shelf" in r.content and b'id="history-h"' in r.content
    r = client.post(f"/services/requests/{req.pk}/pick/", HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and b"In digitization" in r.content and b"<html" not in r.content
    r = client.post(f"/services/requests/{req.pk}/attach-file/", {"file": scan()}, HTTP_HX_REQUEST="true")
    assert b"File attached" in r.content and b'data-testid="file-link"' in r.content
    r = client.post(f"/services/requests/{req.pk}/deliver/", HTTP_HX_REQUEST="true")
    assert b"Delivered" in r.content
    r = client.post(f"/services/requests/{req.pk}/complete/")
    assert r.status_code == 302
    req.refresh_from_db()
    assert req.status == Status.COMPLETED


def test_work_queue_for_staff_only_with_tabs(client, req, operator, student):
    client.force_login(student)
    r = client.get("/services/work/")
    assert r.status_code == 403 and b"DIG-10" in r.content
    client.force_login(operator)
    r = client.get("/services/work/", {"tab": "pick"})
    assert r.status_code == 200 and b"Middlemarch" in r.content and b"B0001" in r.content
    r = client.get("/services/work/", {"tab": "closed"}, HTTP_HX_REQUEST="true")
    assert b"Middlemarch" not in r.content and b"<html" not in r.content


def test_configuration_page_for_fulfillment_administrators(client, fadmin, operator, groups):
    client.force_login(operator)
    r = client.get("/services/configuration/")
    assert r.status_code == 403 and b"DIG-6" in r.content
    client.force_login(fadmin)
    r = client.get("/services/configuration/")
    assert r.status_code == 200 and b"DIGI_DEPT_INST" in r.content and b"Default Digitization Rule" in r.content
    r = client.post("/services/configuration/", {"section": "limits", "limit_undergraduate": "2", "limit_faculty": "",
                                                  "limit_postgraduate": "0", "limit_staff": ""})
    assert r.status_code == 302
    limits = {pl.user_group.code: pl.max_digitization_requests for pl in PatronLimit.objects.select_related("user_group")}
    assert limits == {"undergraduate": 2, "faculty": None, "postgraduate": 0, "staff": None}
    r = client.post("/services/configuration/", {"section": "rules", "name": "Links", "target": "link", "approval_mode": "blocking"})
    assert r.status_code == 400 and b"maximum number of accesses" in r.content
    r = client.post("/services/configuration/", {"section": "operators", "department": operator.digitization_departments.get().pk,
                                                  "username": "fadmin"})
    assert r.status_code == 302 and fadmin.digitization_departments.exists()


def test_back_office_navigation(client, operator, fadmin, student):
    client.force_login(operator)
    assert b"/services/work/" in client.get("/").content
    assert b"/services/configuration/" not in client.get("/").content
    client.force_login(fadmin)
    assert b"/services/configuration/" in client.get("/").content
    client.force_login(student)
    home = client.get("/").content
    assert b"/services/work/" not in home and b"/services/" in home


def test_demo_data_has_requests_in_several_states(db):
    import io

    from syllabus.fulfillment import demo
    from syllabus.org import demo as org_demo

    out = io.StringIO()
    org_demo.load(out)  # the organisation only: the full demo (with lists) is loaded by tests/core
    demo.load(out)
    states = set(DigitizationRequest.objects.values_list("status", flat=True))
    assert states == {Status.PENDING_APPROVAL, Status.IN_DIGITIZATION, Status.DELIVERED}
    demo.load(out)  # idempotent
    assert DigitizationRequest.objects.count() == 3


def test_work_queue_and_my_requests_cost_the_same_queries_for_2_or_10_requests(
        client, operator, student, record, edd_all):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count(url, user, n):
        while DigitizationRequest.objects.count() < n:
            services.request_from_record(student, record, {})
        client.force_login(user)
        client.get(url)  # warm the per-process caches (institution time zone, settings) first
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx)

    for url, user in (("/services/work/", operator), ("/services/", student)):
        DigitizationRequest.objects.all().delete()
        few = count(url, user, 2)
        many = count(url, user, 10)
        assert many == few, (url, few, many)


def test_configuration_page_adds_and_changes_a_department(client, fadmin, library_a, dept):
    client.force_login(fadmin)
    r = client.post("/services/configuration/", {"section": "departments", "code": "A1", "name": "A1 scanning",
                                                  "library": "lib-a1", "work_time_days": "4"})
    assert r.status_code == 302
    a1 = dept.__class__.objects.get(code="A1")
    assert a1.level == "library" and list(a1.served_libraries.values_list("code", flat=True)) == ["lib-a1"]
    r = client.post("/services/configuration/", {"section": "departments", "code": "DIGI_DEPT_INST", "name": "Scanning",
                                                  "work_time_days": "7", "served_libraries": ["lib-a1"]})
    dept.refresh_from_db()
    assert r.status_code == 302 and dept.work_time_days == 7 and dept.name == "Scanning"
    assert list(dept.served_libraries.values_list("code", flat=True)) == ["lib-a1"]


# --- the configuration pages cover what the API does (rules, EDD, display logic, operators) ------------

def _post(client, **data):
    r = client.post("/services/configuration/", data)
    assert r.status_code == 302, r.content.decode()[:2000]
    return r


def test_configuration_page_edits_rules_with_groups_and_libraries_and_switches_them(client, fadmin, inst_a, library_a, student):
    from syllabus.fulfillment.models import DigitizationRule, Source

    client.force_login(fadmin)
    _post(client, section="rules", name="Undergraduates at A1", position="2", sources=["patron"], user_groups=["undergraduate"],
          libraries=["lib-a1"], target="link", max_accesses="3", approval_mode="blocking", has_enabled="1", enabled="on")
    rule = DigitizationRule.objects.get(name="Undergraduates at A1")
    assert rule.user_groups == ["undergraduate"] and rule.libraries == ["lib-a1"] and rule.position == 2 and rule.enabled
    assert services.choose_rule(inst_a, source=Source.PATRON, user=student, library=library_a) == rule
    page = client.get("/services/configuration/").content.decode()
    assert f'id="rf{rule.pk}_libs"' in page and 'value="lib-a1" selected' in page  # the edit form is filled in
    import collections
    import re

    ids = collections.Counter(re.findall(r'\bid="([^"]+)"', page))
    assert not [i for i, n in ids.items() if n > 1]  # every label points at its own field
    # edit: another library, a new position, and switched off
    _post(client, section="rules", rule=rule.pk, name="Undergraduates", position="5", sources=["patron"],
          user_groups=["undergraduate", "postgraduate"], libraries=[], target="attachment", approval_mode="blocking",
          has_enabled="1")
    rule.refresh_from_db()
    assert (rule.name, rule.position, rule.user_groups, rule.libraries, rule.enabled) == (
        "Undergraduates", 5, ["undergraduate", "postgraduate"], [], False)
    assert services.choose_rule(inst_a, source=Source.PATRON, user=student, library=library_a).is_default
    _post(client, section="rule_enabled", rule=rule.pk, enabled="on")
    rule.refresh_from_db()
    assert rule.enabled and services.choose_rule(inst_a, source=Source.PATRON, user=student, library=library_a) == rule
    default = DigitizationRule.objects.get(institution=inst_a, is_default=True)
    _post(client, section="rules", rule=default.pk, target="inventory", approval_mode="parallel", copyright_required="on")
    default.refresh_from_db()
    assert default.target == "inventory" and default.copyright_required and default.enabled


def test_configuration_page_edits_and_switches_edd_and_display_rules(client, fadmin, inst_a, record, student):
    from syllabus.fulfillment.models import EddRule

    client.force_login(fadmin)
    _post(client, section="edd", name="Everyone", position="0", allowed="on")
    edd = EddRule.objects.get(name="Everyone")
    assert services.check_edd(student, inst_a) == edd
    _post(client, section="edd", rule=edd.pk, name="Students only", position="1", user_groups=["undergraduate"],
          has_enabled="1", enabled="on")  # "allowed" unticked
    edd.refresh_from_db()
    assert (edd.name, edd.position, edd.user_groups, edd.allowed, edd.enabled) == ("Students only", 1, ["undergraduate"], False, True)
    with pytest.raises(services.RuleViolation):
        services.check_edd(student, inst_a)
    _post(client, section="edd_enabled", rule=edd.pk, enabled="off")
    edd.refresh_from_db()
    assert not edd.enabled
    assert "(disabled)" in client.get("/services/configuration/").content.decode()

    _post(client, section="display", service="digitization", condition="always")
    rule = DisplayLogicRule.objects.get(institution=inst_a)
    assert not {s["service"]: s for s in services.services_for_record(student, record)}["digitization"]["available"]
    _post(client, section="display", rule=rule.pk, service="digitization", condition="full_text_available", has_active="1")
    rule.refresh_from_db()
    assert rule.condition == "full_text_available" and not rule.active
    assert {s["service"]: s for s in services.services_for_record(student, record)}["digitization"]["available"]
    assert DisplayLogicRule.objects.count() == 1


def test_configuration_page_removes_an_operator(client, fadmin, operator, dept):
    from syllabus.org.roles import Role

    client.force_login(fadmin)
    assert 'data-testid="remove-operator"' in client.get("/services/configuration/").content.decode()
    _post(client, section="operator_remove", department=dept.pk, username="operator")
    assert not dept.operators.exists()
    operator.__dict__.pop("_role_cache", None)
    assert not operator.has_role(Role.WORK_ORDER_OPERATOR, institution=dept.institution, department=dept.code)


def test_staff_who_may_take_no_step_are_told_why_there_are_no_buttons(client, req, make_user, student, operator):
    """Session 17 (the demo's ``admin``): a General System Administrator opens a request from the
    work queue; it has no buttons for them, and the page says whose steps they are."""
    gsa = make_user("gsa", group="staff", roles=[Role.GENERAL_SYSTEM_ADMINISTRATOR])
    client.force_login(gsa)
    page = client.get(reverse("fulfillment:request", args=[req.pk])).content.decode()
    assert 'data-testid="no-actions"' in page and 'id="actions-h"' not in page
    client.force_login(operator)  # who may act sees the buttons, not the note
    page = client.get(reverse("fulfillment:request", args=[req.pk])).content.decode()
    assert 'id="actions-h"' in page and 'data-testid="no-actions"' not in page
    client.force_login(student)  # the requester cancels it, and is not told about staff steps
    assert 'data-testid="no-actions"' not in client.get(reverse("fulfillment:request", args=[req.pk])).content.decode()
