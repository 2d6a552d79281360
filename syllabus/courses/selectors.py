"""Reads of courses shared by pages and the API."""
from __future__ import annotations

from django.db.models import Q, QuerySet

from syllabus.org.permissions import is_superuser
from syllabus.org.models import User

from .models import Course


def courses_visible_to(user: User) -> QuerySet[Course]:
    """Courses of the user's institution (course metadata is not secret inside an institution)."""
    qs = Course.objects.all()
    if not is_superuser(user):
        qs = qs.filter(institution_id=user.institution_id)
    return qs


def search_courses(user: User, q: str = "", *, term: str = "", department: str = "") -> QuerySet[Course]:
    """Search by code, name, section and instructor (username, first or last name, e-mail)."""
    qs = courses_visible_to(user)
    for word in (q or "").split():
        qs = qs.filter(
            Q(code__icontains=word) | Q(name__icontains=word) | Q(section__iexact=word)
            | Q(instructors__username__icontains=word) | Q(instructors__last_name__icontains=word)
            | Q(instructors__first_name__icontains=word) | Q(instructors__email__iexact=word)
        )
    if term:
        qs = qs.filter(term=term)
    if department:
        qs = qs.filter(department__iexact=department)
    ids = qs.values("id").distinct()
    return (Course.objects.filter(id__in=ids).select_related("institution")
            .prefetch_related("instructors").order_by("code", "section", "term"))


def course_for(user: User, course_id: int) -> Course | None:
    return courses_visible_to(user).select_related("institution").prefetch_related("instructors").filter(pk=course_id).first()


def roster(course: Course, *, role: str = "", q: str = "", limit: int = 50, offset: int = 0) -> tuple[list[dict], int]:
    """One page of a course's roster — instructors first, then students, each by username — and
    the total.  Three queries whatever the page size (instructors, student count, student page)."""
    from .models import Enrollment

    words = (q or "").split()

    def matching(qs, prefix=""):
        for word in words:
            qs = qs.filter(Q(**{f"{prefix}username__icontains": word}) | Q(**{f"{prefix}first_name__icontains": word})
                           | Q(**{f"{prefix}last_name__icontains": word}) | Q(**{f"{prefix}email__icontains": word}))
        return qs

    teachers = [] if role == "student" else list(matching(course.instructors.all()).order_by("username"))
    students = Enrollment.objects.none() if role == "instructor" else \
        matching(Enrollment.objects.filter(course=course), "user__").select_related("user").order_by("user__username")
    n_students = students.count()
    rows = [{"username": u.username, "full_name": u.get_full_name(), "email": u.email, "role": "instructor", "since": None}
            for u in teachers[offset:offset + limit]]
    start = max(0, offset - len(teachers))
    wanted = limit - len(rows)
    if wanted > 0:
        rows += [{"username": e.user.username, "full_name": e.user.get_full_name(), "email": e.user.email, "role": "student",
                  "since": e.created_at} for e in students[start:start + wanted]]
    return rows, len(teachers) + n_students
