"""Personal copies (SRV-1; issue 12 acceptance 5) and reading progress (done / undo; instructors
see counts, never names)."""
from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from syllabus.circulation import services
from syllabus.circulation.models import PersonalCopy, ReadingMark
from syllabus.core.errors import RuleViolation
from syllabus.lists.models import LibrarianTask
from syllabus.notify.models import OutboxMessage

pytestmark = pytest.mark.django_db

BOOK = {"title": "Middlemarch", "author": [{"family": "Eliot", "given": "George"}]}


def test_a_non_owner_is_refused(published, instructor, make_user, api):
    """SRV-1: the personal copy belongs to one of the list's owners, else a validation error."""
    lst, section = published
    r = api(instructor).post(f"/api/v1/lists/{lst.pk}/citations",
                             {"section_id": section.pk, "type": "book", "metadata": BOOK,
                              "personal_copy": True, "personal_copy_owner": "Somebody Else"})
    assert r.status_code == 400 and r.json()["rule"] == "SRV-1" and "not an owner" in r.json()["detail"]
    assert not PersonalCopy.objects.exists() and not OutboxMessage.objects.filter(letter="personal_copy_bring").exists()


def test_a_type_the_library_does_not_take_is_refused(published, instructor, inst_a, api):
    from syllabus.org import config

    lst, section = published
    config.set_value("personal_copy_item_types", ["book"], institution=inst_a)
    r = api(instructor).post(f"/api/v1/lists/{lst.pk}/citations",
                             {"section_id": section.pk, "type": "article", "metadata": {"title": "An article"},
                              "personal_copy": True, "personal_copy_owner": "instructor"})
    assert r.status_code == 400 and r.json()["rule"] == "SRV-1" and "does not take personal copies" in r.json()["detail"]


def test_letter_reserve_return_and_the_term_end_task(published, instructor, reserves, library_a, course, api, clock):
    """SRV-1: the owner is told to bring the copy (a letter); staff record it received (on reserve,
    shown in the item's availability), a task appears when the course ends, return closes it."""
    from syllabus.core.tasks import run_tick

    course.end_date = dt.date(2026, 6, 30)
    course.save()
    lst, section = published
    r = api(instructor).post(f"/api/v1/lists/{lst.pk}/citations",
                             {"section_id": section.pk, "type": "book", "metadata": BOOK, "personal_copy": True,
                              "personal_copy_owner": instructor.get_full_name()})
    assert r.status_code == 201, r.json()
    assert r.json()["personal_copy_owner"] == "instructor"
    cid = r.json()["id"]
    letter = OutboxMessage.objects.get(letter="personal_copy_bring", channel="email")
    assert letter.recipient == instructor and "Middlemarch" in letter.subject and "bring" in letter.subject.lower()
    pc = PersonalCopy.objects.get(citation_id=cid)
    assert pc.status == "expected" and pc.owner == instructor and pc.return_due == dt.date(2026, 6, 30)

    services.receive_personal_copy(reserves, cid, library=library_a, barcode="PC-1", location="Reserve desk", call_number="PR4662")
    body = api(instructor).get(f"/api/v1/lists/{lst.pk}").json()
    physical = body["sections"][0]["citations"][0]["access"]["physical"]
    assert physical == [{"library": library_a.code, "library_name": library_a.name, "location": "Reserve desk",
                         "call_number": "PR4662", "available": 1, "total": 1, "reserve": True, "personal_copy": True,
                         "unavailable": {}, "digital_back": None,
                         "on_order_expected": None}]
    assert run_tick(clock.now())["circulation"] == 0
    clock.advance(dt.timedelta(days=121))  # 2026-07-01: the course has ended
    assert run_tick(clock.now())["circulation"] == 1
    assert run_tick(clock.now())["circulation"] == 0   # once
    task = LibrarianTask.objects.get(kind=services.PERSONAL_COPY_TASK, resolved_at__isnull=True)
    assert task.citation_id == cid and "return the personal copy" in task.detail_text
    services.return_personal_copy(reserves, cid)
    assert PersonalCopy.objects.get(citation_id=cid).status == "returned"
    task.refresh_from_db()
    assert task.resolved_at is not None


def test_receiving_is_for_reserves_staff_and_once(published, instructor, reserves, student, library_a):
    from syllabus.lists import services as lists

    lst, section = published
    c = lists.add_citation(instructor, lst, section, "book", BOOK, personal_copy=True)
    with pytest.raises(RuleViolation) as exc:
        services.receive_personal_copy(student, c.pk, library=library_a)
    assert exc.value.status == 404
    services.receive_personal_copy(reserves, c.pk, library=library_a)
    with pytest.raises(RuleViolation) as exc:
        services.receive_personal_copy(reserves, c.pk, library=library_a)
    assert exc.value.rule == "SRV-1" and exc.value.status == 409


def test_unticking_the_personal_copy_withdraws_the_expected_copy(published, instructor, api):
    lst, section = published
    cid = api(instructor).post(f"/api/v1/lists/{lst.pk}/citations",
                               {"section_id": section.pk, "type": "book", "metadata": BOOK, "personal_copy": True}).json()["id"]
    assert api(instructor).patch(f"/api/v1/citations/{cid}", {"personal_copy": False}).status_code == 200
    assert PersonalCopy.objects.get(citation_id=cid).status == "withdrawn"


def test_staff_page_lists_expected_copies(published, instructor, reserves, student, client):
    from syllabus.lists import services as lists

    lst, section = published
    lists.add_citation(instructor, lst, section, "book", BOOK, personal_copy=True)
    client.force_login(reserves)
    page = client.get(reverse("circulation:personal-copies")).content.decode()
    assert "Middlemarch" in page and "Received: put on reserve" in page
    client.force_login(student)
    assert client.get(reverse("circulation:personal-copies")).status_code == 403


def test_each_copy_links_to_a_page_its_reader_may_open(published, instructor, reserves, make_user, client):
    """The item's link goes to the list's library page at the item's row (``litem-``) for those who
    process lists; the institution's General System Administrator, who handles personal copies but
    not lists (LST-7), sees the title without a link into a 404 (session 17, the demo's ``admin``)."""
    from syllabus.lists import services as lists
    from syllabus.org.roles import Role

    lst, section = published
    citation = lists.add_citation(instructor, lst, section, "book", BOOK, personal_copy=True)
    client.force_login(reserves)
    page = client.get(reverse("circulation:personal-copies")).content.decode()
    link = f'{reverse("lists:library", args=[lst.pk])}#litem-{citation.pk}'
    assert f'href="{link}"' in page
    assert client.get(reverse("lists:library", args=[lst.pk])).content.decode().count(f'id="litem-{citation.pk}"') == 1
    admin = make_user("gsa", group="staff", roles=[Role.GENERAL_SYSTEM_ADMINISTRATOR])
    client.force_login(admin)
    page = client.get(reverse("circulation:personal-copies")).content.decode()
    assert "Middlemarch" in page and reverse("lists:library", args=[lst.pk]) not in page


# --- reading progress ------------------------------------------------------------------------------

def test_done_and_undo_with_counts_never_names(published, instructor, student, make_user, course, api, client):
    from syllabus.courses.models import Enrollment
    from syllabus.lists import services as lists

    lst, section = published
    a = lists.add_citation(instructor, lst, section, "book", BOOK)
    b = lists.add_citation(instructor, lst, section, "website", {"title": "A site", "URL": "https://example.org/"})
    peer = make_user("peer", first_name="Petra", last_name="Peer")
    Enrollment.objects.create(course=course, user=peer)
    assert api(student).put(f"/api/v1/citations/{a.pk}/done").json() == {"citation_id": a.pk, "done": True}
    assert api(student).put(f"/api/v1/citations/{a.pk}/done").status_code == 200   # twice is once
    assert api(peer).put(f"/api/v1/citations/{a.pk}/done").status_code == 200
    assert ReadingMark.objects.filter(citation=a).count() == 2
    mine = {c["id"]: c["access"]["mine"]["done"] for c in api(student).get(f"/api/v1/lists/{lst.pk}").json()["sections"][0]["citations"]}
    assert mine == {a.pk: True, b.pk: False}
    # students see no counts; instructors see counts and no names
    assert "done_count" not in api(student).get(f"/api/v1/citations/{a.pk}").json()["access"]
    assert api(instructor).get(f"/api/v1/citations/{a.pk}").json()["access"]["done_count"] == 2
    client.force_login(instructor)
    editor = client.get(reverse("lists:edit", args=[lst.pk])).content.decode()
    # the count stands in the item's copies and access, which the editor loads when it opens (session 23)
    services = client.get(reverse("lists:citation-services", args=[lst.pk, a.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert "2 readers marked this done" in services and "Petra" not in services + editor
    client.force_login(student)
    view = client.get(reverse("lists:view", args=[lst.pk])).content.decode()
    assert "Your progress: 1 of 2 items done" in view
    r = client.post(reverse("circulation:done", args=[a.pk]), {"done": "0"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and 'data-testid="mark-done"' in r.content.decode()
    assert api(student).delete(f"/api/v1/citations/{a.pk}/done").json() == {"citation_id": a.pk, "done": False}
    assert not ReadingMark.objects.filter(citation=a, user=student).exists()


def test_done_needs_to_see_the_list(published, instructor, make_user, api):
    from syllabus.lists import services as lists

    lst, section = published
    a = lists.add_citation(instructor, lst, section, "book", BOOK)
    assert api(make_user("stranger")).put(f"/api/v1/citations/{a.pk}/done").status_code == 404


def test_the_letter_names_each_course_with_its_section(published, instructor, course, inst_a, api):
    """The demo's personal-copy letter read '"Introduction to Modern History — readings" (HIST101,
    HIST101)': a list of two sections of one course (HIST101-01 and the LMS trial's HIST101-LMS)
    names each by code and section (found by s21-outside)."""
    from tests.factories import CourseFactory

    lst, section = published
    course.section = "01"
    course.save(update_fields=["section"])
    lms = CourseFactory(institution=inst_a, code="HIST101", section="LMS", name="Introduction to Modern History", term="2026S")
    lst.courses.add(lms)
    r = api(instructor).post(f"/api/v1/lists/{lst.pk}/citations",
                             {"section_id": section.pk, "type": "book", "metadata": BOOK, "personal_copy": True,
                              "personal_copy_owner": "instructor"})
    assert r.status_code == 201, r.json()
    letter = OutboxMessage.objects.get(letter="personal_copy_bring", channel="email")
    assert "(HIST101-01, HIST101-LMS)" in letter.body
