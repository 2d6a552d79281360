"""Digitization configuration (DIG-6..9, DIG-12, DIG-5, DIG-3): departments, desks, patron limits, EDD, digitization and display rules, copyright options."""
from __future__ import annotations

from typing import Iterable

from django.db import transaction

from syllabus.core import audit
from syllabus.core.errors import RuleViolation, refuse_too_long
from syllabus.org.models import Institution, Library, RoleAssignment, User, UserGroup
from syllabus.org.roles import Role, Scope
from syllabus.org.services import assign_role

from syllabus.fulfillment.permissions import (
    ensure_can_configure,
)
from syllabus.fulfillment.models import (
    DEFAULT_DEPARTMENT_CODE, DEFAULT_DEPARTMENT_NAME, FORM_FIELDS, ApprovalMode,
    CirculationDesk, CopyrightOption, CopyrightStatus, DigitizationDepartment, DigitizationRule,
    DisplayCondition, DisplayLogicRule, EddRule, FormField, PatronLimit, Service, Target,
)



# === configuration (DIG-6..9, DIG-12, DIG-5, DIG-3) ======================================

def ensure_defaults(institution: Institution) -> DigitizationDepartment:
    """Every institution has the default department ``DIGI_DEPT_INST`` and a default rule."""
    dept, created = DigitizationDepartment.objects.get_or_create(
        institution=institution, code=DEFAULT_DEPARTMENT_CODE, defaults={"name": DEFAULT_DEPARTMENT_NAME})
    if created:
        audit.created(None, dept, note="default digitization department (DIG-6)")
    rule, created = DigitizationRule.objects.get_or_create(
        institution=institution, is_default=True,
        defaults={"name": "Default Digitization Rule", "target": Target.ATTACHMENT, "approval_mode": ApprovalMode.BLOCKING})
    if created:
        audit.created(None, rule, note="default digitization rule (DIG-9)")
    return dept


_DEPT_FIELDS = ("name", "description", "work_time_days", "map_url", "address", "phone", "email", "active")


def save_department(actor: User, institution: Institution, *, code: str, library: Library | None = None,
                    served_libraries: Iterable[Library] | None = None, dept: DigitizationDepartment | None = None,
                    **values) -> DigitizationDepartment:
    """Create or change a department (DIG-6).  A library-level department serves its library."""
    ensure_can_configure(actor, institution)
    values = {k: v for k, v in values.items() if k in _DEPT_FIELDS}
    if library is not None and library.institution_id != institution.pk:
        raise RuleViolation("DIG-6", "the library belongs to another institution")
    code = (code or "").strip()
    if not code:
        raise RuleViolation("DIG-6", "a department needs a code", field="code")
    refuse_too_long("DIG-6", DigitizationDepartment, code=code, **values)
    if not (values.get("name") or (dept and dept.name)):
        raise RuleViolation("DIG-6", "a department needs a name", field="name")
    served = list(served_libraries) if served_libraries is not None else None
    for lib in served or []:
        if lib.institution_id != institution.pk:
            raise RuleViolation("DIG-6", f"library {lib.code} belongs to another institution")
    with transaction.atomic():
        if dept is None:
            if DigitizationDepartment.objects.filter(institution=institution, code=code).exists():
                raise RuleViolation("DIG-6", f"a department with code {code} already exists", status=409)
            dept = DigitizationDepartment.objects.create(institution=institution, library=library, code=code, **values)
            audit.created(actor, dept)
            if library is not None and served is None:
                served = [library]
        else:
            if code != dept.code:
                raise RuleViolation("DIG-6", "the code of a department cannot change (operator roles are scoped to it)")
            audit.update(actor, dept, **values)
        if served is not None:
            before = sorted(dept.served_libraries.values_list("code", flat=True))
            dept.served_libraries.set(served)
            after = sorted(lib.code for lib in served)
            if before != after:
                audit.changed(actor, dept, {"served_libraries": [before, after]})
    return dept


def add_operator(actor: User, dept: DigitizationDepartment, user: User) -> None:
    """Adding an operator gives them the Work Order Operator role scoped to the department (DIG-6)."""
    ensure_can_configure(actor, dept.institution)
    if user.institution_id != dept.institution_id:
        raise RuleViolation("DIG-6", "an operator must belong to the department's institution")
    with transaction.atomic():
        dept.operators.add(user)
        assign_role(user, Role.WORK_ORDER_OPERATOR, department=dept.code, actor=actor)
        audit.event(actor, dept, "operator_added", note=user.username)


def remove_operator(actor: User, dept: DigitizationDepartment, user: User) -> None:
    ensure_can_configure(actor, dept.institution)
    with transaction.atomic():
        dept.operators.remove(user)
        for ra in RoleAssignment.objects.filter(user=user, role=Role.WORK_ORDER_OPERATOR, scope=Scope.DEPARTMENT,
                                                department=dept.code, institution=dept.institution):
            audit.deleted(actor, ra)
            ra.delete()
        user.__dict__.pop("_role_cache", None)
        audit.event(actor, dept, "operator_removed", note=user.username)


def save_desk(actor: User, library: Library, *, code: str, name: str, supports_digitization: bool,
              work_time_days: int | None) -> CirculationDesk:
    ensure_can_configure(actor, library.institution)
    refuse_too_long("DIG-6", CirculationDesk, code=code, name=name)
    with transaction.atomic():
        desk = CirculationDesk.objects.filter(library=library, code=code).first()
        if desk is None:
            desk = CirculationDesk.objects.create(library=library, code=code, name=name,
                                                  supports_digitization=supports_digitization, work_time_days=work_time_days)
            audit.created(actor, desk)
        else:
            audit.update(actor, desk, name=name, supports_digitization=supports_digitization, work_time_days=work_time_days)
    return desk


def set_patron_limit(actor: User, group: UserGroup, max_requests: int | None) -> PatronLimit:
    """DIG-7: 0 = no digitization requests for the group, ``None`` (empty) = unlimited."""
    ensure_can_configure(actor, group.institution)
    if max_requests is not None and max_requests < 0:
        raise RuleViolation("DIG-7", "a limit cannot be negative")
    with transaction.atomic():
        limit, created = PatronLimit.objects.get_or_create(user_group=group, defaults={"max_digitization_requests": max_requests})
        if created:
            audit.created(actor, limit)
        else:
            audit.update(actor, limit, max_digitization_requests=max_requests)
    return limit


def save_edd_rule(actor: User, institution: Institution, *, rule: EddRule | None = None, **values) -> EddRule:
    ensure_can_configure(actor, institution)
    values = {k: v for k, v in values.items() if k in ("name", "description", "position", "enabled", "user_groups", "allowed")}
    known = set(institution.user_groups.values_list("code", flat=True))
    unknown = [g for g in values.get("user_groups", []) if g not in known]
    if unknown:
        raise RuleViolation("DIG-8", f"unknown user group {', '.join(unknown)}", field="user_groups")
    return _save_rule(actor, EddRule, institution, rule, values, "DIG-8")


def _save_rule(actor: User, model, institution: Institution, rule, values: dict, rule_id: str):
    """Create a configuration rule (it needs a name) or change ``rule``, audited; ``rule_id`` is
    the rule a refusal names (DIG-8 EDD rules, DIG-9 digitization rules)."""
    refuse_too_long(rule_id, model, **{k: v for k, v in values.items() if isinstance(v, str)})
    with transaction.atomic():
        if rule is None:
            if not values.get("name"):
                raise RuleViolation(rule_id, "a rule needs a name", field="name")
            rule = model.objects.create(institution=institution, **values)
            audit.created(actor, rule)
        else:
            audit.update(actor, rule, **values)
    return rule


_RULE_FIELDS = ("name", "position", "enabled", "sources", "user_groups", "libraries", "target", "max_accesses",
                "approval_required", "copyright_required", "approval_mode", "approval_reason")


def save_digitization_rule(actor: User, institution: Institution, *, rule: DigitizationRule | None = None,
                           **values) -> DigitizationRule:
    """Create or change a digitization & copyright rule (DIG-9)."""
    ensure_can_configure(actor, institution)
    values = {k: v for k, v in values.items() if k in _RULE_FIELDS}
    merged = {f: getattr(rule, f) for f in _RULE_FIELDS} if rule else {}
    merged.update(values)
    if merged.get("target", Target.ATTACHMENT) not in Target.values:
        raise RuleViolation("DIG-9", "unknown digitization target", field="target")
    if merged.get("approval_mode", ApprovalMode.BLOCKING) not in ApprovalMode.values:
        raise RuleViolation("DIG-9", "unknown approval mode", field="approval_mode")
    if merged.get("target") == Target.LINK and not merged.get("max_accesses"):
        raise RuleViolation("DIG-9", "a link delivery needs the maximum number of accesses", field="max_accesses")
    if merged.get("approval_mode") == ApprovalMode.AUTOMATIC and not (merged.get("approval_reason") or "").strip():
        raise RuleViolation("DIG-9", "automatic approval needs an approval reason", field="approval_reason")
    if rule is not None and rule.is_default and values.get("enabled") is False:
        raise RuleViolation("DIG-9", "the default rule cannot be disabled")
    return _save_rule(actor, DigitizationRule, institution, rule, values, "DIG-9")


def save_form_field(actor: User, institution: Institution, field_code: str, *, display: bool, default: str = "") -> FormField:
    ensure_can_configure(actor, institution)
    if field_code not in FORM_FIELDS:
        raise RuleViolation("DIG-12", f"unknown form field {field_code!r}")
    refuse_too_long("DIG-12", FormField, default=default)
    with transaction.atomic():
        ff, created = FormField.objects.get_or_create(institution=institution, field=field_code,
                                                      defaults={"display": display, "default": default})
        if created:
            audit.created(actor, ff)
        else:
            audit.update(actor, ff, display=display, default=default)
    return ff


def save_display_rule(actor: User, institution: Institution, *, service: str, condition: str, active: bool = True,
                      rule: DisplayLogicRule | None = None) -> DisplayLogicRule:
    ensure_can_configure(actor, institution)
    if service not in Service.values or condition not in DisplayCondition.values:
        raise RuleViolation("DIG-5", "unknown service or condition")
    with transaction.atomic():
        if rule is None:
            rule = DisplayLogicRule.objects.create(institution=institution, service=service, condition=condition, active=active)
            audit.created(actor, rule)
        else:
            audit.update(actor, rule, service=service, condition=condition, active=active)
    return rule


def save_copyright_option(actor: User, institution: Institution, *, code: str, label: str, copyright_status: str) -> CopyrightOption:
    """DIG-3: map a copyright option (chosen on upload) to a copyright status."""
    ensure_can_configure(actor, institution)
    if not copyright_status or copyright_status not in CopyrightStatus.values:
        raise RuleViolation("DIG-3", "unknown copyright status", field="copyright_status")
    refuse_too_long("DIG-3", CopyrightOption, code=code, label=label)
    with transaction.atomic():
        opt = CopyrightOption.objects.filter(institution=institution, code=code).first()
        if opt is None:
            opt = CopyrightOption.objects.create(institution=institution, code=code, label=label, copyright_status=copyright_status)
            audit.created(actor, opt)
        else:
            audit.update(actor, opt, label=label, copyright_status=copyright_status)
    return opt


def clearance_required_for_option(institution: Institution, option_code: str) -> bool:
    """DIG-3: True when uploading with this copyright option needs the clearance form."""
    opt = CopyrightOption.objects.filter(institution=institution, code=option_code).first()
    if opt is None:
        raise RuleViolation("DIG-3", f"unknown copyright option {option_code!r}", field="copyright_option")
    return opt.requires_clearance
