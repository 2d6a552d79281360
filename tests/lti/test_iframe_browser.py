"""Issue 10 acceptance 6 (LMS-1): in Chromium, a course page of the test platform (its own
process) embeds Syllabus in an iframe; the OIDC login, the platform's form post and the launch
run inside the frame, and the student view of the list renders there."""
import pytest
from playwright.sync_api import expect

from syllabus.lists import services as lists
from tests.lti.conftest import LEARNER, context, start_platform


@pytest.fixture
def framing_lms():
    # "localhost" like the live server: same site, as an LMS and its tools on one domain would be
    proc, lms = start_platform("localhost")
    yield lms
    proc.terminate()
    proc.wait(timeout=10)


@pytest.mark.browser
def test_acceptance_6_the_launch_renders_the_student_view_inside_the_lms_iframe(page, live_server, framing_lms, inst_a,
                                                                               course, instructor):
    from syllabus.lti import services

    lms = framing_lms
    services.register_platform(None, inst_a, issuer=lms.base, client_id="syllabus-tool-1", deployment_ids=["deployment-A"],
                               auth_login_url=lms.base + "/auth", auth_token_url=lms.base + "/token",
                               keyset_url=lms.base + "/jwks")
    lst = lists.create_list(instructor, title="History readings", courses=[course])
    week = lists.add_section(instructor, lst, title="Week 1")
    lists.add_citation(instructor, lst, week, "book", {"title": "The Age of Revolution", "author": [{"family": "Hobsbawm"}]})
    lists.publish_list(instructor, lst)
    launch_url = live_server.url + "/lti/launch/"
    lms.control("tool", {"redirect_uris": [launch_url], "jwks": lms.http.get(live_server.url + "/lti/jwks/").json()})
    spec = {"sub": "browser-student", "email": "browser.student@uni.edu", "given_name": "Bea", "roles": [LEARNER],
            "context": context(), "nrps": False, "target_link_uri": launch_url, "login_url": live_server.url + "/lti/login/"}
    launch_id = lms.control("launch", spec)["id"]

    page.goto(f"{lms.base}/course/{launch_id}")
    frame = page.frame_locator("#tool")
    view = frame.locator('[data-testid="student-view"]')
    expect(view).to_contain_text("The Age of Revolution")
    expect(frame.locator("h1").first).to_have_text("History readings")
    tool_frame = [f for f in page.frames if f.url.startswith(live_server.url)][0]
    assert tool_frame.url == f"{live_server.url}/lists/{lst.pk}/"
    expect(frame.locator(".whoami")).to_contain_text("Bea")
