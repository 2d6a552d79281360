"""Who may change the catalog (DSV-1, ORG-3), over the one role helper of ``org``."""
from __future__ import annotations

from syllabus.core.errors import PermissionDenied
from syllabus.org.models import Institution, User
from syllabus.org.permissions import holds
from syllabus.org.roles import Role

CATALOGUER_ROLES = (Role.COURSE_RESERVES_OPERATOR, Role.DIGITAL_INVENTORY_OPERATOR, Role.GENERAL_SYSTEM_ADMINISTRATOR)
INVENTORY_ROLES = (Role.DIGITAL_INVENTORY_OPERATOR, Role.GENERAL_SYSTEM_ADMINISTRATOR)


def can_catalog(user: User, institution: Institution) -> bool:
    """Course reserves operators, digital inventory operators and administrators of the
    institution that holds the record maintain its catalog."""
    return holds(user, *CATALOGUER_ROLES, institution=institution)


def ensure_can_catalog(user: User, institution: Institution) -> None:
    if not can_catalog(user, institution):
        raise PermissionDenied("DSV-1", "only the institution's course reserves or digital inventory operators change its catalog")


def can_manage_representations(user: User, institution: Institution) -> bool:
    return holds(user, *INVENTORY_ROLES, institution=institution)


def ensure_can_manage_representations(user: User, institution: Institution) -> None:
    if not can_manage_representations(user, institution):
        raise PermissionDenied("DSV-1", "only digital inventory operators manage digital representations")
