"""Who may do what in long-term digital loans (LDL-1, LDL-3, LDL-11, LDL-13), over the one role
helper of ``org`` (``user.has_any_role``).  Services, views, the API and navigation all ask here."""
from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _

from syllabus.catalog.models import Representation
from syllabus.core.errors import RuleViolation
from syllabus.org.models import Institution, Library, User
from syllabus.org.roles import Role


CONFIG_ROLES = (Role.DIGITAL_INVENTORY_OPERATOR, Role.GENERAL_SYSTEM_ADMINISTRATOR)
REQUEST_ROLES = (Role.REQUESTS_OPERATOR, Role.FULFILLMENT_SERVICES_OPERATOR, Role.FULFILLMENT_SERVICES_MANAGER,
                 Role.DIGITAL_INVENTORY_OPERATOR, Role.GENERAL_SYSTEM_ADMINISTRATOR)


def can_configure(user, *, library: Library | None = None, institution: Institution | None = None) -> bool:
    """Access-rights policies and representation rights: Digital Inventory Operator or GSA (per the reference)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    if library is not None:
        return user.has_any_role(*CONFIG_ROLES, library=library)
    return user.has_any_role(*CONFIG_ROLES, institution=institution or user.institution)


def can_manage_requests(user, library: Library) -> bool:
    """Monitoring, requests on behalf, cancel and edit (LDL-3, LDL-11, LDL-13)."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.is_superuser or user.has_any_role(*REQUEST_ROLES, library=library)


def is_lending_staff(user) -> bool:
    return getattr(user, "is_authenticated", False) and (user.is_superuser or user.has_any_role(*REQUEST_ROLES))


def managed_library_ids(user, roles: Iterable[str] = REQUEST_ROLES) -> set[int] | None:
    """Libraries where ``user`` holds one of ``roles`` (``None``: every library, for superusers)."""
    if user.is_superuser:
        return None
    roles = set(roles)
    ids: set[int] = set()
    for ra in user.role_assignments_cached():
        if ra.role not in roles:
            continue
        if ra.scope == "library" and ra.library_id:
            ids.add(ra.library_id)
        elif ra.scope == "institution":
            ids.update(Library.objects.filter(institution_id=ra.institution_id).values_list("pk", flat=True))
    return ids


def check_registered(patron: User, representation: Representation) -> None:
    """LDL-3: long-term digital loans are for registered (active) users of the owning institution."""
    if patron is None or not patron.is_active or patron.institution_id != representation.library.institution_id:
        raise RuleViolation("LDL-3", _("long-term digital loans are only for registered users of %(inst)s")
                            % {"inst": representation.library.institution.name}, status=403)
