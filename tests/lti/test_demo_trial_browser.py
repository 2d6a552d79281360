"""LMS-1, LMS-2: the by-hand LTI trial of docs/interop.md over the demo data, step by step as a
new user runs it — the demo loaded, OpenLearning's lti1p3platform (scripts/interop/lti_platform.py)
registered with ``syllabus lti add-platform``, the instructor given Ada's address with
``syllabus import-users`` — then Ada's and Lin's launches in Chromium.  The trial's course is the
demo's own HIST101-LMS: its roster sync enrols the LMS's people there and the tour's HIST101-01
keeps every student it had."""
from __future__ import annotations

import io
import sys

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.independent import INTEROP, free_port, start, stop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def trial(live_server, tmp_path):
    call_command("demo", no_migrate=True, stdout=io.StringIO())
    port = free_port()
    proc = start([sys.executable, str(INTEROP / "lti_platform.py"), str(port), live_server.url],
                 f"http://127.0.0.1:{port}/jwks", "lti1p3platform")
    base = f"http://127.0.0.1:{port}"
    call_command("lti", "add-platform", "--institution", "riverside", "--issuer", base, "--client-id", "lti1p3platform-client",
                 "--deployment-id", "deployment-1", "--auth-login-url", f"{base}/auth", "--auth-token-url", f"{base}/token",
                 "--keyset-url", f"{base}/jwks", "--base-url", live_server.url, stdout=io.StringIO())
    ada = tmp_path / "ada.csv"
    ada.write_text("username,email\ninstructor,ada@college.example\n")
    call_command("import_users", str(ada), "--institution", "riverside", stdout=io.StringIO())
    yield base
    stop(proc)


def test_lms1_lms2_the_demo_trial_keeps_the_tours_hist101_students(page, live_server, trial):
    from syllabus.courses.models import Course, Enrollment
    from syllabus.lists.models import ResourceList

    tour = Course.objects.get(institution__code="riverside", code="HIST101", section="01")
    lms_course = Course.objects.get(institution__code="riverside", code="HIST101", section="LMS")
    before = set(Enrollment.objects.filter(course=tour).values_list("user__username", flat=True))
    assert "student" in before and len(before) > 5
    hist = ResourceList.objects.filter(courses=tour, visibility="published", owners__username="instructor").order_by("pk").first()
    assert hist.courses.filter(pk=lms_course.pk).exists()

    page.goto(f"{trial}/course/hist?user=u-ada")   # the Instructor: her launch syncs the LMS course's roster
    page.wait_for_url(f"{live_server.url}/lists/{hist.pk}/edit/**")
    expect(page.get_by_role("heading", name=hist.title)).to_be_visible()
    assert set(Enrollment.objects.filter(course=lms_course).values_list("user__email", flat=True)) == {
        "lin@college.example", "max@college.example"}
    assert set(Enrollment.objects.filter(course=tour).values_list("user__username", flat=True)) == before
    assert tour.instructors.filter(username="instructor").exists()

    page.context.clear_cookies()
    page.goto(f"{trial}/course/hist?user=u-lin")   # the Learner: the student view of the same list
    page.wait_for_url(f"{live_server.url}/lists/{hist.pk}/**")
    expect(page.locator('[data-testid="student-view"]')).to_be_visible()
