"""Long-term digital loans (SPEC §8, LDL-1..15): access-rights policies and their rules, the
loan settings of a digital representation, its copies (slots), and loan requests.

The invariant LDL-15 — never more Active requests than the representation's number of
concurrent users — is held twice:

1. in the service (``services._allocate``) that locks the representation's ``LoanSettings``
   row and re-counts the active requests inside the lock, and
2. in the database, whatever writes the rows (a service with a bug, a script, raw SQL):

   - an Active request holds a slot (check ``ldl_active_holds_a_slot``), a slot is held by
     at most one request (``LoanRequest.slot`` is one-to-one, i.e. unique), and the slot is
     one of the request's *own* representation: the composite foreign key
     ``ldl_slot_of_own_representation`` (slot_id, representation_id) → LoanSlot (id,
     representation_id);
   - a representation has at most ``concurrent_users`` slots: slot numbers are unique per
     representation and ``1 ≤ number ≤ capacity`` (checks), where ``capacity`` *is* the
     representation's ``concurrent_users`` — the composite foreign key
     ``ldl_slot_capacity_is_concurrent_users`` (representation_id, capacity) → LoanSettings
     (representation_id, concurrent_users) ``ON UPDATE CASCADE``.  Lowering
     ``concurrent_users`` below a remaining slot's number is therefore refused by the
     database too.

   So ``active requests ≤ slots ≤ concurrent_users`` even if a service were wrong (tested
   in tests/lending/test_database_guard.py on SQLite and PostgreSQL).

See docs/lending.md for the design.
"""
from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import get_language, ngettext

from syllabus.core import clock

from .constraints import CompositeForeignKey
from .workflow import OPEN_STATUSES, Status, Step


_LABELS: dict[tuple, str] = {}


def _labels(status: str, step: str) -> str:
    """"Status / Step" in the active language — what ``get_status_display`` and
    ``get_step_display`` say, looked up once per language (every audited move asks it)."""
    key = (get_language(), status, step)
    text = _LABELS.get(key)
    if text is None:
        text = _LABELS[key] = f"{dict(Status.choices).get(status, status)} / {dict(Step.choices).get(step, step)}"
    return text


class TimeUnit(models.TextChoices):
    HOURS = "hours", _("Hours")
    DAYS = "days", _("Days")


def period(amount: int, unit: str) -> dt.timedelta:
    """A nominal duration (``3 days`` → 72 h)."""
    return dt.timedelta(hours=amount) if unit == TimeUnit.HOURS else dt.timedelta(days=amount)


def describe_period(amount: int, unit: str) -> str:
    """``3 days``, ``1 hour`` — translated."""
    if unit == TimeUnit.HOURS:
        return ngettext("%(n)d hour", "%(n)d hours", amount) % {"n": amount}
    return ngettext("%(n)d day", "%(n)d days", amount) % {"n": amount}


class AccessRightsPolicy(models.Model):
    """LDL-1: an access-rights policy; with ``long_term_loan`` its rules carry the loan parameters."""

    institution = models.ForeignKey("org.Institution", on_delete=models.CASCADE, related_name="access_rights_policies")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    long_term_loan = models.BooleanField(default=True, help_text="Long-Term Digital Loan")
    limit_note = models.TextField(blank=True, help_text="Digital Loan Users Limit Reached Note: shown when every copy is on loan")
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "access rights policies"
        constraints = [models.UniqueConstraint(fields=["institution", "name"], name="ldl_uniq_policy_name")]

    def __str__(self) -> str:
        return self.name


class AccessRule(models.Model):
    """LDL-1: the long-term digital loan parameters for one user group (or the default rule)."""

    policy = models.ForeignKey(AccessRightsPolicy, on_delete=models.CASCADE, related_name="rules")
    user_group = models.ForeignKey("org.UserGroup", null=True, blank=True, on_delete=models.CASCADE, related_name="+",
                                   help_text="empty: the default rule for every other group")
    request_priority = models.PositiveSmallIntegerField(default=0, help_text="higher is served first in the waitlist")
    session_period = models.PositiveIntegerField(default=3)
    session_period_unit = models.CharField(max_length=10, choices=TimeUnit.choices, default=TimeUnit.DAYS)
    grace_period = models.PositiveIntegerField(default=2)
    grace_period_unit = models.CharField(max_length=10, choices=TimeUnit.choices, default=TimeUnit.DAYS)
    grace_included_in_session = models.BooleanField(default=False)
    renewable = models.BooleanField(default=False)
    max_renewal_days = models.PositiveIntegerField(default=0, help_text="Maximum Renewal Period (days, in total)")
    open_for_renewal_days = models.PositiveIntegerField(default=1, help_text="Open For Renewal Period (days before the due time)")
    renewable_when_others_wait = models.BooleanField(default=False, help_text="allow renewal even when others are in the waitlist")
    limit_reloan = models.BooleanField(default=False)
    reloan_limit_days = models.PositiveIntegerField(default=0, help_text="Reloan Limit Period (days)")

    class Meta:
        ordering = ["policy", "user_group__name"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "user_group"], name="ldl_uniq_rule_group"),
            models.UniqueConstraint(fields=["policy"], condition=Q(user_group__isnull=True), name="ldl_uniq_default_rule"),
            models.CheckConstraint(condition=Q(session_period__gte=1) & Q(grace_period__gte=1), name="ldl_rule_periods_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.policy}: {self.user_group or 'default'}"

    @property
    def session(self) -> dt.timedelta:
        return period(self.session_period, self.session_period_unit)

    @property
    def grace(self) -> dt.timedelta:
        return period(self.grace_period, self.grace_period_unit)

    @property
    def session_text(self) -> str:
        return describe_period(self.session_period, self.session_period_unit)

    @property
    def grace_text(self) -> str:
        return describe_period(self.grace_period, self.grace_period_unit)

    def terms(self) -> dict:
        """The parameters copied onto a request when it is placed (so later edits don't move running loans)."""
        return {
            "rule_id": self.pk, "user_group": self.user_group.code if self.user_group_id else "",
            "session_period": self.session_period, "session_unit": self.session_period_unit,
            "grace_period": self.grace_period, "grace_unit": self.grace_period_unit,
            "grace_included": self.grace_included_in_session, "renewable": self.renewable,
            "max_renewal_days": self.max_renewal_days, "open_for_renewal_days": self.open_for_renewal_days,
            "renewable_when_others_wait": self.renewable_when_others_wait,
            "limit_reloan": self.limit_reloan, "reloan_limit_days": self.reloan_limit_days,
        }


class LoanSettings(models.Model):
    """LDL-2: the policy and number of concurrent users of a digital representation.

    This is the row every allocating service locks (``select_for_update``)."""

    representation = models.OneToOneField("catalog.Representation", on_delete=models.CASCADE, related_name="loan_settings")
    policy = models.ForeignKey(AccessRightsPolicy, null=True, blank=True, on_delete=models.PROTECT, related_name="representations")
    concurrent_users = models.PositiveIntegerField(default=0, help_text="copies that may be lent at once; 0 = no access")
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name_plural = "loan settings"
        constraints = [
            # LDL-15: the key ``LoanSlot.capacity`` refers to (trivially unique: representation is).
            models.UniqueConstraint(fields=["representation", "concurrent_users"], name="ldl_settings_capacity_key"),
        ]

    def __str__(self) -> str:
        return f"{self.representation}: {self.policy or '-'} × {self.concurrent_users}"

    @property
    def is_long_term_loan(self) -> bool:
        return self.policy_id is not None and self.policy.long_term_loan


class LoanSlot(models.Model):
    """One lendable copy of a representation (numbers 1..concurrent_users); see the module doc."""

    representation = models.ForeignKey("catalog.Representation", on_delete=models.CASCADE, related_name="loan_slots")
    number = models.PositiveIntegerField()
    capacity = models.PositiveIntegerField(
        help_text="the representation's concurrent_users, kept equal by the database (ON UPDATE CASCADE)")

    class Meta:
        ordering = ["representation", "number"]
        constraints = [
            models.UniqueConstraint(fields=["representation", "number"], name="ldl_uniq_slot_number"),
            models.CheckConstraint(condition=Q(number__gte=1), name="ldl_slot_number_positive"),
            # LDL-15: no more slots than concurrent users.
            models.CheckConstraint(condition=Q(number__lte=models.F("capacity")), name="ldl_slot_within_capacity"),
            CompositeForeignKey(fields=["representation", "capacity"], to="lending.LoanSettings",
                                to_fields=["representation", "concurrent_users"], on_update="CASCADE",
                                name="ldl_slot_capacity_is_concurrent_users"),
            # the key ``LoanRequest`` refers to with its own representation
            models.UniqueConstraint(fields=["id", "representation"], name="ldl_slot_representation_key"),
        ]

    def __str__(self) -> str:
        return f"copy {self.number} of {self.representation_id}"


class Source(models.TextChoices):
    PATRON = "patron", _("Patron")
    STAFF_ON_BEHALF = "staff_on_behalf", _("Staff, on behalf of the patron")
    STAFF_ACCESS = "staff_access", _("Staff access from the back office")


class Outcome(models.TextChoices):
    FINISHED = "finished", _("Finished viewing")
    SESSION_ENDED = "session_ended", _("Session ended")
    GRACE_EXPIRED = "grace_expired", _("Grace period expired")
    CANCELLED = "cancelled", _("Cancelled")


class CancelReason(models.TextChoices):
    PATRON_REQUEST = "patron_request", _("Cancelled at the patron's request")
    CANNOT_BE_FULFILLED = "cannot_be_fulfilled", _("Request cannot be fulfilled")
    NO_LONGER_NEEDED = "no_longer_needed", _("No longer needed")
    DUPLICATE = "duplicate", _("Duplicate request")
    RESOURCE_WITHDRAWN = "resource_withdrawn", _("Resource withdrawn from lending")
    OTHER = "other", _("Other")


class LoanRequest(models.Model):
    """LDL-3..11: one patron's request to borrow one representation."""

    # no index of their own: ``ldl_queue_idx`` and ``ldl_patron_idx`` lead with them (issue 19,
    # session 16 — every index is written by each hand-over's UPDATE; tests/lending/test_indexes.py)
    representation = models.ForeignKey("catalog.Representation", on_delete=models.CASCADE, related_name="loan_requests",
                                       db_index=False)
    patron = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="loan_requests", db_index=False)
    creator = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.PATRON)
    note = models.TextField(blank=True)
    priority = models.PositiveSmallIntegerField(default=0)
    user_group = models.ForeignKey("org.UserGroup", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    terms = models.JSONField(default=dict, help_text="the rule's parameters when the request was placed")

    status = models.CharField(max_length=12, choices=Status.choices, default=Status.READY)
    step = models.CharField(max_length=20, choices=Step.choices, default=Step.IN_WAITLIST)
    slot = models.OneToOneField(LoanSlot, null=True, blank=True, on_delete=models.PROTECT, related_name="request")

    requested_at = models.DateTimeField(default=clock.now)
    handed_over_at = models.DateTimeField(null=True, blank=True, help_text="grace period started")
    grace_due_at = models.DateTimeField(null=True, blank=True)
    session_started_at = models.DateTimeField(null=True, blank=True)
    session_due_at = models.DateTimeField(null=True, blank=True)
    renewals = models.PositiveIntegerField(default=0)
    renewed_total = models.DurationField(default=dt.timedelta)
    completed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    cancel_reason = models.CharField(max_length=30, choices=CancelReason.choices, blank=True)
    cancel_note = models.TextField(blank=True)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [
            models.Index(fields=["representation", "status", "priority", "requested_at"], name="ldl_queue_idx"),
            models.Index(fields=["status", "grace_due_at"], name="ldl_grace_due_idx"),
            models.Index(fields=["status", "session_due_at"], name="ldl_session_due_idx"),
            models.Index(fields=["patron", "status"], name="ldl_patron_idx"),
        ]
        constraints = [
            # LDL-3: one Ready or Active request per patron and representation.
            models.UniqueConstraint(fields=["representation", "patron"], condition=Q(status__in=["ready", "active"]),
                                    name="ldl_one_open_request_per_patron"),
            # LDL-15 (database guard): an Active request holds exactly one copy; nothing else holds one.
            models.CheckConstraint(condition=(Q(status="active", slot__isnull=False) | (~Q(status="active") & Q(slot__isnull=True))),
                                   name="ldl_active_holds_a_slot"),
            # LDL-4: status and step agree.
            models.CheckConstraint(
                condition=(Q(status="ready", step="in_waitlist")
                           | Q(status="active", step__in=["in_grace_period", "is_being_viewed"])
                           | Q(status__in=["completed", "rejected"], step="completed")),
                name="ldl_status_step_consistent",
            ),
            # LDL-15 (database guard): the copy held is one of this request's own representation.
            CompositeForeignKey(fields=["slot", "representation"], to="lending.LoanSlot", to_fields=["id", "representation"],
                                name="ldl_slot_of_own_representation"),
        ]

    def __str__(self) -> str:
        return f"Loan request {self.pk} ({_labels(self.status, self.step)})"

    # --- derived, for display --------------------------------------------------------
    @property
    def session_length(self) -> dt.timedelta:
        return period(self.terms.get("session_period", 0), self.terms.get("session_unit", "days"))

    @property
    def grace_length(self) -> dt.timedelta:
        return period(self.terms.get("grace_period", 0), self.terms.get("grace_unit", "days"))

    @property
    def session_text(self) -> str:
        return describe_period(self.terms.get("session_period", 0), self.terms.get("session_unit", "days"))

    @property
    def grace_text(self) -> str:
        return describe_period(self.terms.get("grace_period", 0), self.terms.get("grace_unit", "days"))

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_viewable(self) -> bool:
        return self.status == Status.ACTIVE
