"""Who may do what in circulation and reader services (SRV-1, SRV-4, SRV-5), over the one role
helper :mod:`syllabus.org.permissions`."""
from __future__ import annotations

from syllabus.org.models import Library
from syllabus.org.permissions import holds, is_superuser
from syllabus.org.roles import Role

#: who works the hold shelf of a library (SRV-5)
HOLD_STAFF_ROLES = (Role.REQUESTS_OPERATOR, Role.FULFILLMENT_SERVICES_OPERATOR, Role.FULFILLMENT_SERVICES_MANAGER,
                    Role.GENERAL_SYSTEM_ADMINISTRATOR)
#: who handles accessible files and personal copies (SRV-1, SRV-4): the course reserves side
RESERVES_ROLES = (Role.COURSE_RESERVES_OPERATOR, Role.FULFILLMENT_SERVICES_OPERATOR, Role.GENERAL_SYSTEM_ADMINISTRATOR)


def can_manage_holds(user, library: Library) -> bool:
    """Works the hold shelf of ``library`` (SRV-5)."""
    return holds(user, *HOLD_STAFF_ROLES, library=library)


def is_hold_staff(user) -> bool:
    """Works some hold shelf of their institution (the menu's hold-shelf entry)."""
    return holds(user, *HOLD_STAFF_ROLES)


def hold_library_ids(user) -> set[int] | None:
    """Libraries whose hold shelf ``user`` works (``None``: all, for superusers)."""
    if is_superuser(user):
        return None
    return {lib.pk for lib in Library.objects.filter(institution_id=user.institution_id) if can_manage_holds(user, lib)}


def is_reserves_staff(user, institution) -> bool:
    """Handles accessible file requests and personal copies of ``institution`` (SRV-1, SRV-4)."""
    if is_superuser(user):
        return True
    return (getattr(user, "institution_id", None) == getattr(institution, "pk", None)
            and holds(user, *RESERVES_ROLES, institution=institution))
