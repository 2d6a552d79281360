"""LMS-2: the Names and Role Provisioning roster sync against the IMS-spec test LMS — the ways a
platform names its next page (RFC 8288 ``Link`` headers: absolute, relative, Canvas's four links,
several relation types), a next page on another host (not followed: the token stays home), member
``status`` Inactive and Deleted, and LIS role URIs in their short, long, sub-role and LTI 1.1 forms."""
from __future__ import annotations

import pytest

from syllabus.core.errors import RuleViolation
from syllabus.courses.models import Enrollment
from syllabus.lti import services
from syllabus.lti.models import ContextLink
from tests.lti.conftest import INSTRUCTOR, LEARNER, context

pytestmark = pytest.mark.django_db

LIS = "http://purl.imsglobal.org/vocab/lis/v2/"


def member(uid, roles, status="Active", **kw):
    return {"user_id": uid, "roles": roles, "status": status, **kw}


@pytest.fixture
def link(launch, course):
    """The course's LMS context, linked by an instructor's launch (no sync yet)."""
    launch({"sub": "lms-teacher-1", "sourcedid": "instructor", "roles": [INSTRUCTOR], "nrps": False, "context": context()})
    found = ContextLink.objects.get(context_id="ctx-hist")
    found.memberships_url = launch.lms.base + "/nrps/ctx-hist/Members"
    found.save()
    return found


def _roster(lms, members, **how):
    lms.control("members", {"context_id": "ctx-hist", "page_size": 2, "members": members, **how})


def _emails(course):
    return set(Enrollment.objects.filter(course=course).values_list("user__email", flat=True))


@pytest.mark.parametrize("links", ["absolute", "relative", "canvas", "several_types"])
def test_every_page_is_read_however_the_platform_names_the_next(lms, link, course, links):
    _roster(lms, [member("lms-teacher-1", [INSTRUCTOR], lis_person_sourcedid="instructor")]
            + [member(f"u{n}", [LEARNER], email=f"s{n}@uni.edu") for n in range(5)], links=links)
    summary = services.sync_roster(link)
    assert summary["members"] == 6
    assert _emails(course) == {f"s{n}@uni.edu" for n in range(5)}


def test_a_next_page_on_another_host_is_not_followed_and_nothing_changes(lms, link, course, student):
    _roster(lms, [member(f"u{n}", [LEARNER], email=f"s{n}@uni.edu") for n in range(3)], links="foreign")
    before = _emails(course)
    with pytest.raises(RuleViolation) as refused:
        services.sync_roster(link)
    assert refused.value.rule == "LMS-2" and "another host" in refused.value.detail
    assert _emails(course) == before and Enrollment.objects.filter(user=student).exists()
    link.refresh_from_db()
    assert "another host" in link.last_sync["error"]


def test_inactive_and_deleted_members_are_not_on_the_roster(lms, link, course, student, make_user):
    make_user("ta", email="ta@uni.edu")
    course.instructors.add(make_user("co", email="co@uni.edu"))
    _roster(lms, [
        member("lms-teacher-1", [INSTRUCTOR], lis_person_sourcedid="instructor"),
        member("lms-student", [LEARNER], status="Deleted", lis_person_sourcedid="student"),   # dropped the course
        member("lms-co", [INSTRUCTOR], status="Inactive", email="co@uni.edu"),               # no longer teaches it
        member("lms-ta", [INSTRUCTOR], status="Inactive", email="ta@uni.edu"),
        member("lms-new", [LEARNER], email="new@uni.edu"),
    ])
    summary = services.sync_roster(link)
    assert summary["skipped"] == 3
    assert _emails(course) == {"new@uni.edu"}
    assert list(course.instructors.values_list("username", flat=True)) == ["instructor"]


@pytest.mark.parametrize("roles, role", [
    (["Learner"], "student"),                                              # short (deprecated, still sent)
    ([LIS + "membership#Learner"], "student"),                             # long
    ([LIS + "membership/Learner#NonCreditLearner"], "student"),            # a sub-role alone: its principal implied
    (["urn:lti:role:ims/lis/Learner"], "student"),                         # LTI 1.1's URN
    (["urn:lti:role:ims/lis/Learner/GuestLearner"], "student"),
    (["Instructor"], "instructor"),
    ([LIS + "membership#Instructor"], "instructor"),
    ([LIS + "membership/Instructor#TeachingAssistant"], "instructor"),
    (["urn:lti:role:ims/lis/TeachingAssistant"], "instructor"),
    (["urn:lti:role:ims/lis/Instructor/PrimaryInstructor"], "instructor"),
    ([LIS + "institution/person#Instructor"], None),                       # an institution role is no course role
    ([LIS + "institution/person#Student"], None),
    ([LIS + "membership/Mentor#Advisor"], None),
    # LTI Core §A.2.3.1: Instructor is also a sub-role of Learner — a learner, who never edits the course's lists
    ([LIS + "membership/Learner#Instructor"], "student"),
    (["urn:lti:role:ims/lis/Learner/Instructor"], "student"),
    ([LIS + "membership/Instructor#TeachingAssistantSection"], "instructor"),   # a TA of some sections
    ([LIS + "membership/Instructor#Grader"], "instructor"),
    ([LIS + "membership#Mentor", LIS + "membership/Mentor#TeachingAssistant"], None),  # not the Instructor's TA
    ([LIS + "system/person#Administrator", LIS + "institution/person#Administrator"], None),
    ([LIS + "membership#ContentDeveloper"], None),
])
def test_lis_roles_in_every_form(lms, link, course, make_user, roles, role):
    person = make_user("someone", email="someone@uni.edu")
    _roster(lms, [member("lms-teacher-1", [INSTRUCTOR], lis_person_sourcedid="instructor"),
                  member("lms-someone", roles, email="someone@uni.edu")])
    services.sync_roster(link)
    assert Enrollment.objects.filter(course=course, user=person).exists() == (role == "student")
    assert course.instructors.filter(pk=person.pk).exists() == (role == "instructor")


def test_the_roster_asks_for_large_pages_so_a_big_canvas_course_fits_the_page_limit(lms, link, course, settings):
    """NRPS 2.0 §2.4.1 ``limit``: a platform that answers 10 members a page unless asked (Canvas),
    up to 50: 120 students are 3 pages when the tool asks, 12 when it does not — past
    LTI_ROSTER_MAX_PAGES = 5 the sync would be refused and nobody enrolled."""
    settings.LTI_ROSTER_MAX_PAGES = 5
    students = [member(f"u{n}", [LEARNER], email=f"s{n}@uni.edu") for n in range(120)]
    lms.control("members", {"context_id": "ctx-hist", "page_size": 10, "max_page_size": 50, "links": "canvas",
                            "members": [member("lms-teacher-1", [INSTRUCTOR], lis_person_sourcedid="instructor")] + students})
    asked = lms.get("/control/stats").json()["roster_requests"]
    summary = services.sync_roster(link)
    assert summary["members"] == 121 and len(_emails(course)) == 120
    assert lms.get("/control/stats").json()["roster_requests"] - asked == 3


def test_a_limit_the_platform_put_in_its_memberships_url_is_kept(lms, link, course):
    link.memberships_url += "?limit=2"
    link.save()
    _roster(lms, [member("lms-teacher-1", [INSTRUCTOR], lis_person_sourcedid="instructor")]
            + [member(f"u{n}", [LEARNER], email=f"s{n}@uni.edu") for n in range(3)], max_page_size=50)
    asked = lms.get("/control/stats").json()["roster_requests"]
    assert services.sync_roster(link)["members"] == 4
    assert lms.get("/control/stats").json()["roster_requests"] - asked == 2
