"""Who works on acquisition tasks (SRV-3, LST-7), over the one role helper of ``org``: the course
reserves operators of the task's institution."""
from __future__ import annotations

from syllabus.core.errors import NotFound
from syllabus.lists.permissions import ensure_librarian
from syllabus.org.permissions import is_librarian_for, is_superuser

from .models import AcquisitionTask


def can_work_on_acquisitions(user) -> bool:
    """The acquisitions pages of the user's own institution (navigation)."""
    return user.institution_id is not None and is_librarian_for(user, user.institution_id)


def has_purchase_requests(user) -> bool:
    """Whoever may ask the library to buy something — a student or anyone from Find it's purchase
    suggestion, an instructor from a list item (SRV-3, DSV-6) — has "My purchase requests": every
    member of an institution (the services refuse the rest)."""
    return getattr(user, "institution_id", None) is not None


def handles_suggestions(user, institution_id: int | None) -> bool:
    """The library of ``institution_id`` (its course reserves operators) decides its readers'
    purchase suggestions from Find it (SRV-3, DSV-6)."""
    return institution_id is not None and is_librarian_for(user, institution_id)


def ensure_task(user, task: AcquisitionTask | None) -> AcquisitionTask:
    """``task`` when the user may work on it: another institution's task does not exist for them
    (404), and only the library's course reserves operators handle tasks (LST-7, 403)."""
    if task is None or not (is_superuser(user) or task.institution_id == getattr(user, "institution_id", None)):
        raise NotFound("SRV-3", "no such acquisition task")
    ensure_librarian(user, task.institution_id)
    return task
