"""Who may manage courses and see their rosters (CRS-1, ORG-3), over the one role helper of ``org``."""
from __future__ import annotations

from syllabus.core.errors import PermissionDenied
from syllabus.org.models import Institution, User
from syllabus.org.permissions import holds
from syllabus.org.roles import Role

from .models import Course

MANAGER_ROLES = (Role.COURSE_RESERVES_OPERATOR, Role.GENERAL_SYSTEM_ADMINISTRATOR)


def can_manage_courses(user: User, institution: Institution) -> bool:
    """Create, edit and load the institution's courses: course reserves operators and administrators."""
    return holds(user, *MANAGER_ROLES, institution=institution)


def ensure_can_manage_courses(user: User, institution: Institution) -> None:
    if not can_manage_courses(user, institution):
        raise PermissionDenied("CRS-1", "only course reserves operators and administrators manage courses")


def can_see_roster(user: User, course: Course) -> bool:
    """The course's instructors and those who manage its institution's courses."""
    return can_manage_courses(user, course.institution) or any(u.pk == user.pk for u in course.instructors.all())
