"""The console script and the demo loader."""
import io
import subprocess
import sys

from django.core.management import call_command

from syllabus.courses.models import Course
from syllabus.org.models import User


def test_demo_loads_once_and_keeps_the_data(db):
    out = io.StringIO()
    call_command("demo", no_migrate=True, stdout=out)
    assert "instructor" in out.getvalue() and "password for all: demo" in out.getvalue()
    assert Course.objects.count() >= 20
    for name in ("admin", "librarian", "instructor", "student", "admin2", "librarian2", "instructor2", "student2", "s001", "s050"):
        assert User.objects.get(username=name).check_password("demo")
    assert User.objects.get(username="instructor").courses_taught.count() >= 3
    assert User.objects.get(username="student").courses_enrolled.count() >= 3
    users = User.objects.count()
    call_command("demo", no_migrate=True, stdout=io.StringIO())
    assert User.objects.count() == users


def test_token_command_prints_a_working_token(client, student):
    out = io.StringIO()
    call_command("token", "create", "student", stdout=out)
    raw = out.getvalue().strip()
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}").json()["username"] == "student"


def test_console_script_runs():
    r = subprocess.run([sys.executable, "-m", "syllabus.cli", "help", "import-courses"], capture_output=True, text=True)
    assert r.returncode == 0 and "--institution" in r.stdout
