"""LMS-1 / LMS-2: which launch value is a person's username (Brightspace's own claim
``http://www.brightspace.com``: its username or Org Defined ID), and courses found by the LIS
claim's course offering / section sourcedIds among the courses' SIS ids (a cross-listed course
holds several) — launches shaped as D2L Brightspace sends them, through the IMS-spec test LMS,
and the Names and Role roster sync of a course found that way."""
import pytest
from django.core.management import call_command

from syllabus.core.models import AuditEntry
from syllabus.courses import services as courses
from syllabus.courses.models import Course, CourseSisId, Enrollment
from syllabus.lti import services
from syllabus.lti.models import ContextLink, Identity, Platform
from syllabus.org.models import User
from tests.lti.conftest import INSTRUCTOR, LEARNER, context

BRIGHTSPACE = "http://www.brightspace.com"
TENANT = "15495cdc-4a00-43e0-b28c-042523bad957"


def d2l(user_id: int, *, username: str, org_defined_id: str, roles, email="", **spec) -> dict:
    """A launch as Brightspace sends it with every security setting of the deployment on: ``sub`` is
    ``<tenant>_<user id>``, the user's username and Org Defined ID in D2L's own claim (the user id a
    number), the LIS claim with the course offering and section sourcedIds (community.d2l.com,
    "Security settings for LTI Advantage 1.3", sample request)."""
    return {"sub": f"{TENANT}_{user_id}", "email": email, "given_name": "John", "family_name": "Smith",
            "name": "John Smith", "roles": roles,
            "context": spec.pop("context", {"id": "6606", "label": "HIST101", "title": "Modern History",
                                            "type": ["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"]}),
            "extensions": {BRIGHTSPACE: {"tenant_id": TENANT, "org_defined_id": org_defined_id, "user_id": user_id,
                                         "username": username, "Context.id.history": "", "ResourceLink.id.history": ""}},
            **spec}


@pytest.fixture
def two_people(make_user):
    """The institution loaded people by their Org Defined ID (a student number); a different person
    happens to have the Brightspace username as their Syllabus username."""
    return make_user("100234567", email="j.smith@uni.edu"), make_user("jsmith", email="other@uni.edu")


def test_lms1_brightspace_org_defined_id_is_the_username_when_so_configured(client, launch, platform, course, two_people):
    by_number, by_name = two_people
    services.set_matching(None, platform, username_claim="brightspace_org_defined_id")
    r = launch(d2l(169, username="jsmith", org_defined_id="100234567", roles=[LEARNER], nrps=False))
    assert r.status_code == 302, r.content[:400]
    assert Identity.objects.get(sub=f"{TENANT}_169").user == by_number
    assert Enrollment.objects.filter(course=course, user=by_number).exists()
    assert not Enrollment.objects.filter(user=by_name).exists()


def test_lms1_brightspace_username_is_the_username_when_so_configured(client, launch, platform, course, two_people):
    by_number, by_name = two_people
    call_command("lti", "set-platform", "--issuer", platform.issuer, "--client-id", platform.client_id,
                 "--username-claim", "brightspace_username")
    assert Platform.objects.get(pk=platform.pk).username_claim == "brightspace_username"
    entry = AuditEntry.objects.filter(action="updated").latest("id")
    assert entry.changes == {"username_claim": ["sourcedid", "brightspace_username"]}
    r = launch(d2l(170, username="ｊｓｍｉｔｈ", org_defined_id="100234567", roles=[LEARNER], nrps=False))  # full-width: NFKC
    assert r.status_code == 302
    assert Identity.objects.get(sub=f"{TENANT}_170").user == by_name


def test_lms1_the_default_ignores_brightspaces_claim_and_a_missing_or_odd_claim_matches_nobody(launch, platform, course,
                                                                                             two_people):
    people = User.objects.count()
    # default (LIS person_sourcedid): D2L's username is not taken for a Syllabus username
    launch(d2l(171, username="jsmith", org_defined_id="100234567", roles=[LEARNER], nrps=False))
    assert Identity.objects.get(sub=f"{TENANT}_171").user.username.startswith("lti-")
    services.set_matching(None, platform, username_claim="brightspace_org_defined_id")
    # the deployment does not share the Org Defined ID (the claim without it), or the claim is no object
    r = launch(d2l(172, username="jsmith", org_defined_id="", roles=[LEARNER], nrps=False))
    assert r.status_code == 302
    spec = d2l(173, username="jsmith", org_defined_id="x", roles=[LEARNER], nrps=False)
    spec["extensions"] = {BRIGHTSPACE: "100234567"}
    assert launch(spec).status_code == 302
    assert User.objects.count() == people + 3   # three new people, nobody matched by a value not configured or not there


def test_lms2_roster_sync_finds_brightspace_members_by_their_org_defined_id(client, launch, lms, platform, course, instructor,
                                                                          two_people, django_capture_on_commit_callbacks):
    """NRPS 2.0 §2.4.1: a member's ``message`` carries the claims a launch would (D2L's own claim
    among them): the member is the person loaded under their Org Defined ID, not a new account."""
    by_number, _ = two_people
    services.set_matching(None, platform, username_claim="brightspace_org_defined_id")
    instructor.username = "900000001"   # the teacher, loaded by their Org Defined ID too
    instructor.save(update_fields=["username"])
    lms.control("members", {"context_id": "6606", "members": [
        {"user_id": f"{TENANT}_2", "roles": [INSTRUCTOR], "status": "Active", "name": "Irene Instructor",
         "message": [{"https://purl.imsglobal.org/spec/lti/claim/message_type": "LtiResourceLinkRequest",
                      BRIGHTSPACE: {"tenant_id": TENANT, "org_defined_id": "900000001", "user_id": 2, "username": "irene"}}]},
        {"user_id": f"{TENANT}_169", "roles": [LEARNER], "status": "Active", "name": "John Smith",
         "message": [{BRIGHTSPACE: {"tenant_id": TENANT, "org_defined_id": "100234567", "user_id": 169, "username": "jsmith"}}]},
    ]})
    people = User.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        r = launch(d2l(2, username="irene", org_defined_id="900000001", roles=[INSTRUCTOR]))
    assert r.status_code == 302
    assert ContextLink.objects.get(context_id="6606").last_sync["removed"] == 1   # the fixture's "student", not in D2L
    assert set(Enrollment.objects.filter(course=course).values_list("user__username", flat=True)) == {"100234567"}
    assert User.objects.count() == people
    # John's first launch later finds the account the roster sync linked
    client.logout()
    launch(d2l(169, username="jsmith", org_defined_id="100234567", roles=[LEARNER]))
    assert Identity.objects.get(sub=f"{TENANT}_169").user == by_number


# --- courses by their SIS ids (LIS course offering / section sourcedId) ----------------------

@pytest.fixture
def cross_listed(inst_a, instructor):
    """HIST101 taught as one course for two SIS sections (cross-listed), and another course."""
    hist = courses.create_course(None, inst_a, code="HIST101", name="Modern History", term="2026FA", instructors=[instructor])
    courses.set_sis_ids(None, hist, ["2026FA-HIST101-01", "2026FA-HIST101-02"])
    other = courses.create_course(None, inst_a, code="ECON200", name="Economics", term="2026FA")
    courses.set_sis_ids(None, other, ["2026FA-ECON200-01", "2026FA-ECON200"])
    return hist, other


def test_lms1_a_section_sourcedid_finds_the_cross_listed_course(launch, platform, cross_listed):
    hist, _ = cross_listed
    services.set_matching(None, platform, course_match="lis_section")
    # the LMS context is no course code: only the SIS section ids say which course it is
    launch({"sub": "s-a", "email": "a@uni.edu", "roles": [LEARNER], "context": context(cid="lms-1", label="Section 02"),
            "lis": {"course_offering_sourcedid": "2026FA-HIST101", "course_section_sourcedid": "2026FA-HIST101-02"},
            "nrps": False})
    assert Enrollment.objects.filter(course=hist, user__email="a@uni.edu").exists()
    # a cross-listed LMS course sends its sections comma-separated (Canvas's $CourseSection.sourcedId)
    launch({"sub": "s-b", "email": "b@uni.edu", "roles": [LEARNER], "context": context(cid="lms-2", label="x"),
            "lis": {"course_section_sourcedid": "2026FA-HIST101-01, 2026FA-HIST101-02"}, "nrps": False})
    assert Enrollment.objects.filter(course=hist, user__email="b@uni.edu").exists()
    assert ContextLink.objects.get(context_id="lms-2").course == hist


def test_lms1_sections_of_two_courses_an_unresolved_variable_or_no_sis_id_match_no_course(client, launch, platform,
                                                                                        cross_listed, instructor):
    services.set_matching(None, platform, course_match="lis_section")
    for n, section in enumerate(("2026FA-HIST101-01,2026FA-ECON200-01", "$CourseSection.sourcedId", "2026SP-NOPE-01", "")):
        r = launch({"sub": f"s-{n}", "email": f"s{n}@uni.edu", "roles": [LEARNER], "context": context(cid=f"c-{n}"),
                    "lis": {"course_section_sourcedid": section}, "nrps": False})
        assert r.status_code == 200 and b'data-testid="lti-no-list"' in r.content
    assert not ContextLink.objects.exists() and not Enrollment.objects.exists()
    # the instructor of an unmatched context links it by hand, as for any rule
    r = launch({"sub": "t-1", "sourcedid": "instructor", "roles": [INSTRUCTOR], "context": context(cid="c-t"),
                "lis": {"course_section_sourcedid": "2026FA-HIST101-01,2026FA-ECON200-01"}, "nrps": False})
    assert r["Location"] == "/lti/context/"


def test_lms1_lms2_an_offering_sourcedid_finds_the_course_and_the_roster_sync_fills_it(launch, lms, platform, cross_listed,
                                                                                     instructor,
                                                                                     django_capture_on_commit_callbacks):
    hist, _ = cross_listed
    services.set_matching(None, platform, course_match="lis_offering")
    courses.set_sis_ids(None, hist, ["2026FA-HIST101-01", "2026FA-HIST101-02", "2026FA-HIST101"])
    lms.control("members", {"context_id": "lms-hist", "members": [
        {"user_id": "t-1", "roles": [INSTRUCTOR], "status": "Active", "lis_person_sourcedid": "instructor"},
        {"user_id": "s-1", "roles": [LEARNER], "status": "Active", "email": "one@uni.edu", "name": "One Student"},
        {"user_id": "s-2", "roles": [LEARNER], "status": "Active", "email": "two@uni.edu", "name": "Two Student"},
    ]})
    with django_capture_on_commit_callbacks(execute=True):
        r = launch({"sub": "t-1", "sourcedid": "instructor", "roles": [INSTRUCTOR], "context": context(cid="lms-hist", label="?"),
                    "lis": {"course_offering_sourcedid": "2026FA-HIST101", "course_section_sourcedid": "2026FA-HIST101-01"}})
    assert r.status_code == 302
    link = ContextLink.objects.get(context_id="lms-hist")
    assert link.course == hist and link.last_sync["created"] == 2
    assert set(Enrollment.objects.filter(course=hist).values_list("user__email", flat=True)) == {"one@uni.edu", "two@uni.edu"}


def test_crs2_the_course_file_loads_sis_ids_and_refuses_one_naming_another_course(inst_a):
    report = courses.import_courses("code,name,term,sis_ids\nHIST101,Modern History,2026FA,\"2026FA-HIST101-01, 2026FA-HIST101-02\"\n"
                                    "ECON200,Economics,2026FA,2026FA-HIST101-02\n", inst_a)
    assert report.created == 1 and "2026FA-HIST101-02 already names the course HIST101" in str(report.rejected[0])
    hist = Course.objects.get(code="HIST101")
    assert sorted(hist.sis_ids.values_list("sis_id", flat=True)) == ["2026FA-HIST101-01", "2026FA-HIST101-02"]
    again = courses.import_courses("code,name,term,sis_ids\nHIST101,Modern History,2026FA,2026FA-HIST101-01,2026FA-HIST101-02\n",
                                   inst_a)
    assert len(again.rejected) == 1   # unquoted commas are more fields than the header has: refused, nothing changed
    again = courses.import_courses("code,name,term,sis_ids\nHIST101,Modern History,2026FA,\"2026FA-HIST101-02,2026FA-HIST101-01\"\n",
                                   inst_a)
    assert again.unchanged == 1
    changed = courses.import_courses("code,name,term,sis_ids\nHIST101,Modern History,2026FA,2026FA-HIST101\n", inst_a)
    assert changed.updated == 1 and list(hist.sis_ids.values_list("sis_id", flat=True)) == ["2026FA-HIST101"]
    assert CourseSisId.objects.count() == 1
