"""LMS-1, ROLL-12: an LMS course copied for a new term (Canvas "Copy course", Moodle backup and
restore, Brightspace "Copy components", Blackboard "Copy course") has a new context id; the tool
asks for ``$Context.id.history`` / ``$ResourceLink.id.history`` (custom parameters) and a launch
whose history names an LMS course linked to an earlier course links the new course to it: its
instructor is offered the rollover copy of the earlier course's list (or given it, per the
institution's ``lms_course_copy_lists``), its students are told the list is being prepared, and
nothing crosses platforms or deployments.  Through the IMS-spec test LMS (tests/lti/platform.py),
which substitutes the variables as LTI Core §5.4.6 says."""
from __future__ import annotations

import datetime as dt

import pytest

from syllabus.core import clock
from syllabus.core.models import AuditEntry
from syllabus.courses.models import Course, Enrollment
from syllabus.lists.models import ResourceList, RolloverEntry, RolloverRun
from syllabus.lists.workflow import Visibility
from syllabus.lti import services
from syllabus.lti.models import ContextLink
from syllabus.org import config
from tests.lti.conftest import INSTRUCTOR, LEARNER

pytestmark = pytest.mark.django_db

TODAY = clock.now().date()   # the id_token is checked against the real time
NOW_TERM = {"start_date": TODAY - dt.timedelta(days=30), "end_date": TODAY + dt.timedelta(days=60)}
LAST_TERM = {"start_date": TODAY - dt.timedelta(days=300), "end_date": TODAY - dt.timedelta(days=180)}

# Canvas: a context id is the course's lti_context_id (40 hex digits), a copy gets a new one
CANVAS_OLD, CANVAS_NEW = "4dde05e8ca1973bcca9bffc13e1548820eee93a3", "0b8f6a0e3c7d4e5f9a1b2c3d4e5f60718293a4b5"
# Moodle: a context id is the course's id
MOODLE_OLD, MOODLE_NEW = "42", "57"


@pytest.fixture
def asks_history(lms, platform):
    """The tool set up in the LMS as docs/lti.md says: its custom parameters ask for the history."""
    lms.control("tool", {"custom": services.CUSTOM_PARAMETERS})
    yield
    lms.control("tool", {"custom": {}})


@pytest.fixture
def last_term(course, reading_list, platform):
    """HIST101 of last term (2026S), with its published list, linked to the LMS course it ran in."""
    Course.objects.filter(pk=course.pk).update(**LAST_TERM)
    course.refresh_from_db()
    return course


def _link(platform, course, context_id, deployment="deployment-A", label="HIST101"):
    return services.link_context(None, platform, {"id": context_id, "label": label, "title": "Modern History"}, course,
                                 deployment_id=deployment)


def _canvas(sub, roles, history, **more):
    return {"sub": sub, "roles": roles, "nrps": False,
            "context": {"id": CANVAS_NEW, "label": "HIST101", "title": "Introduction to Modern History",
                        "type": ["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"]},
            "context_history": history, "resource_link_id": "c3f1e8d2-link", "resource_link_history": ["a7b2-link"], **more}


def _moodle(sub, roles, history, **more):
    return {"sub": sub, "roles": roles, "nrps": False,
            "context": {"id": MOODLE_NEW, "label": "HIST101", "title": "Introduction to Modern History",
                        "type": ["http://purl.imsglobal.org/vocab/lis/v2/course#CourseSection"]},
            "context_history": history, "resource_link_id": "12", **more}


def _page(client, response):
    assert response.status_code == 302, response.content[:600]
    return response["Location"], client.get(response["Location"]).content.decode()


def test_canvas_copy_the_instructor_is_offered_last_terms_list_and_students_wait(client, launch, asks_history, last_term,
                                                                                  reading_list, instructor, student):
    _link(services.Platform.objects.get(), last_term, CANVAS_OLD)
    new = Course.objects.create(institution=last_term.institution, code="HIST101", name="Introduction to Modern History",
                                term="2026F", **NOW_TERM)

    # a student's launch first: the list is being prepared, and nothing of last term's is shown
    where, page = _page(client, launch(_canvas("canvas-student", [LEARNER], [CANVAS_OLD], sourcedid="student")))
    assert where == f"/lti/courses/{new.pk}/"
    assert 'data-testid="lti-no-list"' in page and "The list for this course is being prepared." in page
    assert "History readings" not in page
    link = ContextLink.objects.get(context_id=CANVAS_NEW)
    assert link.course == new and link.copied_from.context_id == CANVAS_OLD
    client.logout()

    where, page = _page(client, launch(_canvas("canvas-teacher", [INSTRUCTOR], [CANVAS_OLD], sourcedid="instructor")))
    assert where == f"/lti/courses/{new.pk}/"
    assert 'data-testid="lti-copy-earlier"' in page and "HIST101-01 (2026S)" in page
    assert not ResourceList.objects.filter(courses=new).exists()   # offered, not done

    copied = client.post(f"/lti/courses/{new.pk}/copy-earlier/")
    assert copied.status_code == 302
    copy = ResourceList.objects.get(courses=new)
    assert copy.visibility == Visibility.DRAFT and copy.title == "History readings"
    assert list(copy.citations.values_list("title", flat=True)) == ["The Making of the English Working Class"]
    entry = RolloverEntry.objects.get(copy=copy)   # the term rollover's own record (ROLL-8, ROLL-11)
    assert entry.source == reading_list and entry.to_term == "2026F" and entry.run.actor == instructor
    assert list(last_term.resource_lists.all()) == [reading_list]   # last term's list is left as it was
    page = client.get(f"/lti/courses/{new.pk}/").content.decode()
    assert 'data-testid="lti-copy-earlier"' not in page   # once
    assert client.post(f"/lti/courses/{new.pk}/copy-earlier/").status_code == 302
    assert ResourceList.objects.filter(courses=new).count() == 1 and RolloverRun.objects.count() == 1
    client.logout()

    # the student, until the instructor publishes it
    where, page = _page(client, launch(_canvas("canvas-student", [LEARNER], [CANVAS_OLD], sourcedid="student")))
    assert "waits for your instructor to check and publish it" in page
    assert Enrollment.objects.filter(course=new, user=student).exists()


def test_moodle_restore_for_a_term_syllabus_does_not_have_yet(client, launch, asks_history, last_term, instructor, student):
    """Moodle's backup and restore into a new course; the new term's course is not in Syllabus yet, and
    the label rule would find last term's HIST101: a copy is never linked to the course it came from."""
    platform = services.Platform.objects.get()
    _link(platform, last_term, MOODLE_OLD)

    page = launch(_moodle("moodle-7", [LEARNER], [MOODLE_OLD], sourcedid="student")).content.decode()
    assert "The list for this course is being prepared." in page and "History readings" not in page
    assert not ContextLink.objects.filter(context_id=MOODLE_NEW).exists()
    client.logout()

    where, page = _page(client, launch(_moodle("moodle-3", [INSTRUCTOR], [MOODLE_OLD], sourcedid="instructor")))
    assert where == "/lti/context/"
    assert 'data-testid="lti-copy-course"' in page and "HIST101-01 (2026S)" in page

    refused = client.post("/lti/context/", {"action": "copy", "term": "2026S"})
    assert refused.status_code == 400 and "ROLL-10" in refused.content.decode()   # the same term twice
    refused = client.post("/lti/context/", {"action": "copy", "term": "x" * 41})
    assert refused.status_code == 400 and "ROLL-12" in refused.content.decode()
    assert not Course.objects.filter(term__in=["2026F", "x" * 40]).exists() and not RolloverRun.objects.exists()

    done = client.post("/lti/context/", {"action": "copy", "term": "2026F", "to_term_start": (TODAY - dt.timedelta(days=30)).isoformat()})
    assert done.status_code == 302, done.content[:600]
    new = Course.objects.get(code="HIST101", term="2026F")
    assert new.start_date == TODAY - dt.timedelta(days=30)   # dates moved by the term offset (ROLL-3)
    assert ContextLink.objects.get(context_id=MOODLE_NEW).course == new
    assert ContextLink.objects.get(context_id=MOODLE_OLD).course == last_term
    copy = ResourceList.objects.get(courses=new)
    assert copy.visibility == Visibility.DRAFT and new.instructors.filter(pk=instructor.pk).exists()
    assert not Enrollment.objects.filter(course=last_term).exclude(user=student).exists()   # last term's roster untouched


def test_automatic_where_the_institution_says_so(client, launch, asks_history, last_term, inst_a):
    config.set_value("lms_course_copy_lists", "automatic", institution=inst_a)
    _link(services.Platform.objects.get(), last_term, CANVAS_OLD)
    new = Course.objects.create(institution=inst_a, code="HIST101", name="Introduction to Modern History", term="2026F",
                                **NOW_TERM)
    response = launch(_canvas("canvas-teacher", [INSTRUCTOR], ["0" * 40, CANVAS_OLD], sourcedid="instructor"))
    copy = ResourceList.objects.get(courses=new)
    assert response.status_code == 302 and response["Location"] == f"/lists/{copy.pk}/edit/"
    assert "list was copied to this course as a draft" in client.get(response["Location"]).content.decode()


def test_brightspace_sends_the_history_in_its_own_claim(client, launch, last_term):
    _link(services.Platform.objects.get(), last_term, "6606")
    new = Course.objects.create(institution=last_term.institution, code="HIST101", term="2026F", **NOW_TERM)
    spec = {"sub": "bs_169", "roles": [INSTRUCTOR], "nrps": False, "sourcedid": "instructor",
            "context": {"id": "6612", "label": "HIST101", "title": "Modern History"},
            "extensions": {services.BRIGHTSPACE: {"user_id": 169, "Context.id.history": "6606",
                                                  "ResourceLink.id.history": "1101"}}}
    where, page = _page(client, launch(spec))
    assert where == f"/lti/courses/{new.pk}/" and 'data-testid="lti-copy-earlier"' in page


def test_history_is_trusted_only_within_the_platform_and_deployment(client, launch, asks_history, last_term, inst_b):
    platform = services.Platform.objects.get()
    other_dep = Course.objects.create(institution=last_term.institution, code="HIST101", section="B", term="2026S")
    _link(platform, other_dep, "ctx-of-another-deployment", deployment="deployment-B")
    other = services.register_platform(None, inst_b, issuer="https://lms.inst-b.example", client_id="b-1",
                                       deployment_ids=["deployment-A"], auth_login_url="https://lms.inst-b.example/auth",
                                       auth_token_url="https://lms.inst-b.example/token", keyset_url="https://lms.inst-b.example/jwks")
    theirs = Course.objects.create(institution=inst_b, code="HIST101", term="2026S")
    ResourceList.objects.create(institution=inst_b, title="Their readings").courses.add(theirs)
    _link(other, theirs, CANVAS_OLD)   # the same id, another platform (another institution)
    new = Course.objects.create(institution=last_term.institution, code="HIST101", term="2026F", **NOW_TERM)

    where, page = _page(client, launch(_canvas("canvas-teacher", [INSTRUCTOR], [CANVAS_OLD, "ctx-of-another-deployment"],
                                               sourcedid="instructor")))
    assert where == f"/lti/courses/{new.pk}/"
    assert ContextLink.objects.get(context_id=CANVAS_NEW, platform=platform).copied_from is None
    assert 'data-testid="lti-copy-earlier"' not in page and "Their readings" not in page
    assert client.post(f"/lti/courses/{new.pk}/copy-earlier/").status_code == 302
    assert not ResourceList.objects.filter(courses=new).exists()


@pytest.mark.parametrize("history, note", [
    ({"set_in": {"https://purl.imsglobal.org/spec/lti/claim/custom/context_id_history": ["x"]}}, "is not a text"),
    ({"set_in": {"https://purl.imsglobal.org/spec/lti/claim/custom/context_id_history": "y" * 20_001}}, "longer than 20,000"),
    ({"context_history": ["z" * 256, CANVAS_OLD]}, "longer than 255 characters"),
    ({"context_history": ["a\x00b", CANVAS_OLD]}, "control characters"),
    ({"context_history": [f"old-{n}" for n in range(20)] + [CANVAS_OLD]}, "names 21 ids: only the 20 most recent"),
])
def test_a_bad_history_refuses_nothing_and_is_noted(client, launch, asks_history, last_term, history, note):
    platform = services.Platform.objects.get()
    _link(platform, last_term, CANVAS_OLD)
    new = Course.objects.create(institution=last_term.institution, code="HIST101", term="2026F", **NOW_TERM)
    spec = _canvas("canvas-teacher", [INSTRUCTOR], history.get("context_history", []), sourcedid="instructor")
    if "set_in" in history:
        spec["tamper"] = {"set_in": history["set_in"]}
    where, page = _page(client, launch(spec))
    assert where == f"/lti/courses/{new.pk}/"
    [entry] = AuditEntry.objects.filter(action="LMS course copy history ignored")
    assert note in entry.note
    linked = ContextLink.objects.get(context_id=CANVAS_NEW).copied_from
    # a bad id is dropped, the good one after it is read; past the 20 most recent nothing is read
    assert (linked is not None) == (note in ("longer than 255 characters", "control characters"))


def test_a_platform_without_the_variable_sends_it_as_written(client, launch, asks_history, last_term):
    _link(services.Platform.objects.get(), last_term, CANVAS_OLD)
    new = Course.objects.create(institution=last_term.institution, code="HIST101", term="2026F", **NOW_TERM)
    spec = _canvas("canvas-teacher", [INSTRUCTOR], [CANVAS_OLD], sourcedid="instructor",
                   unsupported_variables=["Context.id.history", "ResourceLink.id.history"])
    where, _ = _page(client, launch(spec))
    assert where == f"/lti/courses/{new.pk}/"
    assert ContextLink.objects.get(context_id=CANVAS_NEW).copied_from is None
    assert not AuditEntry.objects.filter(action="LMS course copy history ignored").exists()


def test_a_copied_placement_opens_this_terms_copy_of_its_list(client, launch, asks_history, last_term, reading_list):
    _link(services.Platform.objects.get(), last_term, CANVAS_OLD)
    new = Course.objects.create(institution=last_term.institution, code="HIST101", term="2026F", **NOW_TERM)
    spec = _canvas("canvas-teacher", [INSTRUCTOR], [CANVAS_OLD], sourcedid="instructor",
                   custom={"syllabus_target": f"list:{reading_list.pk}"})
    launch(spec)
    assert client.post(f"/lti/courses/{new.pk}/copy-earlier/").status_code == 302
    copy = ResourceList.objects.get(courses=new)
    response = launch(spec)
    assert response["Location"] == f"/lists/{copy.pk}/"


def test_only_an_instructor_of_the_course_takes_the_copy(client, launch, asks_history, last_term):
    _link(services.Platform.objects.get(), last_term, CANVAS_OLD)
    new = Course.objects.create(institution=last_term.institution, code="HIST101", term="2026F", **NOW_TERM)
    launch(_canvas("canvas-student", [LEARNER], [CANVAS_OLD], sourcedid="student"))
    assert client.post(f"/lti/courses/{new.pk}/copy-earlier/").status_code == 302
    assert not ResourceList.objects.filter(courses=new).exists() and not RolloverRun.objects.exists()


def test_automatic_leaves_a_course_that_has_its_own_list_alone(client, launch, asks_history, last_term, inst_a, instructor):
    from syllabus.lists import services as lists

    config.set_value("lms_course_copy_lists", "automatic", institution=inst_a)
    _link(services.Platform.objects.get(), last_term, CANVAS_OLD)
    new = Course.objects.create(institution=inst_a, code="HIST101", term="2026F", **NOW_TERM)
    new.instructors.add(instructor)
    own = lists.create_list(instructor, title="A new start", courses=[new])
    response = launch(_canvas("canvas-teacher", [INSTRUCTOR], [CANVAS_OLD], sourcedid="instructor"))
    assert response.status_code == 302 and list(ResourceList.objects.filter(courses=new)) == [own]
    assert not RolloverRun.objects.exists()
    page = client.get(f"/lti/courses/{new.pk}/").content.decode()
    assert 'data-testid="lti-copy-earlier"' in page   # still offered


def test_a_bad_history_is_noted_once_a_day_per_platform(client, launch, asks_history, last_term, admin_user):
    """ROLL-12: a platform that sends a bad history sends it on every launch: its trail says what is
    wrong once a day, not once a launch, and its administration page shows the latest."""
    platform = services.Platform.objects.get()
    _link(platform, last_term, CANVAS_OLD)
    Course.objects.create(institution=last_term.institution, code="HIST101", term="2026F", **NOW_TERM)
    bad = _canvas("canvas-student", [LEARNER], ["a\x00b", CANVAS_OLD], sourcedid="student")
    for _ in range(3):
        assert launch(bad).status_code == 302
        client.logout()
    [entry] = AuditEntry.objects.filter(action=services.HISTORY_IGNORED)
    assert "control characters" in entry.note and "noted once a day" in entry.note
    client.force_login(admin_user)
    page = client.get(f"/admin/lti/platform/{platform.pk}/change/").content.decode()
    assert "control characters: ignored" in page and "Course-copy history (ROLL-12)" in page
    client.logout()
    AuditEntry.objects.filter(pk=entry.pk).update(at=clock.now() - dt.timedelta(days=1))   # yesterday's note
    assert launch(bad).status_code == 302
    assert AuditEntry.objects.filter(action=services.HISTORY_IGNORED).count() == 2


@pytest.mark.parametrize("kind", ["section", "item"])
def test_a_copied_placement_of_a_section_or_item_opens_the_same_place_in_the_copy(client, launch, asks_history, last_term,
                                                                                  reading_list, kind):
    _link(services.Platform.objects.get(), last_term, CANVAS_OLD)
    new = Course.objects.create(institution=last_term.institution, code="HIST101", term="2026F", **NOW_TERM)
    old = reading_list.week2 if kind == "section" else reading_list.citations.get()
    spec = _canvas("canvas-teacher", [INSTRUCTOR], [CANVAS_OLD], sourcedid="instructor",
                   custom={"syllabus_target": f"{kind}:{old.pk}"})
    launch(spec)
    assert client.post(f"/lti/courses/{new.pk}/copy-earlier/").status_code == 302
    copy = ResourceList.objects.get(courses=new)
    same = copy.sections.get(title="Week 2") if kind == "section" else copy.citations.get()
    assert same.pk != old.pk
    assert launch(spec)["Location"] == f"/lists/{copy.pk}/#{kind}-{same.pk}"


@pytest.mark.parametrize("context_history", [True, False])
def test_a_copied_placement_never_opens_last_terms_list(client, launch, asks_history, last_term, reading_list,
                                                        context_history):
    """Before the instructor has taken the copy, a placement copied with the LMS course (it names last
    term's list) opens this course — its instructor is offered the copy, its students wait — never
    last term's list, which its instructor still owns and could edit by mistake.  Known as a copy by
    the LMS course's history, or by the link's $ResourceLink.id.history alone (an LMS that does not
    substitute $Context.id.history)."""
    _link(services.Platform.objects.get(), last_term, CANVAS_OLD)
    new = Course.objects.create(institution=last_term.institution, code="HIST101", term="2026F", **NOW_TERM)
    # known by the LMS course's history alone (no link history), or by the link's alone
    unsupported = [] if context_history else ["Context.id.history"]
    links = {"resource_link_history": []} if context_history else {}
    target = {"syllabus_target": f"list:{reading_list.pk}"}
    where, page = _page(client, launch(_canvas("canvas-teacher", [INSTRUCTOR], [CANVAS_OLD], sourcedid="instructor",
                                               custom=target, unsupported_variables=unsupported, **links)))
    assert where == f"/lti/courses/{new.pk}/"
    assert ('data-testid="lti-copy-earlier"' in page) is context_history
    client.logout()
    where, page = _page(client, launch(_canvas("canvas-student", [LEARNER], [CANVAS_OLD], sourcedid="student",
                                               custom=target, unsupported_variables=unsupported, **links)))
    assert where == f"/lti/courses/{new.pk}/" and "History readings" not in page


def test_a_placement_not_copied_keeps_its_target(client, launch, asks_history, last_term, reading_list):
    """Without a history, a target of another course is opened as before (its own access checks)."""
    Course.objects.create(institution=last_term.institution, code="HIST101", term="2026F", **NOW_TERM)
    response = launch(_canvas("canvas-teacher", [INSTRUCTOR], [], sourcedid="instructor", resource_link_history=[],
                              custom={"syllabus_target": f"list:{reading_list.pk}"}))
    assert response["Location"] == f"/lists/{reading_list.pk}/"
