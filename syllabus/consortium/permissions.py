"""Who administers the consortium and handles inter-library loans (CON-1, CON-3, ORG-3), over the
one role helper of ``org``."""
from __future__ import annotations

from syllabus.core.errors import PermissionDenied
from syllabus.org.models import Consortium, Institution
from syllabus.org.permissions import holds, is_superuser, signed_in
from syllabus.org.roles import Role

ILL_STAFF_ROLES = (Role.REQUESTS_OPERATOR, Role.COURSE_RESERVES_OPERATOR, Role.FULFILLMENT_SERVICES_OPERATOR,
                   Role.FULFILLMENT_SERVICES_MANAGER)


def is_consortium_admin(user) -> bool:
    """CON-1: a Consortium Administrator (held in one's own institution) sets the consortium's configuration."""
    return bool(signed_in(user) and user.institution_id
                and holds(user, Role.CONSORTIUM_ADMINISTRATOR, institution=user.institution))


def ensure_consortium_admin(user) -> Consortium:
    """The consortium the user administers (that of their institution), or a CON-1 refusal."""
    if not is_consortium_admin(user):
        raise PermissionDenied("CON-1", "only a Consortium Administrator changes the consortium's configuration")
    return user.institution.consortium


def is_ill_staff(user, institution: Institution | None = None) -> bool:
    """The institution's (default: one's own) inter-library loan staff."""
    if is_superuser(user):
        return True
    if not signed_in(user):
        return False
    inst = institution or user.institution
    return inst is not None and user.institution_id == inst.pk and holds(user, *ILL_STAFF_ROLES, institution=inst)
