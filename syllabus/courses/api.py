"""API: course search, detail, create/update (staff), audit trail."""
from __future__ import annotations

import datetime as dt

from django.http import Http404
from ninja import Router, Schema, Status

from syllabus.api.fields import Id, Students
from syllabus.core.pagination import Page, PageQuery, paginate
from syllabus.api.schemas import AuditOut, Error, audit_out
from syllabus.core import audit
from syllabus.core.errors import RuleViolation
from syllabus.org.models import User

from . import selectors, services
from .models import Course

router = Router(tags=["courses"])


class InstructorOut(Schema):
    username: str
    full_name: str


class CourseOut(Schema):
    id: int
    institution: str
    code: str
    name: str
    section: str
    department: str
    term: str
    start_date: dt.date | None
    end_date: dt.date | None
    number_of_students: int
    instructors: list[InstructorOut]


CoursePage = Page(CourseOut)


class CourseIn(Schema):
    code: str
    name: str
    section: str = ""
    department: str = ""
    term: str = ""
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    number_of_students: Students = 0
    instructors: list[str] = []


class CoursePatch(Schema):
    code: str = None  # type: ignore[assignment]  # may be left out, never null
    name: str = None  # type: ignore[assignment]  # may be left out, never null
    section: str = None  # type: ignore[assignment]  # may be left out, never null
    department: str = None  # type: ignore[assignment]  # may be left out, never null
    term: str = None  # type: ignore[assignment]  # may be left out, never null
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    number_of_students: Students = None  # type: ignore[assignment]  # may be left out, never null
    instructors: list[str] = None  # type: ignore[assignment]  # may be left out, never null



def course_out(c: Course) -> dict:
    return {
        "id": c.pk, "institution": c.institution.code, "code": c.code, "name": c.name, "section": c.section,
        "department": c.department, "term": c.term, "start_date": c.start_date, "end_date": c.end_date,
        "number_of_students": c.number_of_students,
        "instructors": [{"username": u.username, "full_name": u.get_full_name()} for u in c.instructors.all()],
    }


def _instructors(institution, names: list[str]) -> list[User]:
    found, missing = [], []
    for name in names:
        u = User.objects.filter(institution=institution, username__iexact=name).first() or \
            User.objects.filter(institution=institution, email__iexact=name).first()
        (found if u else missing).append(u or name)
    if missing:
        raise RuleViolation("CRS-1", f"unknown instructor {', '.join(missing)}", field="instructors")
    return found


def _get(request, course_id: Id) -> Course:
    course = selectors.course_for(request.user, course_id)
    if course is None:
        raise Http404("no such course")
    return course


@router.get("/courses", response=CoursePage, summary="Search courses by code, name or instructor (CRS-1)")
def search(request, page: PageQuery, q: str = "", term: str = "", department: str = ""):
    qs = selectors.search_courses(request.user, q, term=term, department=department)
    return paginate(request, qs, page, course_out)


@router.get("/courses/{course_id}", response={200: CourseOut, 404: Error})
def detail(request, course_id: Id):
    return course_out(_get(request, course_id))


@router.post("/courses", response={201: CourseOut, 400: Error, 403: Error, 409: Error}, summary="Create a course (staff)")
def create(request, payload: CourseIn):
    inst = request.user.institution
    services.ensure_can_manage_courses(request.user, inst)
    data = payload.dict()
    people = _instructors(inst, data.pop("instructors"))
    course = services.create_course(request.user, inst, instructors=people, **data)
    return Status(201, course_out(selectors.course_for(request.user, course.pk)))


@router.patch("/courses/{course_id}", response={200: CourseOut, 400: Error, 403: Error, 404: Error, 409: Error},
              summary="Change a course (staff); every change is in its audit trail")
def update(request, course_id: Id, payload: CoursePatch):
    course = _get(request, course_id)
    services.ensure_can_manage_courses(request.user, course.institution)
    data = payload.dict(exclude_unset=True)
    names = data.pop("instructors", None)
    people = _instructors(course.institution, names) if names is not None else None
    services.update_course(request.user, course, instructors=people, **data)
    return course_out(selectors.course_for(request.user, course.pk))


@router.get("/courses/{course_id}/history", response={200: Page(AuditOut), 403: Error, 404: Error},
            summary="Audit trail of a course: who changed which fields, when (staff)")
def history(request, course_id: Id, page: PageQuery):
    course = _get(request, course_id)
    services.ensure_can_manage_courses(request.user, course.institution)
    return paginate(request, audit.trail(course), page, audit_out)
