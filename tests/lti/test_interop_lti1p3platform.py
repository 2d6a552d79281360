"""LMS-1 and LMS-2 against an LTI 1.3 platform nobody on this project wrote: OpenLearning's
``lti1p3platform`` (PyPI, pinned; hosted by scripts/interop/lti_platform.py).  Registered the
way docs/lti.md tells an administrator (``syllabus lti add-platform``), then in Chromium, with
the platform on another site than the tool as in real life: a Learner's launch lands on the
student view, an Instructor's in the editor and syncs the roster from the platform's Names and
Role service (its token endpoint verifying our signed JWT assertion), and deep linking places a
section that the platform verifies and a later launch opens."""
from __future__ import annotations

import sys

import pytest
import requests
from django.core.management import call_command
from playwright.sync_api import expect

from tests.independent import INTEROP, free_port, start, stop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def openlearning(live_server):
    port = free_port()
    proc = start([sys.executable, str(INTEROP / "lti_platform.py"), str(port), live_server.url],
                 f"http://127.0.0.1:{port}/jwks", "lti1p3platform")
    yield f"http://127.0.0.1:{port}"
    stop(proc)


@pytest.fixture
def registered(openlearning, live_server, inst_a, capsys):
    call_command("lti", "add-platform", "--institution", "inst-a", "--issuer", openlearning,
                 "--client-id", "lti1p3platform-client", "--deployment-id", "deployment-1",
                 "--auth-login-url", f"{openlearning}/auth", "--auth-token-url", f"{openlearning}/token",
                 "--keyset-url", f"{openlearning}/jwks", "--course-match", "label", "--base-url", live_server.url)
    printed = capsys.readouterr().out
    assert f"{live_server.url}/lti/login/" in printed and f"{live_server.url}/lti/jwks/" in printed
    return openlearning


@pytest.fixture
def course(inst_a, instructor, student):
    """The platform's course is labelled HIST101-LMS (the demo's LMS trial section, docs/interop.md):
    code HIST101, section LMS, by the label rule."""
    from syllabus.courses.models import Enrollment
    from tests.factories import CourseFactory

    c = CourseFactory(institution=inst_a, code="HIST101", section="LMS", name="Introduction to Modern History", term="2026S")
    c.instructors.add(instructor)
    Enrollment.objects.create(course=c, user=student)
    return c


@pytest.fixture
def reading_list(reading_list, instructor):
    # the platform's teacher is this instructor, matched by e-mail (docs/lti.md, "What a launch does")
    instructor.email = "ada@college.example"
    instructor.save(update_fields=["email"])
    return reading_list


def test_lms1_learner_launch_lands_on_the_student_view(page, live_server, registered, course, reading_list):
    from syllabus.courses.models import Enrollment
    from syllabus.org.models import User

    page.goto(f"{registered}/course/hist?user=u-lin")
    page.wait_for_url(f"{live_server.url}/lists/{reading_list.pk}/**")
    expect(page.locator('[data-testid="student-view"]')).to_contain_text("The Making of the English Working Class")
    lin = User.objects.get(email="lin@college.example")
    assert (lin.first_name, lin.last_name) == ("Lin", "Learner")
    assert Enrollment.objects.filter(course=course, user=lin).exists()


def test_lms1_lms2_instructor_launch_edits_and_syncs_the_roster(page, live_server, registered, course, reading_list):
    from syllabus.courses.models import Enrollment
    from syllabus.org.models import User

    page.goto(f"{registered}/course/hist?user=u-ada")
    page.wait_for_url(f"{live_server.url}/lists/{reading_list.pk}/**")
    expect(page.get_by_role("heading", name="History readings")).to_be_visible()
    ada = User.objects.get(email="ada@college.example")
    assert ada.username == "instructor" and ada.lti_identities.exists()
    # the platform's Names and Role service: its three members, after its token endpoint checked our assertion
    enrolled = set(Enrollment.objects.filter(course=course).values_list("user__email", flat=True))
    assert {"lin@college.example", "max@college.example"} <= enrolled
    # the service sends each member's full name only
    assert User.objects.get(email="max@college.example").get_full_name() == "Max Member"


def _place_week_2(page, live_server, registered):
    """The platform's teacher adds section Week 2 by deep linking, and the platform says it was added."""
    page.goto(f"{registered}/course/hist?user=u-ada&deep_link=1")
    page.wait_for_url(f"{live_server.url}/lti/deep-link/**")
    page.get_by_role("button", name="Section “Week 2”").click()
    page.get_by_role("button", name="Add it to the LMS").click()
    page.wait_for_url(f"{registered}/deep_link_return")
    expect(page.get_by_role("heading", name="Added to the course")).to_be_visible()


def test_lms1_deep_linking_places_a_section_the_platform_verifies(page, live_server, registered, course, reading_list):
    _place_week_2(page, live_server, registered)
    placed = requests.get(f"{registered}/placed", timeout=10).json()
    assert [p["type"] for p in placed] == ["ltiResourceLink"]
    assert placed[0]["custom"] == {"syllabus_target": f"section:{reading_list.week2.pk}"}

    page.context.clear_cookies()
    page.goto(f"{registered}/course/hist?user=u-lin&link={placed[0]['link']}")
    page.wait_for_url(f"{live_server.url}/lists/{reading_list.pk}/#section-{reading_list.week2.pk}")
    expect(page.locator('[data-testid="student-view"]')).to_contain_text("Week 2")


def test_lms1_deep_linking_under_the_real_content_security_policy(strict_page, live_server, registered, course,
                                                                    reading_list):
    """The same, in a browser that honours the Content-Security-Policy (the shared page fixture
    bypasses it): the answer's form posts to the LMS, another site — its origin must be in
    ``form-action``, or Chromium refuses to send it and the LMS never gets the link."""
    violations = []
    strict_page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)
    _place_week_2(strict_page, live_server, registered)
    assert violations == []


def test_lms1_launch_locale_opens_the_list_in_the_lms_language(page, live_server, registered, course, reading_list):
    """A French-speaking learner whose LMS is in French (launch_presentation.locale "fr-CA") reads
    the list in French although the institution's default is English; a later launch that names a
    language Syllabus has no translation for leaves the usual choice (found by s21-outside)."""
    page.goto(f"{registered}/course/hist?user=u-lin&locale=fr-CA")
    page.wait_for_url(f"{live_server.url}/lists/{reading_list.pk}/**")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator('[data-testid="find-it"]').first).to_contain_text("Trouver")
    page.goto(f"{live_server.url}/")  # the whole session, not only the landing page
    expect(page.locator("html")).to_have_attribute("lang", "fr")

    page.goto(f"{registered}/course/hist?user=u-lin&locale=de-DE")
    page.wait_for_url(f"{live_server.url}/lists/{reading_list.pk}/**")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator('[data-testid="find-it"]').first).to_contain_text("Find it")
