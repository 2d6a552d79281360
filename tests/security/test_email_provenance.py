"""Attack class: account takeover through an e-mail address (LMS-1, LMS-3; session 16).  An address
matches a person (an LMS launch, an instructor typed by address, the course loader) only when the
source that wrote it vouches for it (``User.email_verified``).  One service decides that flag
(``syllabus.org.services.email_values``) for every way an address is written; an address an
administrator *changes* in the Django admin is typed, not verified: it gets letters, it matches
nobody."""
from __future__ import annotations

import ast
import io
from pathlib import Path

import pytest

from syllabus.core.models import AuditEntry
from syllabus.lti.models import Platform
from syllabus.lti.services import person_for
from tests.org.test_admin_scope import _user_form

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2] / "syllabus"


@pytest.fixture
def platform(inst_a):
    return Platform.objects.create(institution=inst_a, issuer="https://lms.uni.example", client_id="c",
                                   auth_login_url="https://lms.uni.example/auth",
                                   auth_token_url="https://lms.uni.example/token", keyset_url="https://lms.uni.example/keys")


def test_an_address_changed_in_the_admin_is_not_verified_and_matches_no_lms_launch(client, admin_user, make_user, platform):
    """Before: the student's verified flag (from the people file) stayed on whatever address an
    administrator typed over it — a mistyped or social-engineered "please change my address to
    prof@…" then handed the professor's first LMS launch to the student.  Now the changed address is
    unverified (shown read-only in the admin, in the audit trail) and the launch creates the
    professor's own account; the student still gets letters at it."""
    student = make_user("stu", email="stu@uni.example")
    assert student.email_verified
    client.force_login(admin_user)
    assert 'email_verified' in client.get(f"/admin/org/user/{student.pk}/change/").content.decode()
    response = client.post(f"/admin/org/user/{student.pk}/change/", _user_form(student, email="prof@uni.example"))
    assert response.status_code == 302, response.content[:2000]
    student.refresh_from_db()
    assert student.email == "prof@uni.example" and not student.email_verified
    assert AuditEntry.objects.filter(object_id=str(student.pk), changes__email_verified=[True, False]).exists()
    professor, created = person_for(platform, {"sub": "lms-prof", "email": "prof@uni.example"})
    assert created and professor != student


def test_an_admin_edit_that_leaves_the_address_alone_keeps_its_flag(client, admin_user, make_user, platform):
    """Changing someone's name (or only the case of their address) takes nothing away."""
    student = make_user("stu", email="stu@uni.example")
    client.force_login(admin_user)
    assert client.post(f"/admin/org/user/{student.pk}/change/",
                       _user_form(student, first_name="Stella", email="Stu@uni.example")).status_code == 302
    student.refresh_from_db()
    assert student.first_name == "Stella" and student.email_verified
    assert person_for(platform, {"sub": "lms-stu", "email": "stu@uni.example"}) == (student, False)


def test_a_verifying_source_repeating_an_address_keeps_it_verified_and_a_new_one_from_it_is_verified(make_user, inst_a):
    """The people file vouches for a changed address; the person typing the same address again, or a
    provider that does not verify sending it, takes nothing away (one rule, ``email_values``)."""
    from syllabus.notify.services import update_contact
    from syllabus.org.services import PersonDetails, import_users, provision_person

    ada = make_user("ada", email="ada@uni.example")
    update_contact(ada, ada, email="ADA@uni.example")
    ada.refresh_from_db()
    assert ada.email_verified
    provision_person(inst_a, PersonDetails(username="ada", email="ada@uni.example", email_verified=False), source="sso:x")
    ada.refresh_from_db()
    assert ada.email_verified
    provision_person(inst_a, PersonDetails(username="ada", email="lovelace@uni.example", email_verified=False), source="sso:x")
    ada.refresh_from_db()
    assert (ada.email, ada.email_verified) == ("lovelace@uni.example", False)
    import_users(io.StringIO("username,email\nada,lovelace@uni.example\n"), inst_a)
    ada.refresh_from_db()
    assert ada.email_verified


def test_the_course_loader_matches_instructors_by_verified_addresses_only(make_user, inst_a):
    """Before: the course file's ``instructors`` matched any stored address, so a student who typed a
    professor's address in their contact details became the instructor of the professor's courses."""
    from syllabus.courses.models import Course
    from syllabus.courses.services import import_courses
    from syllabus.notify.services import update_contact

    student = make_user("stu", email="stu@uni.example")
    update_contact(student, student, email="prof@uni.example")
    header = "code,name,section,department,term,start_date,end_date,number_of_students,instructors\n"
    report = import_courses(header + "HIST101,Modern History,01,History,2026S,,,10,prof@uni.example\n", inst_a)
    assert len(report.rejected) == 1 and "unknown instructor prof@uni.example" in " ".join(report.lines)
    assert not Course.objects.filter(code="HIST101").exists()
    professor = make_user("prof", email="prof@uni.example")
    import_courses(header + "HIST101,Modern History,01,History,2026S,,,10,prof@uni.example\n", inst_a)
    assert list(Course.objects.get(code="HIST101").instructors.all()) == [professor]


# --- guard: one service writes a person's address -------------------------------------------------

WRITERS = {"create", "get_or_create", "update_or_create", "update", "User", "dict", "bulk_create"}


def _writes(path: Path) -> list[str]:
    """Places that write ``email``/``email_verified`` onto a person without ``email_values``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            for keyword in node.keywords:
                if keyword.arg in ("email", "email_verified") and name in WRITERS:
                    found.append(f"{path.relative_to(ROOT.parent)}:{node.lineno} {name}({keyword.arg}=…)")
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Attribute) and target.attr in ("email", "email_verified") \
                        and "email_values(" not in ast.unparse(node.value):
                    found.append(f"{path.relative_to(ROOT.parent)}:{node.lineno} .{target.attr} = …")
    return found


def test_every_write_of_a_persons_address_goes_through_email_values():
    """Before: the admin, the LMS's new accounts and the demo wrote ``email`` themselves, each with
    its own idea of the verified flag (or none).  A new place that does fails here."""
    offenders = [hit for path in sorted(ROOT.rglob("*.py")) if "migrations" not in path.parts
                 and path != ROOT / "org" / "services.py" for hit in _writes(path)]
    assert offenders == [], "write the address through syllabus.org.services.email_values: " + ", ".join(offenders)
