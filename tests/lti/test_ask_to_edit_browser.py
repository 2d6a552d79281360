"""LMS-1, LST-8 in Chromium: an instructor of the course who is not an owner or collaborator of
its list launches from the LMS (the test platform's course page embeds Syllabus in an iframe) —
instead of the student view with no hint, the page inside the frame says they see the list as
their students do, names its owner, and "Ask the owners to add me" sends the owner a letter."""
import pytest
from playwright.sync_api import expect

from tests.lti.conftest import INSTRUCTOR, framed_launch


@pytest.mark.browser
def test_lms1_lst8_a_co_instructor_is_told_why_they_cannot_edit_and_asks_the_owner(page, live_server, framing_lms, inst_a,
                                                                                 course, instructor):
    from syllabus.notify.models import OutboxMessage

    lst, launch_id = framed_launch(framing_lms, live_server.url, inst_a, course, instructor,
                                   {"sub": "co-teacher", "email": "co.teacher@uni.edu", "given_name": "Cole",
                                    "family_name": "Teacher", "roles": [INSTRUCTOR]})
    page.goto(f"{framing_lms.base}/course/{launch_id}")
    frame = page.frame_locator("#tool")
    notice = frame.locator('[data-testid="lti-read-only"]')
    expect(notice).to_contain_text("you see it as your students do")
    expect(notice).to_contain_text("Irene Instructor")
    frame.get_by_role("link", name="History readings").wait_for()
    frame.get_by_role("button", name="Ask the owners to add me").click()
    expect(frame.locator(".messages")).to_contain_text("Your request was sent to the list's owner")
    letter = OutboxMessage.objects.get(letter="collaboration_asked", channel="email")
    assert letter.recipient == instructor and "Cole Teacher teaches HIST101" in letter.body
    assert f"/lists/{lst.pk}/edit/" in letter.body
