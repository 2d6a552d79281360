"""Who takes part in a list's library discussion (DSC-2, LST-8), over the lists' access and the
one role helper of ``org``."""
from __future__ import annotations

from syllabus.core.errors import PermissionDenied
from syllabus.lists.models import ResourceList
from syllabus.lists.permissions import Access, ensure_view
from syllabus.org.permissions import is_librarian_for


def can_discuss(acc: Access) -> bool:
    """The list's instructors (owners, collaborators) and the library; not its students."""
    return acc.instructor or acc.process


def ensure_discuss(user, lst: ResourceList) -> Access:
    acc = ensure_view(user, lst)  # 404 for people who do not see the list
    if not can_discuss(acc):
        raise PermissionDenied("DSC-2", "the library discussion is between the list's instructors and the library")
    return acc


def speaks_for_library(acc: Access) -> bool:
    """A librarian who is not also an instructor of the list writes for the library."""
    return acc.process and not acc.instructor


def can_see_alerts(user) -> bool:
    """The librarians' discussion alerts: the Course Reserves Operators of the user's institution."""
    return is_librarian_for(user, user.institution_id)
