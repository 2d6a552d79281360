"""Configuration (DIG-3, DIG-5, DIG-6..9, DIG-12) and routing."""
import pytest

from syllabus.fulfillment import services
from syllabus.fulfillment.models import DigitizationDepartment, DigitizationRule, Source, Status
from syllabus.org.models import Library
from syllabus.org.roles import Role
from tests.factories import InstitutionFactory

pytestmark = pytest.mark.django_db


def test_every_new_institution_gets_the_default_department_and_rule(consortium):
    inst = InstitutionFactory(consortium=consortium)
    dept = DigitizationDepartment.objects.get(institution=inst)
    assert (dept.code, dept.name, dept.level) == ("DIGI_DEPT_INST", "Digitization Department For Institution", "institution")
    assert DigitizationRule.objects.get(institution=inst).is_default


def test_data_migration_creates_the_default_for_existing_institutions(inst_a):
    import importlib

    from django.apps import apps

    DigitizationDepartment.objects.filter(institution=inst_a).delete()
    DigitizationRule.objects.filter(institution=inst_a).delete()
    importlib.import_module("syllabus.fulfillment.migrations.0002_default_departments").forwards(apps, None)
    assert DigitizationDepartment.objects.filter(institution=inst_a, code="DIGI_DEPT_INST").exists()
    assert DigitizationRule.objects.filter(institution=inst_a, is_default=True).exists()


def test_an_operator_gets_the_work_order_operator_role_scoped_to_the_department(fadmin, dept, make_user):
    user = make_user("scanner", group="staff")
    services.add_operator(fadmin, dept, user)
    assert user.has_role(Role.WORK_ORDER_OPERATOR, department="DIGI_DEPT_INST")
    assert not user.has_role(Role.WORK_ORDER_OPERATOR, department="OTHER")
    services.remove_operator(fadmin, dept, user)
    user.refresh_from_db()
    assert not user.has_role(Role.WORK_ORDER_OPERATOR, department="DIGI_DEPT_INST")


def test_routing_prefers_the_library_department_then_the_serving_department_then_the_desk(fadmin, inst_a, library_a, dept):
    science = Library.objects.create(institution=inst_a, code="sci", name="Science")
    assert services.route(inst_a, library_a) == (dept, None)  # DIGI_DEPT_INST serves the whole institution
    named = services.save_department(fadmin, inst_a, code="HUM", name="Humanities scanning", served_libraries=[library_a])
    assert services.route(inst_a, library_a) == (named, None)
    local = services.save_department(fadmin, inst_a, code="A1", name="A1 scanning", library=library_a)
    assert list(local.served_libraries.all()) == [library_a]
    assert services.route(inst_a, library_a) == (local, None)
    assert services.route(inst_a, science) == (dept, None)
    # nobody serves science any more: its desk supporting digitization takes it, else refused
    services.save_department(fadmin, inst_a, dept=dept, code=dept.code, served_libraries=[library_a])
    with pytest.raises(services.RuleViolation) as exc:
        services.route(inst_a, science)
    assert exc.value.rule == "DIG-6"
    services.save_desk(fadmin, science, code="D1", name="Science desk", supports_digitization=False, work_time_days=2)
    with pytest.raises(services.RuleViolation):
        services.route(inst_a, science)
    desk = services.save_desk(fadmin, science, code="D1", name="Science desk", supports_digitization=True, work_time_days=2)
    assert services.route(inst_a, science) == (None, desk)


def test_desk_operator_works_the_desk_requests(fadmin, inst_a, library_a, dept, record, edd_all, student, make_user, scan):
    from syllabus.org.services import assign_role

    services.save_department(fadmin, inst_a, dept=dept, code=dept.code,
                             served_libraries=[Library.objects.create(institution=inst_a, code="x", name="X")])
    services.save_desk(fadmin, library_a, code="CIRC", name="Circulation", supports_digitization=True, work_time_days=3)
    req = services.request_from_record(student, record, {})
    desk_op = make_user("deskop", group="staff")
    assign_role(desk_op, Role.WORK_ORDER_OPERATOR, library=library_a)
    assert services.pick(desk_op, req).status == Status.IN_DIGITIZATION


def test_rules_are_ordered_disabled_ones_skipped_and_the_default_ends_the_list(fadmin, inst_a, student, instructor, library_a):
    first = services.save_digitization_rule(fadmin, inst_a, name="Course requests", position=1, sources=["course"],
                                            target="inventory")
    services.save_digitization_rule(fadmin, inst_a, name="Undergraduates by link", position=2, user_groups=["undergraduate"],
                                    target="link", max_accesses=3, enabled=False)
    assert services.choose_rule(inst_a, source=Source.COURSE, user=instructor, library=library_a) == first
    default = services.choose_rule(inst_a, source=Source.PATRON, user=student, library=library_a)
    assert default.is_default
    rule = DigitizationRule.objects.get(name="Undergraduates by link")
    services.save_digitization_rule(fadmin, inst_a, rule=rule, enabled=True)
    assert services.choose_rule(inst_a, source=Source.PATRON, user=student, library=library_a) == rule
    assert [r.name for r in DigitizationRule.objects.filter(institution=inst_a)][-1] == "Default Digitization Rule"


def test_rule_validation(fadmin, inst_a):
    with pytest.raises(services.RuleViolation, match="maximum number of accesses"):
        services.save_digitization_rule(fadmin, inst_a, name="x", target="link")
    default = DigitizationRule.objects.get(institution=inst_a, is_default=True)
    with pytest.raises(services.RuleViolation, match="default rule cannot be disabled"):
        services.save_digitization_rule(fadmin, inst_a, rule=default, enabled=False)


def test_display_logic_hides_a_service_under_its_condition(fadmin, inst_a, record, bare_record, student):
    offered = {s["service"]: s["available"] for s in services.services_for_record(student, record)}
    assert offered == {"digitization": True, "general_digitization": False}  # items without description
    offered = {s["service"]: s["available"] for s in services.services_for_record(student, bare_record)}
    assert offered == {"digitization": True, "general_digitization": True}  # no items
    services.save_display_rule(fadmin, inst_a, service="digitization", condition="item_requestable")
    hidden = {s["service"]: s for s in services.services_for_record(student, record)}["digitization"]
    assert not hidden["available"] and "display logic" in hidden["reason"]
    with pytest.raises(services.RuleViolation) as exc:
        services.request_from_record(student, record, {})
    assert exc.value.rule == "DIG-5"
    services.save_display_rule(fadmin, inst_a, service="general_digitization", condition="always")
    offered = {s["service"]: s["available"] for s in services.services_for_record(student, bare_record)}
    assert offered == {"digitization": True, "general_digitization": False}


def test_items_with_descriptions_need_an_item_level_request(record, student, edd_all):
    record.items.update(description="v.2")
    offered = {s["service"]: s["available"] for s in services.services_for_record(student, record)}
    assert offered["digitization"] is False
    req = services.request_from_record(student, record, {}, item=record.items.get())
    assert req.item.description == "v.2" and req.status == Status.PICK_FROM_SHELF


@pytest.mark.parametrize("described", [False, True])
def test_display_logic_hides_the_service_for_an_item_level_request_too(api, fadmin, inst_a, record, student, edd_all, described):
    if described:
        record.items.update(description="v.2")
    item = record.items.get()
    services.save_display_rule(fadmin, inst_a, service="digitization", condition="always")
    r = api(student).post("/api/v1/digitization-requests", {"record_id": record.pk})
    assert r.status_code == 400 and r.json()["rule"] == "DIG-5"
    r = api(student).post("/api/v1/digitization-requests", {"record_id": record.pk, "item_id": item.pk})
    assert r.status_code == 400 and r.json()["rule"] == "DIG-5" and "display logic" in r.json()["detail"]
    with pytest.raises(services.RuleViolation) as exc:
        services.request_from_record(student, record, {}, item=item)
    assert exc.value.rule == "DIG-5"


def test_general_digitization_without_items_goes_to_the_institution_department(bare_record, student, edd_all, dept):
    req = services.request_from_record(student, bare_record, {"chapters": "all"}, service="general_digitization")
    assert req.department == dept and req.item is None and req.status == Status.IN_DIGITIZATION


def test_hidden_form_fields_take_their_default(fadmin, inst_a, record, student, edd_all, api):
    services.save_form_field(fadmin, inst_a, "include_images", display=False, default="true")
    services.save_form_field(fadmin, inst_a, "notes", display=False, default="For personal study")
    services.save_form_field(fadmin, inst_a, "chapters", display=True, default="")
    req = services.request_from_record(student, record, {"include_images": False, "notes": ["ignored"], "chapters": "2"})
    assert req.include_images is True and req.notes == ["For personal study"] and req.chapters == "2"
    conf = api(student).get(f"/api/v1/records/{record.pk}/digitization-services").json()["form"]
    assert conf["include_images"] == {"display": False, "default": "true"}
    with pytest.raises(services.RuleViolation):
        services.save_form_field(fadmin, inst_a, "favourite_colour", display=True)


def test_copyright_option_maps_to_a_status_that_decides_the_clearance_form(fadmin, inst_a):
    services.save_copyright_option(fadmin, inst_a, code="fair", label="Fair use", copyright_status="fair_use")
    services.save_copyright_option(fadmin, inst_a, code="excerpt", label="Excerpt under licence", copyright_status="waiting")
    services.save_copyright_option(fadmin, inst_a, code="cc", label="Creative Commons", copyright_status="creative_commons")
    assert services.clearance_required_for_option(inst_a, "fair") is False
    assert services.clearance_required_for_option(inst_a, "excerpt") is True
    # DIG-2 forbids a clearance request on Creative Commons, so it cannot need the form either
    assert services.clearance_required_for_option(inst_a, "cc") is False
    with pytest.raises(services.RuleViolation):
        services.clearance_required_for_option(inst_a, "nope")


def test_config_changes_are_in_the_audit_trail(fadmin, inst_a, dept):
    from syllabus.core import audit

    services.save_department(fadmin, inst_a, dept=dept, code=dept.code, work_time_days=9)
    entry = audit.trail(dept).first()
    assert entry.actor == fadmin and entry.changes == {"work_time_days": [5, 9]}


def test_department_api(api, fadmin, library_a, make_user):
    make_user("scanner", group="staff")
    client = api(fadmin)
    r = client.post("/api/v1/digitization/departments", {"code": "A1", "name": "A1 scanning", "library": "lib-a1",
                                                         "work_time_days": 4})
    assert r.status_code == 201 and r.json()["served_libraries"] == ["lib-a1"] and r.json()["level"] == "library"
    from tests.conftest import full_width

    dept_id = r.json()["id"]
    r = client.post(f"/api/v1/digitization/departments/{dept_id}/operators", {"username": full_width("scanner")})  # NFKC
    assert r.json()["operators"] == ["scanner"]
    assert client.delete(f"/api/v1/digitization/departments/{dept_id}/operators/{full_width('scanner')}").json()["operators"] == []
    client.post(f"/api/v1/digitization/departments/{dept_id}/operators", {"username": "scanner"})
    assert client.post("/api/v1/digitization/departments", {"code": "A1", "name": "again"}).status_code == 409
    assert {d["code"] for d in client.get("/api/v1/digitization/departments").json()["items"]} == {"A1", "DIGI_DEPT_INST"}


def test_an_inactive_default_department_lets_the_work_go_to_the_circulation_desk(api, client, fadmin, inst_a, library_a,
                                                                                  dept, record, edd_all, student):
    desk = services.save_desk(fadmin, library_a, code="CIRC", name="Circulation", supports_digitization=True, work_time_days=3)
    assert services.request_from_record(student, record, {}).department == dept  # whole institution: the desk never gets work
    services.save_department(fadmin, inst_a, dept=dept, code=dept.code, served_libraries=[])  # saving it empty = all again
    assert services.route(inst_a, library_a) == (dept, None)
    r = api(fadmin).patch(f"/api/v1/digitization/departments/{dept.pk}", {"active": False})
    assert r.status_code == 200 and r.json()["active"] is False
    req = services.request_from_record(student, record, {})
    assert req.department is None and req.desk == desk
    # the configuration page switches it too
    client.force_login(fadmin)
    r = client.post("/services/configuration/", {"section": "department_active", "department": dept.pk, "active": "on"})
    assert r.status_code == 302
    dept.refresh_from_db()
    assert dept.active and services.route(inst_a, library_a) == (dept, None)
    client.post("/services/configuration/", {"section": "department_active", "department": dept.pk, "active": "off"})
    page = client.get("/services/configuration/").content.decode()
    assert "Inactive: requests go to the circulation desks" in page
    assert services.route(inst_a, library_a) == (None, desk)
    # no department and no desk: general digitization (no item) is refused by name
    with pytest.raises(services.RuleViolation) as exc:
        services.route(inst_a, None)
    assert exc.value.rule == "DIG-6"
