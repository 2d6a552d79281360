"""Who sees which report (ANL-2): a list's owners and collaborators and the library see the
list's engagement (students: 403); the library's course reserves operators and the
administrators see the library reports of their own institution; administrators see adoption."""
from __future__ import annotations

from syllabus.core.errors import NotFound, PermissionDenied
from syllabus.lists.models import ResourceList
from syllabus.lists.permissions import ensure_view
from syllabus.org.permissions import is_librarian_for

ONLY_LIBRARY = "the library's reports are for its course reserves operators and administrators"
ONLY_ADMIN = "adoption is for the institution's administrators"
ONLY_EDITORS = "a list's engagement is for its owners, collaborators and the library"


def sees_library_reports(user) -> bool:
    return (user.is_authenticated and user.institution_id is not None
            and (is_librarian_for(user, user.institution_id) or user.is_administrator))


def sees_admin_reports(user) -> bool:
    return user.is_authenticated and user.institution_id is not None and user.is_administrator


def ensure_report(user, audience: str) -> None:
    if audience == "admin" and not sees_admin_reports(user):
        raise PermissionDenied("ANL-2", ONLY_ADMIN)
    if audience == "library" and not sees_library_reports(user):
        raise PermissionDenied("ANL-2", ONLY_LIBRARY)


def list_for_engagement(user, list_id: int) -> ResourceList:
    lst = ResourceList.objects.select_related("institution__consortium").filter(pk=list_id).first()
    if lst is None:
        raise NotFound("LST-8", "no such list")
    acc = ensure_view(user, lst)
    if not (acc.instructor or acc.process):
        raise PermissionDenied("ANL-2", ONLY_EDITORS)
    return lst
