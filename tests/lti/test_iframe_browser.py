"""Issue 10 acceptance 6 (LMS-1): in Chromium, a course page of the test platform (its own
process) embeds Syllabus in an iframe; the OIDC login, the platform's form post and the launch
run inside the frame, and the student view of the list renders there."""
import pytest
from playwright.sync_api import expect

from tests.lti.conftest import framed_launch


@pytest.mark.browser
def test_acceptance_6_the_launch_renders_the_student_view_inside_the_lms_iframe(page, live_server, framing_lms, inst_a,
                                                                               course, instructor):
    lms = framing_lms
    lst, launch_id = framed_launch(lms, live_server.url, inst_a, course, instructor,
                                   {"sub": "browser-student", "email": "browser.student@uni.edu", "given_name": "Bea"})

    page.goto(f"{lms.base}/course/{launch_id}")
    frame = page.frame_locator("#tool")
    view = frame.locator('[data-testid="student-view"]')
    expect(view).to_contain_text("The Age of Revolution")
    expect(frame.locator("h1").first).to_have_text("History readings")
    tool_frame = [f for f in page.frames if f.url.startswith(live_server.url)][0]
    assert tool_frame.url == f"{live_server.url}/lists/{lst.pk}/"
    expect(frame.locator(".whoami")).to_contain_text("Bea")
