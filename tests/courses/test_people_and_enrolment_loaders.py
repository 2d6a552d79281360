"""Issue 10 acceptance 1 (CRS-2, ORG-3): the people loader and the enrolment loader — 1,000 rows
with 5 bad ones load with the right summary, a second load changes nothing, ``--replace``
removes exactly the absent enrolments, and the enrolled student then sees the course's list."""
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from syllabus.core.models import AuditEntry
from syllabus.courses.models import Course, Enrollment
from syllabus.org.models import User
from tests.factories import CourseFactory

USERS_HEADER = "username,first_name,last_name,email,user_group,external_id,status,expiry_date\n"
ENROL_HEADER = "course_code,section,term,username,role\n"


def run(command, path, *extra, status=0, **kw) -> list[str]:
    """The command's report lines; ``status``: the exit status it must end with (0 all rows loaded,
    2 some rejected, 1 none loaded)."""
    out = io.StringIO()
    kw = {"institution": kw.pop("institution", "inst-a"), "stdout": out, **kw}
    if status:
        with pytest.raises(CommandError) as failed:
            call_command(command, str(path), *extra, **kw)
        assert failed.value.returncode == status
    else:
        call_command(command, str(path), *extra, **kw)
    return out.getvalue().strip().splitlines()


def users_file(tmp_path, n=995):
    rows = [f"s{i:04d},Student,Number {i},s{i:04d}@uni.edu,undergraduate,EXT{i},active,2027-06-30" for i in range(n - 5)]
    rows += [f"t{i},Teacher,{i},t{i}@uni.edu,faculty,,active," for i in range(5)]
    bad = [
        ",No,Username,x@uni.edu,undergraduate,,active,",                 # no username
        "bad name!,Bad,Username,y@uni.edu,undergraduate,,active,",      # characters
        "u-mail,Bad,Mail,not-an-email,undergraduate,,active,",           # email
        "u-group,Bad,Group,g@uni.edu,astronaut,,active,",                # unknown group
        "u-status,Bad,Status,s@uni.edu,undergraduate,,sleeping,",        # status
    ]
    path = tmp_path / "users.csv"
    path.write_text(USERS_HEADER + "\n".join(rows[:100] + bad + rows[100:]) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def courses(inst_a):
    return [CourseFactory(institution=inst_a, code=f"C{i}", name=f"Course {i}", section="01", term="2026S") for i in range(10)]


def test_the_people_loader_loads_1000_rows_with_5_bad_ones_and_reloads_nothing(tmp_path, inst_a, groups):
    path = users_file(tmp_path)
    lines = run("import_users", path, status=2)
    assert lines[-1] == "created 995, updated 0, unchanged 0, rejected 5"
    rejected = [x for x in lines if "rejected" in x and x.startswith("line")]
    assert rejected == [
        "line 102: rejected: no username",
        "line 103: rejected: bad username 'bad name!' (letters, digits and @ . + - _ only)",
        "line 104: rejected: bad email 'not-an-email'",
        "line 105: rejected: unknown user_group 'astronaut' (known: faculty, postgraduate, staff, undergraduate)",
        "line 106: rejected: bad status 'sleeping' (expected active or inactive)",
    ]
    s7 = User.objects.get(username="s0007")
    assert (s7.institution, s7.user_group.code, s7.external_id, str(s7.expiry_date), s7.is_active) == \
        (inst_a, "undergraduate", "EXT7", "2027-06-30", True)
    assert not s7.has_usable_password()
    assert AuditEntry.objects.filter(action="created", object_repr__contains="s0007").exists()
    assert run("import_users", path, status=2) == rejected + ["created 0, updated 0, unchanged 995, rejected 5"]


def test_the_people_loader_updates_what_changed_and_refuses_another_institutions_username(tmp_path, inst_a, inst_b, groups, make_user):
    make_user("alice", email="alice@old.edu")
    make_user("bob", institution=inst_b)
    path = tmp_path / "u.csv"
    path.write_text(USERS_HEADER + "alice,Alice,Smith,alice@uni.edu,postgraduate,A1,inactive,\nbob,Bob,B,b@uni.edu,,,active,\n")
    lines = run("import_users", path, status=2)
    assert lines == ["line 2: updated alice (email, external_id, first_name, is_active, last_name, user_group)",
                     "line 3: rejected: username bob belongs to another institution",
                     "created 0, updated 1, unchanged 0, rejected 1"]
    alice = User.objects.get(username="alice")
    assert not alice.is_active and alice.user_group.code == "postgraduate"
    change = AuditEntry.objects.get(action="updated", object_id=str(alice.pk))
    assert change.changes["email"] == ["alice@old.edu", "alice@uni.edu"]


def test_a_header_without_username_is_refused_whole(tmp_path, inst_a):
    path = tmp_path / "u.csv"
    path.write_text("login,email\nx,y@z.org\n")
    with pytest.raises(CommandError, match="ORG-3: the CSV header lacks the column"):
        run("import_users", path)
    assert not User.objects.filter(username="x").exists()


def test_the_enrolment_loader_1000_rows_5_bad_reload_and_replace(tmp_path, inst_a, groups, courses):
    run("import_users", users_file(tmp_path), status=2)
    rows = [f"C{i % 10},01,2026S,s{i:04d},student" for i in range(990)]
    rows += [f"C{i},01,2026S,t{i % 5},instructor" for i in range(5)]
    bad = [
        "C0,01,2026S,nobody,student",        # unknown user
        "NOPE,01,2026S,s0001,student",       # unknown course
        "C0,01,2026S,s0002,teacher",         # bad role
        "C0,01,2026S,s0000,student",         # duplicate of line 2
        ",01,2026S,s0003,student",           # no course code
    ]
    path = tmp_path / "enrol.csv"
    path.write_text(ENROL_HEADER + "\n".join(rows + bad) + "\n", encoding="utf-8")
    lines = run("import_enrolments", path, status=2)
    assert lines[-1] == "created 995, updated 0, unchanged 0, rejected 5"
    assert [x for x in lines if "rejected" in x and x.startswith("line")] == [
        "line 997: rejected: unknown user nobody",
        "line 998: rejected: unknown course NOPE-01 (2026S)",
        "line 999: rejected: bad role 'teacher' (expected student or instructor)",
        "line 1000: rejected: duplicate of line 2 (same course and person)",
        "line 1001: rejected: no course_code",
    ]
    assert "line 2: created s0000 in C0-01 (2026S) as student" in lines
    assert Enrollment.objects.count() == 990
    assert Course.objects.get(code="C3").instructors.get().username == "t3"
    assert AuditEntry.objects.filter(action="enrolled").count() == 990
    assert run("import_enrolments", path, status=2)[-1] == "created 0, updated 0, unchanged 995, rejected 5"
    assert AuditEntry.objects.filter(action="enrolled").count() == 990

    # --replace: drop three students of C1 and the instructor of C2 from the file; C9 is not in it at all
    kept = [r for r in rows if r not in ("C1,01,2026S,s0001,student", "C1,01,2026S,s0011,student",
                                         "C1,01,2026S,s0021,student", "C2,01,2026S,t2,instructor",
                                         "C1,01,2026S,s0031,student")
            and not r.startswith("C9,")]
    kept.append("C1,01,2026S,s0031,instructor")  # a role change
    path.write_text(ENROL_HEADER + "\n".join(kept + bad) + "\n", encoding="utf-8")
    lines = run("import_enrolments", path, "--replace", status=2)
    assert lines[-1] == "created 0, updated 1, unchanged 891, rejected 5, removed 4"
    assert sorted(x for x in lines if x.startswith("removed")) == [
        "removed s0001 (student) from C1-01 (2026S)", "removed s0011 (student) from C1-01 (2026S)",
        "removed s0021 (student) from C1-01 (2026S)", "removed t2 (instructor) from C2-01 (2026S)"]
    c1 = Course.objects.get(code="C1")
    assert not Enrollment.objects.filter(course=c1, user__username__in=["s0001", "s0011", "s0021", "s0031"]).exists()
    assert c1.instructors.filter(username="s0031").exists()
    assert Enrollment.objects.filter(course__code="C9").count() == 99  # not in the file: untouched
    assert not Course.objects.get(code="C2").instructors.exists()
    assert AuditEntry.objects.filter(action="unenrolled").count() == 3


def test_replace_never_removes_a_person_whose_row_was_rejected(tmp_path, inst_a, course, student):
    path = tmp_path / "e.csv"
    path.write_text(ENROL_HEADER + "HIST101,01,2026S,instructor,instructor\nHIST101,01,2026S,student,studnet\n")
    lines = run("import_enrolments", path, "--replace", status=2)
    assert lines[-1] == "created 0, updated 0, unchanged 1, rejected 1, removed 0"
    assert Enrollment.objects.filter(course=course, user=student).exists()


def test_the_enrolled_student_then_sees_the_published_list(tmp_path, client, inst_a, groups, instructor):
    from syllabus.lists import services as lists

    course = CourseFactory(institution=inst_a, code="GEO1", name="Geography", section="", term="2026S")
    course.instructors.add(instructor)
    lst = lists.create_list(instructor, title="Geography readings", courses=[course])
    lists.publish_list(instructor, lst)
    (tmp_path / "u.csv").write_text(USERS_HEADER + "newbie,New,Student,newbie@uni.edu,undergraduate,,active,\n")
    (tmp_path / "e.csv").write_text(ENROL_HEADER + "GEO1,,2026S,newbie,student\n")
    run("import_users", tmp_path / "u.csv")
    newbie = User.objects.get(username="newbie")
    client.force_login(newbie)
    assert client.get(f"/lists/{lst.pk}/").status_code == 404
    run("import_enrolments", tmp_path / "e.csv")
    page = client.get(f"/lists/{lst.pk}/")
    assert page.status_code == 200 and b"Geography readings" in page.content
