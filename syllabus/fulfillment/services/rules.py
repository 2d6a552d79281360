"""The rules that decide (DIG-6..9): which digitization rule applies, the patron limit, EDD, the routing to a department."""
from __future__ import annotations

import datetime as dt


from syllabus.core.errors import RuleViolation
from syllabus.org import calendar
from syllabus.org.models import Institution, Library, User

from syllabus.fulfillment.models import (
    OPEN_STATUSES, CirculationDesk, DigitizationDepartment, DigitizationRequest, DigitizationRule,
    EddRule, PatronLimit, Source,
)
from .config import ensure_defaults


# === rules that decide (DIG-6..9) ======================================================

def route(institution: Institution, library: Library | None) -> tuple[DigitizationDepartment | None, CirculationDesk | None]:
    """DIG-6: the active department that serves the item's library, else a desk supporting
    digitization.  Inactive departments are skipped (an inactive whole-institution default
    department lets the work go to the circulation desks)."""
    depts = list(DigitizationDepartment.objects.filter(institution=institution, active=True).prefetch_related("served_libraries"))
    if library is not None:
        for d in depts:
            if d.library_id == library.pk:
                return d, None
        for d in depts:
            if d.library_id is None and any(lib.pk == library.pk for lib in d.served_libraries.all()):
                return d, None
        for d in depts:
            if d.library_id is None and not d.served_libraries.all():
                return d, None
        desk = CirculationDesk.objects.filter(library=library, supports_digitization=True).order_by("code").first()
        if desk is not None:
            return None, desk
        raise RuleViolation("DIG-6", f"no digitization department or circulation desk serves {library.name}")
    for d in depts:
        if d.library_id is None and not d.served_libraries.all():
            return d, None
    for d in depts:
        if d.library_id is None:
            return d, None
    raise RuleViolation("DIG-6", "no institution-level digitization department handles requests without items")


def choose_rule(institution: Institution, *, source: str, user: User, library: Library | None) -> DigitizationRule:
    """DIG-9: the first enabled rule that matches; the default rule ends the list."""
    for rule in DigitizationRule.objects.filter(institution=institution):
        if (rule.enabled or rule.is_default) and rule.matches(source=source, user=user, library=library):
            return rule
    return ensure_defaults_rule(institution)


def ensure_defaults_rule(institution: Institution) -> DigitizationRule:
    ensure_defaults(institution)
    return DigitizationRule.objects.get(institution=institution, is_default=True)


def check_edd(user: User, institution: Institution) -> EddRule:
    """DIG-8: the first enabled matching rule decides; no matching rule → not allowed."""
    for rule in EddRule.objects.filter(institution=institution, enabled=True):
        if rule.matches(user):
            if not rule.allowed:
                raise RuleViolation("DIG-8", f"electronic document delivery is not allowed for {_group(user)} (rule {rule.name})",
                                    status=403)
            return rule
    raise RuleViolation("DIG-8", f"no electronic document delivery rule allows {_group(user)}", status=403)


def _group(user: User) -> str:
    return f"user group {user.user_group.name}" if user.user_group_id else "users without a user group"


def patron_limit(user: User, institution: Institution | None = None) -> int | None:
    """DIG-7: the most simultaneous digitization requests ``user`` may have open — 0: none, ``None``:
    no limit.  For a request to another member of the consortium (CON-4, ``institution``), that
    member's limit of the user group with the same code applies."""
    if institution is not None and user.user_group_id and institution.pk != user.institution_id:
        limit = PatronLimit.objects.filter(user_group__institution=institution, user_group__code=user.user_group.code).first()
    else:
        limit = PatronLimit.objects.filter(user_group_id=user.user_group_id).first() if user.user_group_id else None
    return None if limit is None else limit.max_digitization_requests


def open_patron_requests(user: User) -> int:
    """DIG-7: the digitization requests of ``user`` that count against their limit (open, asked by
    them or by staff on their behalf)."""
    return DigitizationRequest.objects.filter(requester=user, status__in=OPEN_STATUSES,
                                              source__in=(Source.PATRON, Source.STAFF)).count()


def check_patron_limit(user: User, institution: Institution | None = None) -> None:
    """DIG-7, inside the caller's transaction after locking the requester's row.  A person over
    the limit (two accounts merged, ORG-MERGE, or a limit lowered) keeps their requests and is
    refused new ones until enough of them are closed."""
    limit = patron_limit(user, institution)
    if limit is None:
        return
    if limit == 0:
        raise RuleViolation("DIG-7", f"{_group(user)} may not place digitization requests", status=403)
    n = open_patron_requests(user)
    if n >= limit:
        raise RuleViolation("DIG-7", f"at most {limit} simultaneous digitization requests for "
                                     f"{_group(user)} ({n} open)", status=409)


def _lock(user: User) -> None:
    User.objects.select_for_update().filter(pk=user.pk).first()


def _work_due(req: DigitizationRequest, start: dt.datetime | None = None) -> dt.datetime | None:
    """The end of the work time, counted from ``start`` (default: the request's creation)."""
    start = start or req.created_at
    unit = req.work_unit
    days = unit.work_time_days if unit is not None else None
    if not days:
        return None
    lib = req.library or (req.desk.library if req.desk_id else None) or (req.department.library if req.department_id else None)
    if lib is None and req.department_id:
        lib = req.department.served_libraries.first()
    lib = lib or req.institution.libraries.first()
    if lib is None:
        return start + dt.timedelta(days=days)
    return calendar.add_library_days_to_datetime(lib, start, days)
