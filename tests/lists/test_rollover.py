"""Term rollover (issue 15, acceptance 5): each rule ROLL-1..11 by a test, a second run creates
nothing, and a dry run changes nothing.  Through the verb ``roll_over_lists``; the command, the
API and the page have their own tests in test_rollover_entry_points.py."""
from __future__ import annotations

import datetime as dt

import pytest

from syllabus.core.errors import RuleViolation
from syllabus.courses.models import Course
from syllabus.lists import services
from syllabus.lists.models import Citation, ResourceList, RolloverEntry, RolloverRun, Section
from syllabus.lists.rollover import RECHECK_TAG, roll_over_lists
from tests.factories import CourseFactory

from .conftest import ARTICLE, BOOK, WEBSITE

pytestmark = pytest.mark.django_db

SPRING, FALL = "2026S", "2026F"


@pytest.fixture
def spring(inst_a, instructor, student):
    from syllabus.courses.models import Enrollment

    c = CourseFactory(institution=inst_a, code="HIST101", section="01", name="Introduction to Modern History", term=SPRING,
                      department="History", start_date=dt.date(2026, 1, 12), end_date=dt.date(2026, 5, 8))
    c.instructors.add(instructor)
    Enrollment.objects.create(course=c, user=student)
    return c


@pytest.fixture
def spring_list(instructor, spring):
    """A published list sent to the library and complete, three sections, notes, dates."""
    lst = services.create_list(instructor, title="HIST101 readings", courses=[spring])
    week1 = services.add_section(instructor, lst, title="Week 1", start_date=dt.date(2026, 1, 12), end_date=dt.date(2026, 1, 18))
    week2 = services.add_section(instructor, lst, title="Week 2", start_date=dt.date(2026, 1, 19))
    extra = services.add_section(instructor, lst, title="Further reading")
    services.add_citation(instructor, lst, week1, "book", dict(BOOK), tags=["essential"], public_note="Read chapter 1",
                          library_note="we own a print copy")
    services.add_citation(instructor, lst, week1, "article", dict(ARTICLE))
    services.add_citation(instructor, lst, week2, "website", dict(WEBSITE), public_note="Browse")
    services.add_citation(instructor, lst, extra, "book", {"title": "Middlemarch"})
    services.move_section(instructor, extra, 0)  # order: Further reading, Week 1, Week 2
    return lst


def _roll(librarian, inst_a, **kw):
    kw.setdefault("from_term", SPRING)
    kw.setdefault("to_term", FALL)
    kw.setdefault("to_term_start", dt.date(2026, 9, 7))
    return roll_over_lists(librarian, inst_a, **kw)


def _copy(report) -> ResourceList:
    [item] = [r for r in report.lists if r.copy_id]
    return ResourceList.objects.get(pk=item.copy_id)


def _layout(lst: ResourceList) -> list:
    return [(s.title, [c.title for c in s.citations.order_by("position", "id")]) for s in lst.sections.order_by("position", "id")]


def _counts() -> dict:
    from syllabus.core.models import AuditEntry
    from syllabus.fulfillment.models import DigitizationRequest

    return {m.__name__: m.objects.count() for m in (ResourceList, Section, Citation, Course, RolloverRun, RolloverEntry,
                                                    AuditEntry, DigitizationRequest)}


# --- ROLL-1 courses -------------------------------------------------------------------------

def test_roll_1_the_new_terms_course_is_created_with_the_same_code_and_section(librarian, inst_a, spring, spring_list,
                                                                               instructor):
    report = _roll(librarian, inst_a)
    fall = Course.objects.get(institution=inst_a, term=FALL)
    assert (fall.code, fall.section, fall.name, fall.department) == ("HIST101", "01", spring.name, "History")
    assert list(fall.instructors.all()) == [instructor]
    assert list(_copy(report).courses.all()) == [fall]
    assert report.lists[0].courses_created == ["HIST101-01"] and report.courses_created == 1


def test_roll_1_an_existing_course_of_the_new_term_is_used(librarian, inst_a, spring, spring_list):
    fall = CourseFactory(institution=inst_a, code="HIST101", section="01", name="Modern History (fall)", term=FALL,
                         start_date=dt.date(2026, 9, 14))
    other_section = CourseFactory(institution=inst_a, code="HIST101", section="02", term=FALL)
    report = _roll(librarian, inst_a, to_term_start=None)
    assert list(_copy(report).courses.all()) == [fall]
    assert report.courses_created == 0 and Course.objects.filter(term=FALL).count() == 2
    assert not other_section.resource_lists.exists()


def test_roll_1_a_list_of_two_old_courses_is_copied_once_to_both_new_ones(librarian, inst_a, instructor, spring):
    second = CourseFactory(institution=inst_a, code="HIST101", section="02", term=SPRING, start_date=dt.date(2026, 1, 12))
    second.instructors.add(instructor)
    services.create_list(instructor, title="Shared readings", courses=[spring, second])
    report = _roll(librarian, inst_a)
    assert report.lists_copied == 1
    assert sorted(c.section for c in _copy(report).courses.all()) == ["01", "02"]
    assert all(c.term == FALL for c in _copy(report).courses.all())


def test_roll_1_lists_of_other_terms_and_institutions_stay(librarian, inst_a, inst_b, instructor, make_user, spring_list):
    summer = CourseFactory(institution=inst_a, code="HIST200", term="2026U")
    summer.instructors.add(instructor)
    services.create_list(instructor, title="Summer list", courses=[summer])
    services.create_list(instructor, title="No course list")
    b_course = CourseFactory(institution=inst_b, code="HIST101", section="01", term=SPRING)
    b_teacher = make_user("bteacher", institution=inst_b)
    b_course.instructors.add(b_teacher)
    services.create_list(b_teacher, title="Other institution", courses=[b_course])
    report = _roll(librarian, inst_a)
    assert [r.title for r in report.lists] == ["HIST101 readings"]


# --- ROLL-2 sections and order ------------------------------------------------------------------

def test_roll_2_the_copy_keeps_sections_items_and_their_order(librarian, inst_a, spring_list):
    report = _roll(librarian, inst_a)
    copy = _copy(report)
    assert _layout(copy) == _layout(spring_list) == [
        ("Further reading", ["Middlemarch"]),
        ("Week 1", [BOOK["title"], ARTICLE["title"]]),
        ("Week 2", [WEBSITE["title"]]),
    ]
    book = copy.citations.get(title=BOOK["title"])
    assert book.metadata == spring_list.citations.get(title=BOOK["title"]).metadata and book.tags == ["essential"] and book.formatted
    assert report.lists[0].items_copied == 4
    assert all(c.section.resource_list_id == copy.pk for c in copy.citations.all())


# --- ROLL-3 dates --------------------------------------------------------------------------------

def test_roll_3_section_and_course_dates_move_by_the_term_offset(librarian, inst_a, spring, spring_list):
    report = _roll(librarian, inst_a, to_term_start=dt.date(2026, 9, 7))  # spring starts 2026-01-12: +238 days
    assert report.offset_days == 238
    copy = _copy(report)
    week1, week2 = copy.sections.get(title="Week 1"), copy.sections.get(title="Week 2")
    assert (week1.start_date, week1.end_date) == (dt.date(2026, 9, 7), dt.date(2026, 9, 13))
    assert (week2.start_date, week2.end_date) == (dt.date(2026, 9, 14), None)
    assert copy.sections.get(title="Further reading").start_date is None
    fall = copy.courses.get()
    assert (fall.start_date, fall.end_date) == (dt.date(2026, 9, 7), dt.date(2027, 1, 1))


def test_roll_3_the_offset_comes_from_the_new_terms_courses(librarian, inst_a, spring, spring_list):
    CourseFactory(institution=inst_a, code="ANY100", term=FALL, start_date=dt.date(2026, 1, 19))  # one week later
    report = _roll(librarian, inst_a, to_term_start=None)
    assert report.offset_days == 7
    assert _copy(report).sections.get(title="Week 1").start_date == dt.date(2026, 1, 19)


def test_roll_3_without_the_new_terms_start_dates_cannot_move_and_nothing_runs(librarian, inst_a, spring_list):
    before = _counts()
    with pytest.raises(RuleViolation) as exc:
        _roll(librarian, inst_a, to_term_start=None)
    assert exc.value.rule == "ROLL-3" and "start date" in exc.value.detail
    assert _counts() == before


# --- ROLL-4 notes ----------------------------------------------------------------------------------

def test_roll_4_notes_are_kept_by_default(librarian, inst_a, spring_list):
    book = _copy(_roll(librarian, inst_a)).citations.get(title=BOOK["title"])
    assert (book.public_note, book.library_note) == ("Read chapter 1", "we own a print copy")


def test_roll_4_notes_are_cleared_on_request(librarian, inst_a, spring_list):
    copy = _copy(_roll(librarian, inst_a, keep_notes=False))
    assert set(copy.citations.values_list("public_note", "library_note")) == {("", "")}
    assert spring_list.citations.get(title=BOOK["title"]).public_note == "Read chapter 1"  # the source keeps them


# --- ROLL-5 digitization and copyright clearance ---------------------------------------------------------

@pytest.fixture
def digitized(instructor, spring_list, inst_a, library_a):
    """An item of the list with a digitization request (DIG-1), through the real service."""
    from syllabus.catalog.models import Item, Record
    from syllabus.fulfillment.citations import request_digitization

    rec = Record.objects.create(institution=inst_a, source_id="mm", title="Middlemarch")
    Item.objects.create(record=rec, library=library_a, barcode="M0001")
    citation = spring_list.citations.get(title="Middlemarch")
    citation.record = rec
    citation.save()
    request_digitization(instructor, citation, {"chapters": "1", "page_ranges": [{"from": 1, "to": 20}]})
    return citation


def test_roll_5_items_with_digitization_are_marked_recheck_and_their_requests_stay_behind(librarian, inst_a, digitized):
    from syllabus.fulfillment.models import DigitizationRequest

    report = _roll(librarian, inst_a)
    copy = _copy(report)
    moved = copy.citations.get(title="Middlemarch")
    assert RECHECK_TAG in moved.tags and moved.record_id == digitized.record_id
    assert not DigitizationRequest.objects.filter(citation=moved).exists()
    assert DigitizationRequest.objects.filter(citation=digitized).count() == 1
    assert [c.title for c in copy.citations.all() if RECHECK_TAG in c.tags] == ["Middlemarch"]
    assert report.lists[0].items_recheck == 1


def test_roll_5_a_cleared_copyright_status_starts_over(librarian, inst_a, spring_list):
    article = spring_list.citations.get(title=ARTICLE["title"])
    Citation.objects.filter(pk=article.pk).update(copyright_status="approved")  # as a clearance left it (DIG-2)
    moved = _copy(_roll(librarian, inst_a)).citations.get(title=ARTICLE["title"])
    assert moved.copyright_status == "" and RECHECK_TAG in moved.tags


def test_roll_5_librarians_see_and_filter_the_items_to_recheck(api, librarian, inst_a, digitized, instructor):
    copy = _copy(_roll(librarian, inst_a))
    services.send_list(instructor, copy)
    r = api(librarian).get("/api/v1/librarian/lists", {"tab": "unassigned", "item_status": RECHECK_TAG})
    assert [row["id"] for row in r.json()["items"]] == [copy.pk]
    body = api(librarian).get(f"/api/v1/lists/{copy.pk}").json()
    tagged = [c["metadata"]["title"] for s in body["sections"] for c in s["citations"] if RECHECK_TAG in c["tags"]]
    assert tagged == ["Middlemarch"]
    # an instructor cannot remove the system tag; the library can, once re-checked (LST-3)
    moved = copy.citations.get(title="Middlemarch")
    services.update_citation(instructor, moved, tags=[])
    assert Citation.objects.get(pk=moved.pk).tags == [RECHECK_TAG]
    services.update_citation(librarian, moved, tags=[])
    assert Citation.objects.get(pk=moved.pk).tags == []


# --- ROLL-6 personal copies --------------------------------------------------------------------------

def test_roll_6_personal_copies_are_not_copied_and_are_reported(librarian, inst_a, instructor, spring_list):
    mm = spring_list.citations.get(title="Middlemarch")
    services.update_citation(instructor, mm, personal_copy=True)
    report = _roll(librarian, inst_a)
    assert not _copy(report).citations.filter(title="Middlemarch").exists()
    assert report.lists[0].items_copied == 3
    assert report.lists[0].skipped == [{"citation_id": mm.pk, "title": "Middlemarch", "reason": "personal copy: not copied (ROLL-6)"}]


# --- ROLL-7 the copy starts again ----------------------------------------------------------------------

def test_roll_7_the_copy_is_a_draft_being_prepared_until_the_instructor_publishes(librarian, inst_a, instructor, spring_list,
                                                                                  make_user, client):
    services.publish_list(instructor, spring_list)
    services.send_list(instructor, spring_list)
    services.assign_list(librarian, spring_list, "librarian")
    services.set_list_status(librarian, spring_list, "complete")
    copy = _copy(_roll(librarian, inst_a))
    assert (copy.status, copy.visibility, copy.assignee, copy.sent_at, copy.published_at) == (
        "being_prepared", "draft", None, None, None)
    assert not copy.tasks.exists()
    statuses = dict(copy.citations.values_list("title", "status"))
    assert statuses == {BOOK["title"]: "being_prepared", ARTICLE["title"]: "being_prepared", "Middlemarch": "being_prepared",
                        WEBSITE["title"]: "complete"}  # LST-5: a website needs no library action
    assert list(copy.owners.all()) == [instructor]
    # a student of the new course does not see it until the instructor publishes it
    from syllabus.courses.models import Enrollment

    newcomer = make_user("newcomer")
    Enrollment.objects.create(course=copy.courses.get(), user=newcomer)
    client.force_login(newcomer)
    assert client.get(f"/lists/{copy.pk}/").status_code == 404
    services.publish_list(instructor, copy)
    assert client.get(f"/lists/{copy.pk}/").status_code == 200


# --- ROLL-8 idempotent -------------------------------------------------------------------------------------

def test_roll_8_a_second_run_creates_nothing(librarian, inst_a, spring_list, digitized):
    first = _roll(librarian, inst_a)
    assert first.lists_copied == 1
    before = _counts()
    second = _roll(librarian, inst_a)
    after = _counts()
    assert second.lists_copied == 0 and second.lists_already_copied == 1 and second.lists == []
    changed = {k: after[k] - before[k] for k in after if after[k] != before[k]}
    assert changed == {"RolloverRun": 1, "AuditEntry": 1}  # the run itself, and its audit entry


def test_roll_8_a_bounded_run_goes_on_where_the_last_stopped(librarian, inst_a, instructor, spring):
    for n in range(5):
        services.create_list(instructor, title=f"List {n}", courses=[spring])
    first = _roll(librarian, inst_a, max_lists=2)
    assert [r.title for r in first.lists] == ["List 0", "List 1"] and first.lists_remaining == 3
    second = _roll(librarian, inst_a, max_lists=2)
    assert [r.title for r in second.lists] == ["List 2", "List 3"] and second.lists_already_copied == 2
    third = _roll(librarian, inst_a, max_lists=2)
    assert [r.title for r in third.lists] == ["List 4"] and third.lists_remaining == 0
    assert ResourceList.objects.filter(courses__term=FALL).count() == 5


def test_roll_8_the_database_refuses_a_second_copy_of_a_list(librarian, inst_a, spring_list):
    from django.db import IntegrityError, transaction

    _roll(librarian, inst_a)
    run = RolloverRun.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        RolloverEntry.objects.create(run=run, to_term=FALL, source=spring_list, source_title="x", outcome="copied")


# --- ROLL-9 dry run ---------------------------------------------------------------------------------------

def test_roll_9_a_dry_run_reports_what_would_happen_and_changes_nothing(librarian, inst_a, spring_list, digitized, instructor):
    before = _counts()
    dry = _roll(librarian, inst_a, dry_run=True)
    assert _counts() == before
    assert dry.run_id is None and dry.lists_copied == 1
    [item] = dry.lists
    assert (item.outcome, item.copy_id, item.courses_created, item.items_copied, item.items_recheck) == (
        "would_copy", None, ["HIST101-01"], 4, 1)
    real = _roll(librarian, inst_a)
    [done] = real.lists
    assert (done.outcome, done.courses_created, done.items_copied, done.items_recheck) == ("copied", ["HIST101-01"], 4, 1)


def test_roll_9_a_dry_run_counts_a_new_course_once(librarian, inst_a, instructor, spring):
    services.create_list(instructor, title="A", courses=[spring])
    services.create_list(instructor, title="B", courses=[spring])
    dry = _roll(librarian, inst_a, dry_run=True)
    assert dry.courses_created == 1 and dry.lists_copied == 2


# --- ROLL-10 who and bounds ----------------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["student", "instructor", "admin_user"])
def test_roll_10_only_course_reserves_operators_roll_over(request, who, inst_a, spring_list):
    user = request.getfixturevalue(who)
    before = _counts()
    with pytest.raises(RuleViolation) as exc:
        _roll(user, inst_a)
    assert exc.value.rule == "ROLL-10" and exc.value.status == 403
    assert _counts() == before


def test_roll_10_another_institutions_librarian_is_refused(make_user, inst_a, inst_b, spring_list):
    from syllabus.org.roles import Role

    other = make_user("blib", institution=inst_b, roles=[Role.COURSE_RESERVES_OPERATOR])
    with pytest.raises(RuleViolation) as exc:
        _roll(other, inst_a)
    assert exc.value.rule == "ROLL-10"


@pytest.mark.parametrize("kw,field", [
    ({"from_term": " "}, "from_term"), ({"to_term": SPRING}, "to_term"), ({"to_term": "x" * 41}, "to_term"),
    ({"max_lists": 0}, "max_lists"), ({"max_lists": 501}, "max_lists"),
    ({"to_term_start": dt.date(2040, 1, 1)}, "to_term_start"),
])
def test_roll_10_bad_input_is_refused_by_name(librarian, inst_a, spring_list, kw, field):
    with pytest.raises(RuleViolation) as exc:
        _roll(librarian, inst_a, **kw)
    assert exc.value.field == field and exc.value.rule in ("ROLL-10", "ROLL-3")


# --- ROLL-11 report and audit ------------------------------------------------------------------------------------

def test_roll_11_the_run_and_each_list_are_reported_and_audited(librarian, inst_a, spring_list):
    from syllabus.core import audit

    report = _roll(librarian, inst_a)
    copy = _copy(report)
    run = RolloverRun.objects.get(pk=report.run_id)
    assert (run.from_term, run.to_term, run.lists_copied, run.items_copied, run.courses_created, run.actor) == (
        SPRING, FALL, 1, 4, 1, librarian)
    entry = run.entries.get()
    assert (entry.source, entry.copy, entry.outcome, entry.items_copied, entry.courses) == (
        spring_list, copy, "copied", 4, "HIST101-01")
    [made] = audit.trail(copy)
    assert made.action == "created" and made.actor == librarian and f"list #{spring_list.pk}" in made.note
    assert audit.trail(spring_list).first().action == "rolled over"
    assert audit.trail(run).first().note.startswith(f"{SPRING} → {FALL}: 1 lists copied")
    assert audit.trail(copy.courses.get()).first().action == "created"


def test_roll_11_a_file_is_copied_so_that_the_copy_never_shares_it(librarian, inst_a, instructor, spring_list,
                                                                   django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    doc = services.add_citation(instructor, spring_list, None, "document", {"title": "Lecture reader"})
    services.attach_file(instructor, doc, SimpleUploadedFile("r.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf"))
    doc.refresh_from_db()
    moved = _copy(_roll(librarian, inst_a)).citations.get(title="Lecture reader")
    assert moved.file.name and moved.file.name != doc.file.name and moved.file_name == "r.pdf"
    copied_name = moved.file.name
    with django_capture_on_commit_callbacks(execute=True):
        services.remove_file(instructor, moved)
    assert not moved.file.storage.exists(copied_name)
    doc.refresh_from_db()
    assert doc.file.storage.exists(doc.file.name)


# --- one transaction per list ----------------------------------------------------------------------------

def test_a_list_that_cannot_be_copied_is_reported_by_rule_and_the_others_are_copied(librarian, inst_a, instructor, spring,
                                                                                    spring_list):
    odd = services.create_list(instructor, title="A list from the far future", courses=[spring])
    services.add_section(instructor, odd, title="Someday", start_date=dt.date(9999, 12, 1))
    dry = _roll(librarian, inst_a, dry_run=True)
    assert [(r.title, r.outcome, r.rule) for r in dry.lists] == [
        ("HIST101 readings", "would_copy", ""), ("A list from the far future", "failed", "ROLL-3")]
    report = _roll(librarian, inst_a)
    failed = report.lists[1]
    assert (failed.outcome, failed.rule, failed.copy_id) == ("failed", "ROLL-3", None)
    assert "section 'Someday' starts (9999-12-01) cannot move by 238 days" in failed.detail
    assert report.lists[0].outcome == "copied" and report.lists_failed == 1
    assert ResourceList.objects.filter(title="A list from the far future").count() == 1  # nothing half-copied
    entry = RolloverEntry.objects.get(outcome="failed")
    assert (entry.source, entry.rule) == (odd, "ROLL-3")
    # fixed, the next run copies it (a failure is not a copy, ROLL-8)
    services.update_section(instructor, odd.sections.get(), start_date=dt.date(2026, 2, 2))
    again = _roll(librarian, inst_a)
    assert [(r.title, r.outcome) for r in again.lists] == [("A list from the far future", "copied")]
