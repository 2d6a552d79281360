"""Who may do what in digitization and copyright clearance (ORG-3, DIG-6, DIG-10), over the one
role helper of ``org``.  Services, views, the API, navigation and file access all ask here."""
from __future__ import annotations

from syllabus.core.errors import PermissionDenied
from syllabus.org.models import Institution, User
from syllabus.org.permissions import holds, is_superuser
from syllabus.org.roles import Role

from .models import DigitizationRequest

CONFIG_ROLES = (Role.FULFILLMENT_ADMINISTRATOR, Role.GENERAL_SYSTEM_ADMINISTRATOR)
STAFF_ROLES = (Role.FULFILLMENT_SERVICES_MANAGER, Role.FULFILLMENT_SERVICES_OPERATOR, Role.WORK_ORDER_OPERATOR,
               Role.REQUESTS_OPERATOR, Role.FULFILLMENT_ADMINISTRATOR, Role.GENERAL_SYSTEM_ADMINISTRATOR)


def can_configure(user: User, institution: Institution) -> bool:
    """DIG-6: departments, rules, limits, the form — a Fulfillment Administrator or a GSA."""
    return holds(user, *CONFIG_ROLES, institution=institution)


def ensure_can_configure(user: User, institution: Institution) -> None:
    if not can_configure(user, institution):
        raise PermissionDenied("DIG-6", "only a Fulfillment Administrator or General System Administrator configures digitization")


def can_configure_here(user: User) -> bool:
    """The configuration pages of the user's own institution (navigation, pages)."""
    return user.institution is not None and can_configure(user, user.institution)


def can_decide(user: User, req: DigitizationRequest) -> bool:
    """DIG-10: approve or reject a request (or its copyright task) — a Fulfillment Services
    Manager of its library (or institution)."""
    scope = {"library": req.library} if req.library_id else {"institution": req.institution}
    return holds(user, Role.FULFILLMENT_SERVICES_MANAGER, superuser=False, **scope)


def can_work_on(user: User, req: DigitizationRequest) -> bool:
    """DIG-10: scan, deliver — a Work Order Operator of the request's department (or of its
    circulation desk's library)."""
    if holds(user, Role.WORK_ORDER_OPERATOR, superuser=False, institution=req.institution,
             department=req.role_department or "-"):
        return True
    return req.desk is not None and holds(user, Role.WORK_ORDER_OPERATOR, superuser=False, library=req.desk.library)


def can_pick(user: User, req: DigitizationRequest) -> bool:
    """Take the item from the shelf: its operator, or a Requests Operator of its library."""
    return can_work_on(user, req) or (req.library_id is not None and
                                      holds(user, Role.REQUESTS_OPERATOR, superuser=False, library=req.library))


def can_request_on_behalf(user: User, institution: Institution) -> bool:
    """DIG-10: create a request for a patron — a Fulfillment Services Operator of the record's institution."""
    return holds(user, Role.FULFILLMENT_SERVICES_OPERATOR, superuser=False, institution=institution)


def is_fulfillment_staff(user: User, institution: Institution) -> bool:
    """Sees the institution's requests, their history and files."""
    return is_superuser(user) or (user.institution_id == institution.pk and holds(user, *STAFF_ROLES))


def is_fulfillment_staff_here(user: User) -> bool:
    """The staff pages of the user's own institution (navigation, the request lists)."""
    return user.institution is not None and is_fulfillment_staff(user, user.institution)
