"""Attack class: hostile CSV files posted to a page (CRS-2 roster replacement): a line longer
than the CSV reader's field ceiling, a NUL byte, a file that is not UTF-8.  Each is refused with
the rule named and the roster left as it was — never a server error (session 25: the long field
was a 500 on both databases, the NUL byte a database error on PostgreSQL)."""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("body", [
    b"username,role\n" + b"a" * 200_000 + b",student\n",          # one field over the reader's 128 KB ceiling
    b"username,role\n\"" + b"x" * 300_000 + b"\n",                 # an unclosed quote swallowing the file
    b"username,role\nstu\x00dent,student\n",                       # a NUL byte (PostgreSQL refuses it)
    b"username,role\n\xff\xfeeve,student\n",                       # not UTF-8
])
def test_crs2_a_hostile_roster_file_is_refused_naming_the_rule(client, course, librarian, body):
    client.force_login(librarian)
    before = sorted(course.students.values_list("username", flat=True))
    r = client.post(f"/courses/{course.pk}/roster/upload/",
                    {"file": SimpleUploadedFile("r.csv", body, content_type="text/csv")}, follow=True)
    assert r.status_code == 200
    assert b"CRS-2: " in r.content, r.content[-2000:]
    assert sorted(course.students.values_list("username", flat=True)) == before


def test_crs2_the_refusal_says_which_line_and_what_is_wrong(client, course, librarian):
    client.force_login(librarian)
    body = b"username,role\nstudent,student\n\"" + b"x" * 300_000 + b"\n"
    r = client.post(f"/courses/{course.pk}/roster/upload/",
                    {"file": SimpleUploadedFile("r.csv", body, content_type="text/csv")}, follow=True)
    text = r.content.decode()
    assert "CRS-2: line 3: a field is longer than 131,072 characters (a quote left open?)" in text, \
        text[text.find("CRS-2"):][:300]


def test_crs2_a_header_line_too_long_is_refused_too():
    from syllabus.core.errors import RuleViolation
    from syllabus.core.loading import csv_rows

    with pytest.raises(RuleViolation, match=r"CRS-2.*line 1: a field is longer than"):
        list(csv_rows(b"a" * 200_000 + b"\n", rule="CRS-2", required=("username",), columns=("username",)))


def test_crs2_a_nul_byte_is_refused_naming_its_line(client, course, librarian):
    client.force_login(librarian)
    body = b"username,role\nstudent,student\nstu\x00dent,student\n"
    r = client.post(f"/courses/{course.pk}/roster/upload/",
                    {"file": SimpleUploadedFile("r.csv", body, content_type="text/csv")}, follow=True)
    text = r.content.decode()
    assert "CRS-2: line 3 holds a NUL character: this is not a text CSV file" in text, text[text.find("CRS-2"):][:300]
