"""The LTI pages on a phone (390 × 844), in Chromium, each reached by a real launch from the
IMS-spec test LMS (its own process): the tool's OIDC login, the platform's signed id_token and
its form post, the tool's answer — top-level, as an LMS app or "open in a new window" shows it.
Each page passes the checks of tests/web/test_every_page_on_a_phone.py (no sideways scroll,
24 px targets, focus rings, the skip link first, headings in order, a title, axe with every
<details> open): the launch pages are not in the URL map's walk (they answer a POST, or need a
launch in the session).

The pages: a student's list, "no reading list yet" for a draft, a link outside any course, a
course the tool does not know, a link to a list not available yet, a read-only instructor's
course page (with the draft to join and "create another list"), an instructor's "which course is
this?" page (also for an LMS copy of a known course, ROLL-12), the deep-linking picker, and a refused launch."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from syllabus.lists import services as lists
from syllabus.org.roles import Role
from tests.lti.conftest import INSTRUCTOR, LEARNER, context
from tests.web.test_every_page_on_a_phone import PHONE, inspect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def tool(live_server, framing_lms, inst_a, course, instructor, student, make_user):
    """The test LMS registered for institution A and the tool (the live server) in the LMS; the
    course has a published list and a draft; a librarian exists (a page of staff names)."""
    from urllib.parse import urlencode

    from syllabus.lti import services

    lms = framing_lms
    services.register_platform(None, inst_a, issuer=lms.base, client_id="syllabus-tool-1", deployment_ids=["deployment-A"],
                               auth_login_url=lms.base + "/auth", auth_token_url=lms.base + "/token",
                               keyset_url=lms.base + "/jwks", name="Test LMS")
    launch_url = live_server.url + "/lti/launch/"
    lms.control("tool", {"redirect_uris": [launch_url], "jwks": lms.http.get(live_server.url + "/lti/jwks/").json()})
    published = lists.create_list(instructor, title="History readings", courses=[course])
    week = lists.add_section(instructor, published, title="Week 1")
    lists.add_citation(instructor, published, week, "book", {"title": "The Age of Revolution", "author": [{"family": "Hobsbawm"}]})
    lists.publish_list(instructor, published)
    draft = lists.create_list(instructor, title="History readings — seminar (draft)", courses=[course])
    lists.add_section(instructor, draft, title="Seminar 1")
    make_user("librarian", group="staff", roles=[Role.COURSE_RESERVES_OPERATOR])

    def login_address(spec: dict) -> str:
        spec = {"nrps": False, "target_link_uri": launch_url, **spec}
        launch_id = lms.control("launch", spec)["id"]
        return live_server.url + "/lti/login/?" + urlencode({
            "iss": lms.base, "login_hint": spec["sub"], "target_link_uri": launch_url, "lti_message_hint": launch_id,
            "client_id": "syllabus-tool-1", "lti_deployment_id": "deployment-A"})

    return {"login": login_address, "draft": draft, "published": published, "base": live_server.url}


STUDENT = {"sub": "lms-student", "sourcedid": "student", "roles": [LEARNER]}
CO_TEACHER = {"sub": "lms-co-teacher", "email": "co.teacher@uni.edu", "given_name": "Cole", "family_name": "Teacher",
              "roles": [INSTRUCTOR]}
TEACHER = {"sub": "lms-teacher", "sourcedid": "instructor", "roles": [INSTRUCTOR]}


def _launches(tool, course) -> list[tuple[str, dict, str, str]]:
    """(what, launch, where it lands, the test id or element only that page shows)."""
    unknown = context(cid="ctx-unknown", label="NOPE999", title="A course Syllabus does not know")
    answered = "/lti/launch/"   # a page the launch's POST answers itself
    return [
        ("a student's list", {**STUDENT, "context": context()}, f"/lists/{tool['published'].pk}/",
         '[data-testid="student-view"]'),
        ("no context", {**STUDENT, "context": None}, answered, '[data-testid="lti-no-context"]'),
        ("an unknown course, student", {**STUDENT, "context": unknown}, answered, '[data-testid="lti-no-list"]'),
        ("a link to a draft", {**STUDENT, "context": context(), "custom": {"syllabus_target": f"list:{tool['draft'].pk}"}},
         answered, '[data-testid="lti-no-list"]'),
        ("the read-only instructor's course page", {**CO_TEACHER, "context": context()}, f"/lti/courses/{course.pk}/",
         '[data-testid="lti-read-only"]'),
        ("which course is this", {**TEACHER, "context": unknown}, "/lti/context/", "main form"),
        # ROLL-12: an LMS copy of the course the first launch linked — with its "copy to the new term" form
        ("which course is this, a copy", {**TEACHER, "context": context(cid="ctx-copy"),
                                          "custom": {"context_id_history": "ctx-hist"}}, "/lti/context/",
         '[data-testid="lti-copy-course"]'),
        ("the deep-linking picker", {**TEACHER, "context": context(), "message_type": "LtiDeepLinkingRequest"},
         "/lti/deep-link/", "main form"),
        ("a refused launch", {**STUDENT, "context": context(), "tamper": {"deployment_id": "deployment-Z"}}, answered,
         '[data-testid="lti-refused"]'),
    ]


def test_lms1_every_lti_page_a_launch_reaches_fits_a_phone_and_passes_axe(page, tool, course):
    page.set_viewport_size(PHONE)
    failures, seen = [], []
    for what, spec, lands, only_there in _launches(tool, course):
        page.context.clear_cookies()
        page.goto(tool["login"](spec))
        page.wait_for_url(tool["base"] + lands)
        expect(page.locator(only_there).first).to_be_visible()
        page.wait_for_load_state("networkidle")
        seen.append(f"{what}: {page.url.removeprefix(tool['base'])} «{page.title()}»")
        failures += [f"{what} ({page.url}): {w}" for w in inspect(page, page.title())]
    assert not failures, f"{len(failures)} problems on\n" + "\n".join(seen) + "\n\n" + "\n".join(failures)
