"""API: course search, detail, create/update (staff), audit trail."""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from django.http import Http404
from ninja import Field, Query, Router, Schema, Status

from syllabus.api.fields import ITEMS, Code, Id, Search, Students, Term, Username, column
from syllabus.core.pagination import Page, PageQuery, paginate
from syllabus.api.schemas import AuditOut, Error, audit_out, patch_of
from syllabus.core import audit
from syllabus.core.errors import PermissionDenied, RuleViolation
from syllabus.org.models import User, typed_username

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
    code: str = Field(..., max_length=column(Course, "code"))
    name: str = Field(..., max_length=column(Course, "name"))
    section: str = Field("", max_length=column(Course, "section"))
    department: str = Field("", max_length=column(Course, "department"))
    term: str = Field("", max_length=column(Course, "term"))
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    number_of_students: Students = 0
    instructors: list[Annotated[str, Field(max_length=254)]] = Field([], max_length=ITEMS)  # usernames or e-mail addresses


@patch_of(CourseIn)
class CoursePatch(Schema):  # the fields of CourseIn, each may be left out
    pass


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
        u = User.objects.filter(institution=institution, username__iexact=typed_username(name)).first() or \
            User.objects.filter(institution=institution, email__iexact=name, email_verified=True).first()
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
def search(request, page: PageQuery, q: Search = "", term: Term = "", department: Code = ""):
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



# --- rosters (CRS-2): who is enrolled, as students or instructors -----------------------------

class MemberOut(Schema):
    username: str
    full_name: str
    email: str
    role: str
    since: dt.datetime | None


MemberPage = Page(MemberOut)


class MemberIn(Schema):
    username: Username
    role: Literal["student", "instructor"] = "student"


class RoleIn(Schema):
    role: Literal["student", "instructor"] = "student"


class RosterIn(Schema):
    members: list[MemberIn] = Field(..., max_length=services.MAX_ROSTER)


class RosterChangesOut(Schema):
    created: int
    updated: int
    unchanged: int
    removed: int


def _roster_course(request, course_id: int) -> Course:
    course = _get(request, course_id)
    if not services.can_see_roster(request.user, course):
        raise PermissionDenied("CRS-2", "only the course's instructors and the library see its roster")
    return course


@router.get("/courses/{course_id}/enrolments", response={200: MemberPage, 403: Error, 404: Error},
            summary="A course's roster: its instructors and students (instructors of the course and staff)")
def roster(request, course_id: Id, page: PageQuery, role: Literal["", "student", "instructor"] = "",
           q: str = Query("", max_length=200)):
    course = _roster_course(request, course_id)
    rows, count = selectors.roster(course, role=role, q=q, limit=page.limit, offset=page.offset)
    return paginate(request, rows, page, count=count)


@router.put("/courses/{course_id}/enrolments", response={200: RosterChangesOut, 400: Error, 403: Error, 404: Error},
            summary="Replace a course's whole roster (staff); all or nothing, every change audited")
def replace_roster(request, course_id: Id, payload: RosterIn):
    course = _get(request, course_id)
    changes = services.set_roster(request.user, course, [(m.username, m.role) for m in payload.members])
    return changes.as_dict()


@router.post("/courses/{course_id}/enrolments/{username}", response={200: RosterChangesOut, 201: RosterChangesOut, 400: Error, 403: Error, 404: Error},
             summary="Enrol a person as student or instructor, or change their role (staff)")
def add_member(request, course_id: Id, username: Username, payload: RoleIn | None = None):
    course = _get(request, course_id)
    changes = services.add_member(request.user, course, username, payload.role if payload else "student")
    return Status(201 if changes.created else 200, changes.as_dict())


@router.delete("/courses/{course_id}/enrolments/{username}", response={204: None, 403: Error, 404: Error},
               summary="Remove a person from a course's roster (staff)")
def remove_member(request, course_id: Id, username: Username):
    course = _get(request, course_id)
    services.remove_member(request.user, course, username)
    return Status(204, None)
