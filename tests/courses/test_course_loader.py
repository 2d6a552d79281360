"""CRS-2: the CSV course loader."""
import io

import pytest
from django.core.management import CommandError, call_command

from syllabus.core.errors import RuleViolation
from syllabus.courses.models import Course
from syllabus.courses.services import import_courses

HEADER = "code,name,section,department,term,start_date,end_date,number_of_students,instructors\n"


@pytest.fixture
def people(make_user):
    make_user("irene", group="faculty", email="irene@uni.edu")
    make_user("paul", group="faculty", email="paul@uni.edu")


def run_command(path, institution="inst-a", *, exit_status=0) -> list[str]:
    out = io.StringIO()
    if exit_status:
        with pytest.raises(CommandError) as refused:
            call_command("import_courses", str(path), institution=institution, stdout=out)
        assert refused.value.returncode == exit_status
    else:
        call_command("import_courses", str(path), institution=institution, stdout=out)
    return out.getvalue().strip().splitlines()


def test_loading_twice_creates_nothing_the_second_time(tmp_path, inst_a, people):
    csv_file = tmp_path / "courses.csv"
    csv_file.write_text(
        HEADER
        + "HIST101,Modern History,01,History,2026S,2026-01-10,2026-05-01,120,irene\n"
        + "HIST101,Modern History,02,History,2026S,2026-01-10,2026-05-01,80,irene;paul@uni.edu\n"
        + "BIO200,Genetics,,Biology,2026S,,,0,\n",
        encoding="utf-8",
    )
    first = run_command(csv_file)
    assert first[-1] == "created 3, updated 0, unchanged 0, rejected 0"
    second = run_command(csv_file)
    assert second == ["created 0, updated 0, unchanged 3, rejected 0"]
    section2 = Course.objects.get(code="HIST101", section="02")
    assert sorted(u.username for u in section2.instructors.all()) == ["irene", "paul"]


def test_bad_rows_are_reported_by_line_and_the_rest_load(tmp_path, inst_a, people):
    csv_file = tmp_path / "courses.csv"
    csv_file.write_text(
        HEADER
        + "OK1,Fine course,01,Dept,2026S,2026-01-10,2026-05-01,10,irene\n"  # line 2
        + "BAD1,Bad date,01,Dept,2026S,2026-13-45,2026-05-01,10,irene\n"  # line 3
        + "BAD2,Unknown teacher,01,Dept,2026S,2026-01-10,2026-05-01,10,nobody\n"  # line 4
        + ",No code,01,Dept,2026S,2026-01-10,2026-05-01,10,irene\n"  # line 5
        + "OK2,Another fine course,01,Dept,2026S,,,0,\n",  # line 6
        encoding="utf-8",
    )
    lines = run_command(csv_file, exit_status=2)  # some rows rejected: a script sees it
    assert "line 3: rejected: bad start_date '2026-13-45' (expected YYYY-MM-DD)" in lines
    assert "line 4: rejected: unknown instructor nobody" in lines
    assert "line 5: rejected: no code" in lines
    assert lines[-1] == "created 2, updated 0, unchanged 0, rejected 3"
    assert set(Course.objects.values_list("code", flat=True)) == {"OK1", "OK2"}


def test_the_exit_status_says_whether_every_row_was_loaded(tmp_path, inst_a, people):
    """As import-marc: 0 all loaded, 2 some rows rejected, 1 none loaded (CRS-2; a nightly SIS job
    must notice a file whose every row was refused)."""
    csv_file = tmp_path / "courses.csv"
    csv_file.write_text(HEADER + "BAD1,Bad date,01,Dept,2026S,2026-13-45,,10,irene\n" + ",No code,01,Dept,2026S,,,0,\n",
                        encoding="utf-8")
    lines = run_command(csv_file, exit_status=1)
    assert lines[-1] == "created 0, updated 0, unchanged 0, rejected 2"
    assert not Course.objects.exists()


def test_changed_rows_are_updated_and_audited(inst_a, people):
    import_courses(HEADER + "HIST101,Modern History,01,History,2026S,,,10,irene\n", inst_a)
    report = import_courses(HEADER + "HIST101,Modern History II,01,History,2026S,,,12,irene;paul\n", inst_a)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 0)
    assert report.lines == ["line 2: updated HIST101-01 (2026S) (instructors, name, number_of_students)"]
    course = Course.objects.get(code="HIST101")
    assert course.name == "Modern History II"


def test_bom_quoted_fields_and_blank_lines(inst_a, people):
    text = "\ufeff" + HEADER + '\n"ENGL110","Reading, Writing and ""Thinking""",01,English,2026S,,,5,irene\n\n\n'
    report = import_courses(text.encode("utf-8"), inst_a)
    assert report.summary() == "created 1, updated 0, unchanged 0, rejected 0"
    assert Course.objects.get(code="ENGL110").name == 'Reading, Writing and "Thinking"'


def test_a_row_that_fails_in_the_database_leaves_nothing_half_loaded(inst_a, people):
    report = import_courses(HEADER + "X1,Backwards,01,D,2026S,2026-05-01,2026-01-01,5,irene\n", inst_a)
    assert len(report.rejected) == 1 and "end_date is before start_date" in report.lines[0]
    assert not Course.objects.exists()


def test_duplicate_rows_in_one_file_are_rejected(inst_a, people):
    report = import_courses(HEADER + "A1,One,01,D,T,,,1,\nA1,One again,01,D,T,,,1,\n", inst_a)
    assert report.summary() == "created 1, updated 0, unchanged 0, rejected 1"
    assert "line 3: rejected: duplicate of line 2" in report.lines[1]


def test_a_header_without_code_is_refused(inst_a):
    with pytest.raises(RuleViolation) as exc:
        import_courses("title,term\nA,B\n", inst_a)
    assert exc.value.rule == "CRS-2"


def test_values_the_database_cannot_hold_are_rejected_and_the_rest_load(inst_a, people):
    """On PostgreSQL an over-long code or a huge number used to stop the loader mid-file."""
    long_code = "X" * 80
    report = import_courses(
        HEADER
        + "OK1,First,,,2026S,,,10,\n"
        + f"{long_code},Too long,,,2026S,,,10,\n"
        + "BIG1,Too many students,,,2026S,,,99999999999,\n"
        + "OK2,Second,,,2026S,,,10,\n",
        inst_a,
    )
    assert report.summary() == "created 2, updated 0, unchanged 0, rejected 2"
    assert "line 3: rejected: code is longer than 60 characters" in report.lines
    assert any(line.startswith("line 4: rejected: number of students cannot exceed") for line in report.lines)
    assert sorted(Course.objects.values_list("code", flat=True)) == ["OK1", "OK2"]


def test_a_file_without_the_optional_columns_leaves_them_as_they_are(inst_a, people):
    import_courses(HEADER + "HIST101,Modern History,01,History,2026S,2026-01-10,2026-05-01,120,irene\n", inst_a)
    report = import_courses("code,name,section,term\nHIST101,Modern European History,01,2026S\n", inst_a)
    assert report.summary() == "created 0, updated 1, unchanged 0, rejected 0"
    course = Course.objects.get(code="HIST101")
    assert course.name == "Modern European History"
    assert (course.department, str(course.start_date), course.number_of_students) == ("History", "2026-01-10", 120)
    assert [u.username for u in course.instructors.all()] == ["irene"], "the instructor keeps the course"


def test_a_row_the_database_refuses_is_reported_and_the_next_rows_load(inst_a, people, monkeypatch):
    from django.db import DataError

    from syllabus.courses import services

    real = services.create_course

    def picky(actor, institution, **values):
        if values["code"] == "BAD":
            raise DataError("value too long for type character varying(60)")
        return real(actor, institution, **values)

    monkeypatch.setattr(services, "create_course", picky)
    report = import_courses(HEADER + "BAD,Refused,,,T,,,1,\nGOOD,Loaded,,,T,,,1,\n", inst_a)
    assert report.summary() == "created 1, updated 0, unchanged 0, rejected 1"
    assert report.lines[0].startswith("line 2: rejected: the database refused the row (value too long")
    assert list(Course.objects.values_list("code", flat=True)) == ["GOOD"]


def test_crs2_a_file_that_is_not_csv_is_refused_by_the_command_and_loads_no_course(tmp_path, inst_a, people):
    """An unclosed quote swallows the rest of the file into one field past the CSV reader's ceiling;
    a NUL byte is no text file. The operator gets the rule and the line — not a traceback — and the
    good rows before the bad line are not half-loaded either."""
    good = "HIST101,Modern History,01,History,2026S,,,10,irene\n"
    unclosed = tmp_path / "unclosed.csv"
    unclosed.write_text(HEADER + good + 'HIST102,"Early Modern' + "x" * 140_000 + "\n")
    with pytest.raises(CommandError, match=r"CRS-2: line 3: a field is longer than 131,072 characters"):
        call_command("import_courses", str(unclosed), institution="inst-a", stdout=io.StringIO())
    nul = tmp_path / "nul.csv"
    nul.write_bytes((HEADER + good + "HIST103,Bin\x00ary,01,,,,,,\n").encode())
    with pytest.raises(CommandError, match=r"CRS-2: line 3 holds a NUL character"):
        call_command("import_courses", str(nul), institution="inst-a", stdout=io.StringIO())
    assert not Course.objects.filter(institution=inst_a).exists()
