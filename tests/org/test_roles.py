"""ORG-3: role assignments scoped to institution, library or department."""
import pytest

from syllabus.core.errors import RuleViolation
from syllabus.org.roles import Role
from syllabus.org.services import assign_role
from tests.factories import LibraryFactory


def test_institution_scope_covers_every_library(make_user, library_a):
    u = make_user("op", roles=[Role.FULFILLMENT_SERVICES_OPERATOR])
    assert u.has_role(Role.FULFILLMENT_SERVICES_OPERATOR, library=library_a)
    assert not u.has_role(Role.FULFILLMENT_SERVICES_MANAGER, library=library_a)


def test_library_scope_covers_only_that_library(make_user, inst_a, library_a):
    other = LibraryFactory(institution=inst_a, code="lib-a2")
    u = make_user("op")
    assign_role(u, Role.WORK_ORDER_OPERATOR, library=library_a)
    assert u.has_role(Role.WORK_ORDER_OPERATOR, library=library_a)
    assert not u.has_role(Role.WORK_ORDER_OPERATOR, library=other)


def test_department_scope(make_user):
    u = make_user("op")
    assign_role(u, Role.WORK_ORDER_OPERATOR, department="DIGI_DEPT_INST")
    assert u.has_role(Role.WORK_ORDER_OPERATOR, department="DIGI_DEPT_INST")
    assert not u.has_role(Role.WORK_ORDER_OPERATOR, department="OTHER")


def test_a_role_cannot_be_scoped_to_another_institutions_library(make_user, library_b):
    with pytest.raises(RuleViolation):
        assign_role(make_user("op"), Role.WORK_ORDER_OPERATOR, library=library_b)


def test_me_lists_institution_group_and_roles(api, librarian):
    body = api(librarian).get("/api/v1/me").json()
    assert body["username"] == "librarian"
    assert body["institution"] == "inst-a"
    assert body["user_group"] == "staff"
    assert body["roles"] == [{"role": "course_reserves_operator", "scope": "institution", "library": None, "department": None}]
