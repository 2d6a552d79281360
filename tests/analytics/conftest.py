"""Fixtures of the analytics tests: HIST101's published list with three items, read by its student."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from syllabus.analytics.models import ListReader, UsageEvent
from syllabus.analytics.services import roll_up_usage
from syllabus.courses.models import Enrollment
from tests.factories import CourseFactory


@pytest.fixture
def reading(instructor, course, clock):
    from syllabus.lists import services

    lst = services.create_list(instructor, title="HIST101 readings", courses=[course])
    section = services.add_section(instructor, lst, title="Week 1")
    items = [services.add_citation(instructor, lst, section, "article",
                                   {"title": title, "DOI": f"10.1000/{n}"}) for n, title in
             enumerate(["Primary sources", "The long nineteenth century", "Empire and trade"], start=1)]
    services.publish_list(instructor, lst)
    return lst, items


UTC = dt.timezone.utc
MON = dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(days: float) -> dt.datetime:
    return MON + dt.timedelta(days=days)


@pytest.fixture
def world(  # the fixed data set of the reports (hand-computed numbers in test_reports.py)
        reading, course, instructor, student, make_user, inst_a, library_a, clock):
    from syllabus.acquisitions.models import AcquisitionTask
    from syllabus.catalog.models import Record, Representation
    from syllabus.fulfillment.models import DigitizationDepartment, DigitizationRequest, Kind, Source, Status, TaskStatus
    from syllabus.lending.models import LoanRequest
    from syllabus.lists import services
    from syllabus.lists.models import ResourceList

    l1, (a, b, c) = reading
    course.department = "History"
    course.save()
    econ = CourseFactory(institution=inst_a, code="ECON200", name="Markets", department="Economics", term="2026S")
    econ.instructors.add(instructor)
    CourseFactory(institution=inst_a, code="ART300", name="Painting", department="History", term="2026S")
    for n in range(4):                                        # HIST101: 5 students in all
        Enrollment.objects.create(course=course, user=make_user(f"h{n}"))
    for n in range(8):                                        # ECON200: 8 students, its list not published
        Enrollment.objects.create(course=econ, user=make_user(f"e{n}"))
    l2 = services.create_list(instructor, title="ECON200 readings", courses=[econ])
    l3 = services.create_list(instructor, title="Unlinked list")
    ResourceList.objects.filter(pk=l1.pk).update(sent_at=at(0), completed_at=at(3))
    ResourceList.objects.filter(pk=l2.pk).update(sent_at=at(1), completed_at=at(8))
    ResourceList.objects.filter(pk=l3.pk).update(sent_at=at(8))

    # usage (already attributed): week 1: 7 views, A opened 6 times and downloaded 5, B opened twice; week 2: 3 views, C done once
    events = [("list_view", None, 0)] * 7 + [("item_open", a, 0)] * 6 + [("file_download", a, 1)] * 5 + \
             [("item_open", b, 2)] * 2 + [("list_view", None, 7)] * 3 + [("marked_done", c, 8)]
    UsageEvent.objects.bulk_create([UsageEvent(kind=k, at=at(d), day=at(d).date(), institution=inst_a, resource_list=l1,
                                               citation=item, course=course, role="student", user=student)
                                    for k, item, d in events])
    students = list(Enrollment.objects.filter(course=course).values_list("user_id", flat=True))[:3]
    ListReader.objects.bulk_create([ListReader(resource_list=l1, course=course, user_id=u, first_day=MON.date()) for u in students])
    roll_up_usage(at(9))

    scanning = DigitizationDepartment.objects.create(institution=inst_a, code="scan", name="Scanning")
    media = DigitizationDepartment.objects.create(institution=inst_a, code="media", name="Media")

    def request(dept, course_, days, status=Status.DELIVERED, **kw):
        return DigitizationRequest.objects.create(
            institution=inst_a, kind=kw.pop("kind", Kind.DIGITIZATION), source=Source.COURSE, requester=instructor,
            department=dept, course=course_, library=library_a, status=status, created_at=at(0),
            delivered_at=at(days) if days is not None else None, **kw)

    request(scanning, course, 2)
    request(scanning, course, 4)
    request(scanning, course, None, Status.IN_DIGITIZATION)
    request(media, econ, 1.5)
    for outcome in (TaskStatus.APPROVED, TaskStatus.APPROVED, TaskStatus.REJECTED, TaskStatus.PENDING):
        request(None, course, None, Status.COMPLETED, kind=Kind.COPYRIGHT, copyright=outcome)

    record = Record.objects.create(institution=inst_a, source_id="lent-1", title="Lent digitally", csl={"title": "Lent digitally"})
    rep = Representation.objects.create(record=record, library=library_a, label="Digitized book")
    for n in range(2):
        LoanRequest.objects.create(representation=rep, patron=make_user(f"w{n}"), requested_at=at(0))
    for n, days in enumerate((1, 3)):
        LoanRequest.objects.create(representation=rep, patron=make_user(f"s{n}"), requested_at=at(0), handed_over_at=at(days),
                                   status="completed", step="completed")

    AcquisitionTask.objects.create(institution=inst_a, citation=a, kind="order", cost_amount=Decimal("120.00"), cost_currency="EUR")
    AcquisitionTask.objects.create(institution=inst_a, citation=b, kind="order", cost_amount=Decimal("30.50"), cost_currency="EUR")
    return {"l1": l1, "a": a, "b": b, "c": c}


