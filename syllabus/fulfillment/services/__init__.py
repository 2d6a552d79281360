"""Digitization and copyright clearance: every change of state (DIG-1..12).

Each public verb runs in one transaction, checks its rule (``RuleViolation("DIG-n", ...)``),
writes the audit trail and queues letters through the notifications outbox.

A package by topic (issue 17): ``config`` (departments, desks, limits, rules, options), ``form``
(the request form), ``rules`` (which rule decides, limits, EDD, routing), ``requests`` (creating
requests), ``steps`` (the staff workflow), ``files`` (access to the delivered file).  Import from
the package: every name stays importable as ``fulfillment.services.<name>``.
"""
from __future__ import annotations

from .config import (  # noqa: F401
    _DEPT_FIELDS, _RULE_FIELDS, _save_rule, add_operator, clearance_required_for_option, ensure_defaults,
    remove_operator, save_copyright_option, save_department, save_desk, save_digitization_rule, save_display_rule,
    save_edd_rule, save_form_field, set_patron_limit
)
from .form import (  # noqa: F401
    MAX_NOTE_CHARS, MAX_NOTES, MAX_PAGE_RANGES, RequestForm, _apply_form_config, form_config
)
from .rules import (  # noqa: F401
    _group, _lock, _work_due, check_edd, check_patron_limit, choose_rule, ensure_defaults_rule, open_patron_requests,
    patron_limit, route
)
from .requests import (  # noqa: F401
    _letter_context, _pick_item, _start, request_for_course, request_from_record, services_for_record
)
from .steps import (  # noqa: F401
    _OPERATOR_WORK, _activate_if_cleared, _cleared, _decide, _deny, _drop_file, _ensure_operator, _get_locked,
    _move, _pending_task, _tell_the_citation, _waits_on_library, approve, attach_file, cancel, complete, deliver,
    expire_overdue, pick, reject
)
from .files import (  # noqa: F401
    Access, _course_role, _window_check, can_view, clearance_for_citation, clearances_for_citations, file_access
)
# what the single module imported, reachable as before (``services.Library``, ``services.Status`` ...)
from syllabus.catalog.models import Item, Record, Representation  # noqa: F401
from syllabus.core.errors import NotFound, PermissionDenied, RuleViolation  # noqa: F401
from syllabus.fulfillment.models import (  # noqa: F401
    DEFAULT_DEPARTMENT_CODE, DEFAULT_DEPARTMENT_NAME, FORM_FIELDS, OPEN_STATUSES, ApprovalMode,
    CirculationDesk, CopyrightOption, CopyrightStatus, DigitizationDepartment, DigitizationRequest, DigitizationRule,
    DisplayCondition, DisplayLogicRule, EddRule, FormField, Kind, PatronLimit, Service, Source, Status, TaskStatus, Target,
)
from syllabus.org.models import Institution, Library, RoleAssignment, User, UserGroup  # noqa: F401
from syllabus.org.roles import Role, Scope  # noqa: F401

from syllabus.fulfillment.permissions import (  # noqa: F401  (the services' old names)
    can_decide, can_pick, can_request_on_behalf, can_work_on, ensure_can_configure, is_fulfillment_staff,
)
