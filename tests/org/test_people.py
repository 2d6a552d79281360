"""LMS-3 / LMS-1: one service matches, creates (just in time) and updates people who arrive from an
identity source (SSO, LTI); inactive and expired people are refused, a refusal writes nothing."""
import datetime as dt

import pytest

from syllabus.core.errors import PermissionDenied, RuleViolation
from syllabus.org.models import User
from syllabus.org.roles import Role
from syllabus.org.services import PersonDetails, provision_person


def test_first_arrival_creates_the_person_with_group_and_no_password(inst_a, groups):
    user, created = provision_person(inst_a, PersonDetails("ada", "Ada", "Lovelace", "ada@a.edu", "faculty"), source="sso:test")
    assert created and user.institution == inst_a and user.user_group.code == "faculty"
    assert (user.first_name, user.last_name, user.email) == ("Ada", "Lovelace", "ada@a.edu")
    assert not user.has_usable_password()


def test_a_later_arrival_updates_what_the_source_says_and_keeps_the_rest(inst_a, groups, make_user):
    make_user("ada", first_name="Ada", last_name="Byron", phone="123")
    user, created = provision_person(inst_a, PersonDetails("ada", last_name="Lovelace", user_group="staff"), source="sso:test")
    assert not created
    user.refresh_from_db()
    assert (user.first_name, user.last_name, user.phone, user.user_group.code) == ("Ada", "Lovelace", "123", "staff")
    from syllabus.core import audit

    assert any(e.changes.get("last_name") == ["Byron", "Lovelace"] for e in audit.trail(user))


def test_roles_from_the_source_are_granted_with_institution_scope(inst_a, groups):
    user, _ = provision_person(inst_a, PersonDetails("lib", roles=(Role.COURSE_RESERVES_OPERATOR, "not-a-role")), source="sso:test")
    assert user.has_role(Role.COURSE_RESERVES_OPERATOR)


def test_existing_people_only_refuses_an_unknown_person_and_creates_nothing(inst_a, groups):
    with pytest.raises(PermissionDenied, match="LMS-3: inst-a signs in existing people only"):
        provision_person(inst_a, PersonDetails("stranger"), create=False, source="sso:test")
    assert not User.objects.filter(username="stranger").exists()


def test_inactive_and_expired_people_are_refused(inst_a, groups, make_user, clock):
    make_user("gone", is_active=False)
    make_user("old", expiry_date=dt.date(2026, 3, 1))
    make_user("lastday", expiry_date=dt.date(2026, 3, 2))
    with pytest.raises(PermissionDenied, match="LMS-3: the account 'gone' is inactive"):
        provision_person(inst_a, PersonDetails("gone", first_name="Changed"), source="sso:test")
    with pytest.raises(PermissionDenied, match="expired on 2026-03-01"):
        provision_person(inst_a, PersonDetails("old"), source="sso:test")
    assert User.objects.get(username="gone").first_name != "Changed"
    assert provision_person(inst_a, PersonDetails("lastday"), source="sso:test")[0].username == "lastday"


def test_a_username_of_another_institution_is_refused(inst_a, inst_b, groups, make_user):
    make_user("shared", institution=inst_b)
    with pytest.raises(PermissionDenied, match="belongs to another institution"):
        provision_person(inst_a, PersonDetails("shared", first_name="X"), source="sso:test")


@pytest.mark.parametrize("username", ["", "   ", "x" * 151])
def test_an_empty_or_overlong_username_is_refused(inst_a, username):
    with pytest.raises(RuleViolation, match="LMS-3"):
        provision_person(inst_a, PersonDetails(username), source="sso:test")


def test_an_unknown_group_code_leaves_the_group_alone(inst_a, groups, make_user):
    make_user("ada", group="faculty")
    user, _ = provision_person(inst_a, PersonDetails("ada", user_group="nope"), source="sso:test")
    assert user.user_group.code == "faculty"


def test_an_expired_person_can_no_longer_sign_in_locally(client, make_user, clock):
    make_user("old", expiry_date=dt.date(2026, 3, 1))
    make_user("fine", expiry_date=dt.date(2026, 3, 2))
    assert not client.login(username="old", password="pw")
    assert client.login(username="fine", password="pw")
    clock.advance(dt.timedelta(days=1))
    assert client.get("/").status_code == 302  # the open session ends when the day passes
