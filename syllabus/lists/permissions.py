"""Who may see and change a resource list (LST-8, ORG-3).

- list owners and collaborators edit the list (instructor side);
- the Course Reserves Operators of the list's institution (librarians) see and process every
  list of their institution, and may edit it too;
- students enrolled in a linked course see the list once it is published, nothing else; so do
  the instructors of a linked course who neither own nor collaborate on it (they have no
  Enrollment row: an LTI launch or a roster makes them instructors only), read-only;
- everyone else does not know the list exists (404).
"""
from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef

from syllabus.core.errors import NotFound, PermissionDenied
from syllabus.courses.models import Course, Enrollment
from syllabus.org.permissions import holds, is_librarian_for, signed_in
from syllabus.org.roles import BACK_OFFICE_ROLES

from .models import ResourceList


@dataclass(frozen=True)
class Access:
    view: bool = False
    edit: bool = False       # owner, collaborator or librarian
    process: bool = False    # librarian: statuses, assignment, tasks
    owner: bool = False
    collaborator: bool = False
    student: bool = False    # reads it as a reader of a linked course (enrolled, or teaching it without editing)

    @property
    def instructor(self) -> bool:
        return self.owner or self.collaborator


NONE = Access()

__all__ = ["Access", "NONE", "access_for", "ensure_edit", "ensure_librarian", "ensure_process", "ensure_view",
           "is_librarian_for", "reads_a_linked_course", "require_process"]  # is_librarian_for: org's, re-exported for the list pages


def _member_ids(lst: ResourceList, relation: str) -> set[int]:
    cache = getattr(lst, "_prefetched_objects_cache", {})
    if relation in cache:
        return {u.pk for u in cache[relation]}
    return set(getattr(lst, relation).values_list("pk", flat=True))


def reads_a_linked_course(user_id: int):
    """The user is enrolled in, or teaches, a course the list (``OuterRef("pk")``) is linked to:
    who reads it once it is published (an instructor has no Enrollment row).  The one statement
    of this rule: :func:`access_for` and the lists selectors both use it."""
    enrolled = Enrollment.objects.filter(user_id=user_id, course__resource_lists=OuterRef("pk"))
    teaching = Course.instructors.through.objects.filter(user_id=user_id, course__resource_lists=OuterRef("pk"))
    return Exists(enrolled) | Exists(teaching)


def access_for(user, lst: ResourceList) -> Access:
    if not signed_in(user):
        return NONE
    librarian = is_librarian_for(user, lst.institution_id)
    # the list's own query may have said already whether this user is an owner, a collaborator,
    # enrolled in a linked course (selectors.reader_list_queryset); else ask
    flags = getattr(lst, "viewer_flags", None)
    if flags is not None and flags[0] != user.pk:
        flags = None
    owner = flags[1] if flags is not None else user.pk in _member_ids(lst, "owners")
    collaborator = not owner and (flags[2] if flags is not None else user.pk in _member_ids(lst, "collaborators"))
    editor = owner or collaborator or librarian
    student = False
    if not editor and lst.is_published:
        student = flags[3] if flags is not None else \
            ResourceList.objects.filter(reads_a_linked_course(user.pk), pk=lst.pk).exists()
    return Access(view=editor or student, edit=editor, process=librarian, owner=owner, collaborator=collaborator,
                  student=student)


def ensure_view(user, lst: ResourceList) -> Access:
    acc = access_for(user, lst)
    if not acc.view:
        raise NotFound("LST-8", "no such list")
    return acc


def ensure_edit(user, lst: ResourceList) -> Access:
    acc = ensure_view(user, lst)
    if not acc.edit:
        raise PermissionDenied("LST-8", "only the list's owners and collaborators (or the library) change a list")
    return acc


LIBRARY_ONLY = "only the library's course reserves operators process lists"


def ensure_librarian(user, institution_id: int | None) -> None:
    """LST-7: the library's pages (task list, list processing) are for its course reserves operators."""
    if not is_librarian_for(user, institution_id):
        raise PermissionDenied("LST-7", LIBRARY_ONLY)


def require_process(acc: Access) -> Access:
    """LST-7 for a list already read with its access (``list_for``)."""
    if not acc.process:
        raise PermissionDenied("LST-7", LIBRARY_ONLY)
    return acc


def ensure_process(user, lst: ResourceList) -> Access:
    return require_process(ensure_view(user, lst))


def reads_no_course(user) -> bool:
    """A reader (no staff role) enrolled in no course: their lists come with their courses, from
    the institution's course system or their learning platform (LST-8) — what the empty "my lists"
    page tells them, rather than to find a course."""
    return signed_in(user) and not holds(user, *BACK_OFFICE_ROLES) and not user.courses_enrolled.exists()
