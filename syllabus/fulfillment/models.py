"""Digitization and copyright clearance (SPEC §5, DIG-1..12).

Configuration (DIG-6..9, DIG-12, DIG-5 display logic) and the request; its states and their
transition table are in :mod:`syllabus.fulfillment.workflow`.
"""
from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from syllabus.core.models import Timestamped
from syllabus.lists.models import CopyrightStatus

from .workflow import OPEN_STATUSES, Status

DEFAULT_DEPARTMENT_CODE = "DIGI_DEPT_INST"
DEFAULT_DEPARTMENT_NAME = "Digitization Department For Institution"


# --- where the work happens (DIG-6) ------------------------------------------------------

class DigitizationDepartment(models.Model):
    """A digitization department at institution level (``library`` empty) or library level.

    ``served_libraries`` empty on an institution-level department = it serves the whole
    institution (the seed's "value in the table is your Institution's Name").  ``active`` off
    takes a department out of routing, so that work can go to the circulation desks."""

    institution = models.ForeignKey("org.Institution", on_delete=models.CASCADE, related_name="digitization_departments")
    library = models.ForeignKey("org.Library", null=True, blank=True, on_delete=models.CASCADE, related_name="digitization_departments",
                                help_text="empty: an institution-level department")
    code = models.CharField(max_length=60)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    work_time_days = models.PositiveIntegerField(null=True, blank=True, default=5,
                                                 help_text="library days after which an unfilled request expires; empty: never")
    map_url = models.CharField(max_length=500, blank=True)
    address = models.CharField(max_length=500, blank=True)
    phone = models.CharField(max_length=60, blank=True)
    email = models.EmailField(blank=True)
    served_libraries = models.ManyToManyField("org.Library", blank=True, related_name="served_by_departments")
    active = models.BooleanField(default=True, help_text="an inactive department receives no new requests: routing "
                                                         "skips it and falls back to a circulation desk (DIG-6)")
    operators = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="digitization_departments")

    class Meta:
        ordering = ["institution", "code"]
        constraints = [models.UniqueConstraint(fields=["institution", "code"], name="uniq_digi_department_code")]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def level(self) -> str:
        return "library" if self.library_id else "institution"


class CirculationDesk(models.Model):
    library = models.ForeignKey("org.Library", on_delete=models.CASCADE, related_name="circulation_desks")
    code = models.CharField(max_length=60)
    name = models.CharField(max_length=200)
    supports_digitization = models.BooleanField(default=False)
    work_time_days = models.PositiveIntegerField(null=True, blank=True, default=5)

    class Meta:
        ordering = ["library", "code"]
        constraints = [models.UniqueConstraint(fields=["library", "code"], name="uniq_circ_desk_code")]

    def __str__(self) -> str:
        return f"{self.name} ({self.library.code})"

    @property
    def role_department(self) -> str:
        """The department code a Work Order Operator role is scoped to for this desk."""
        return f"DESK:{self.library.code}:{self.code}"


# --- who may ask (DIG-7, DIG-8) -------------------------------------------------------------

class PatronLimit(models.Model):
    """Max simultaneous digitization requests of a user group: 0 = none, empty = unlimited (DIG-7)."""

    user_group = models.OneToOneField("org.UserGroup", on_delete=models.CASCADE, related_name="patron_limit")
    max_digitization_requests = models.PositiveIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.user_group}: {self.max_digitization_requests if self.max_digitization_requests is not None else '∞'}"


class EddRule(models.Model):
    """Electronic document delivery rule (DIG-8): input parameters → allowed true/false.

    Input parameter supported: user group *in list* (``user_groups``, codes); an empty list
    matches every group.  The first enabled matching rule (by ``position``) decides."""

    institution = models.ForeignKey("org.Institution", on_delete=models.CASCADE, related_name="edd_rules")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0)
    enabled = models.BooleanField(default=True)
    user_groups = models.JSONField(default=list, blank=True, help_text="user group codes (operator: in list)")
    allowed = models.BooleanField(default=True)

    class Meta:
        ordering = ["institution", "position", "id"]

    def __str__(self) -> str:
        return self.name

    def matches(self, user) -> bool:
        code = user.user_group.code if getattr(user, "user_group_id", None) else None
        return not self.user_groups or code in self.user_groups


class Target(models.TextChoices):
    ATTACHMENT = "attachment", _("Document delivery – attachment")
    LINK = "link", _("Document delivery – link")
    INVENTORY = "inventory", _("Digital inventory (representation)")


class ApprovalMode(models.TextChoices):
    PARALLEL = "parallel", _("In parallel to digitization workflow")
    BLOCKING = "blocking", _("Blocks digitization workflow")
    AUTOMATIC = "automatic", _("Automatically approved")


class DigitizationRule(models.Model):
    """One row of the ordered digitization & copyright rules (DIG-9).

    Input parameters (each empty = any): request source, user groups, libraries.  Disabled
    rules are skipped; the institution's default rule (``is_default``) always comes last."""

    institution = models.ForeignKey("org.Institution", on_delete=models.CASCADE, related_name="digitization_rules")
    name = models.CharField(max_length=200)
    position = models.PositiveIntegerField(default=0)
    enabled = models.BooleanField(default=True)
    is_default = models.BooleanField(default=False)
    sources = models.JSONField(default=list, blank=True, help_text="patron / course / staff")
    user_groups = models.JSONField(default=list, blank=True)
    libraries = models.JSONField(default=list, blank=True, help_text="library codes")
    target = models.CharField(max_length=20, choices=Target.choices, default=Target.ATTACHMENT)
    max_accesses = models.PositiveIntegerField(null=True, blank=True, help_text="link target: accesses before the link expires")
    approval_required = models.BooleanField(default=False)
    copyright_required = models.BooleanField(default=False)
    approval_mode = models.CharField(max_length=20, choices=ApprovalMode.choices, default=ApprovalMode.BLOCKING)
    approval_reason = models.CharField(max_length=200, blank=True, help_text="automatic mode: the recorded reason")

    class Meta:
        ordering = ["institution", "is_default", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["institution"], condition=Q(is_default=True), name="one_default_digitization_rule")]

    def __str__(self) -> str:
        return self.name

    def matches(self, *, source: str, user, library) -> bool:
        if self.is_default:
            return True
        if self.sources and source not in self.sources:
            return False
        group = user.user_group.code if user is not None and getattr(user, "user_group_id", None) else None
        if self.user_groups and group not in self.user_groups:
            return False
        if self.libraries and (library is None or library.code not in self.libraries):
            return False
        return True


# --- what patrons see (DIG-5, DIG-12, DIG-3) ------------------------------------------------

FORM_FIELDS = ("start_date", "end_date", "chapters", "pages", "include_images", "notes")


class FormField(models.Model):
    """Digitization form configuration (DIG-12): is an optional field shown, and its default."""

    institution = models.ForeignKey("org.Institution", on_delete=models.CASCADE, related_name="digitization_form_fields")
    field = models.CharField(max_length=40, choices=[(f, f) for f in FORM_FIELDS])
    display = models.BooleanField(default=True)
    default = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["institution", "field"], name="uniq_digi_form_field")]

    def __str__(self) -> str:
        return self.field


class Service(models.TextChoices):
    DIGITIZATION = "digitization", _("Digitization")
    GENERAL_DIGITIZATION = "general_digitization", _("General digitization")


class DisplayCondition(models.TextChoices):
    ALWAYS = "always", _("Always")
    ITEM_REQUESTABLE = "item_requestable", _("An item is requestable (in place)")
    FULL_TEXT_AVAILABLE = "full_text_available", _("Full text is available")


class DisplayLogicRule(models.Model):
    """Hide a service when a condition holds (DIG-5)."""

    institution = models.ForeignKey("org.Institution", on_delete=models.CASCADE, related_name="display_logic_rules")
    service = models.CharField(max_length=40, choices=Service.choices)
    condition = models.CharField(max_length=40, choices=DisplayCondition.choices, default=DisplayCondition.ALWAYS)
    active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"Hide {self.service} when {self.condition}"


# DIG-3: one vocabulary of copyright statuses: what an option maps to is what the citation then
# carries (lists.CopyrightStatus); an option always maps to a decided status, never "not determined".
OPTION_STATUSES = [(value, label) for value, label in CopyrightStatus.choices if value]


# DIG-3: statuses that do not need the clearance form.  Creative Commons is added to the four the
# spec names because DIG-2 forbids a clearance request on a Creative Commons file: requiring the
# form there would leave the file unusable.
CLEARED_STATUSES = frozenset({CopyrightStatus.SELF_DECLARED, CopyrightStatus.FAIR_USE, CopyrightStatus.DECLINED,
                              CopyrightStatus.APPROVED, CopyrightStatus.CREATIVE_COMMONS})
# DIG-2: a clearance request is refused for these
NO_CLEARANCE_REQUEST = frozenset({CopyrightStatus.SELF_DECLARED, CopyrightStatus.CREATIVE_COMMONS})


class CopyrightOption(models.Model):
    """A copyright option an instructor picks when uploading a file, mapped to a status (DIG-3)."""

    institution = models.ForeignKey("org.Institution", on_delete=models.CASCADE, related_name="copyright_options")
    code = models.CharField(max_length=60)
    label = models.CharField(max_length=200)
    copyright_status = models.CharField(max_length=30, choices=OPTION_STATUSES)

    class Meta:
        ordering = ["institution", "code"]
        constraints = [models.UniqueConstraint(fields=["institution", "code"], name="uniq_copyright_option")]

    def __str__(self) -> str:
        return self.label

    @property
    def requires_clearance(self) -> bool:
        return self.copyright_status not in CLEARED_STATUSES


# --- the request ------------------------------------------------------------------------

class Kind(models.TextChoices):
    DIGITIZATION = "digitization", _("Digitization")
    COPYRIGHT = "copyright", _("Copyright clearance")


class Source(models.TextChoices):
    PATRON = "patron", _("Patron (catalog)")
    COURSE = "course", _("Instructor (resource list)")
    STAFF = "staff", _("Staff on a patron's behalf")


class TaskStatus(models.TextChoices):
    # An approval or copyright task's state: "tâche" agrees in French (Approuvée, Non requise).
    NOT_REQUIRED = "not_required", pgettext_lazy("task", "Not required")
    PENDING = "pending", pgettext_lazy("task", "Pending")
    APPROVED = "approved", pgettext_lazy("task", "Approved")
    REJECTED = "rejected", pgettext_lazy("task", "Rejected")


def _token() -> str:
    """A new delivery link's token (DIG-9); only its hash is stored (``access_token_hash``)."""
    return secrets.token_urlsafe(24)


class DigitizationRequest(Timestamped):
    institution = models.ForeignKey("org.Institution", on_delete=models.PROTECT, related_name="digitization_requests")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.DIGITIZATION)
    source = models.CharField(max_length=20, choices=Source.choices)
    service = models.CharField(max_length=40, choices=Service.choices, default=Service.DIGITIZATION)
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="digitization_requests")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    record = models.ForeignKey("catalog.Record", null=True, blank=True, on_delete=models.PROTECT, related_name="digitization_requests")
    item = models.ForeignKey("catalog.Item", null=True, blank=True, on_delete=models.SET_NULL, related_name="digitization_requests")
    citation = models.ForeignKey("lists.Citation", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="digitization_requests", help_text="the resource-list citation (course requests)")
    course = models.ForeignKey("courses.Course", null=True, blank=True, on_delete=models.SET_NULL, related_name="digitization_requests")
    title = models.CharField(max_length=1000, blank=True)
    # where the work happens (DIG-6)
    library = models.ForeignKey("org.Library", null=True, blank=True, on_delete=models.PROTECT, related_name="digitization_requests")
    department = models.ForeignKey(DigitizationDepartment, null=True, blank=True, on_delete=models.PROTECT, related_name="requests")
    desk = models.ForeignKey(CirculationDesk, null=True, blank=True, on_delete=models.PROTECT, related_name="requests")
    # the form (DIG-1)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    chapters = models.CharField(max_length=500, blank=True)
    page_ranges = models.JSONField(default=list, blank=True)  # [{"from": 1, "to": 10}]
    include_images = models.BooleanField(default=False)
    notes = models.JSONField(default=list, blank=True)
    # the rule that applied (DIG-9), copied so that later rule edits do not change open requests
    rule = models.ForeignKey(DigitizationRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    target = models.CharField(max_length=20, choices=Target.choices, default=Target.ATTACHMENT)
    max_accesses = models.PositiveIntegerField(null=True, blank=True)
    approval_mode = models.CharField(max_length=20, choices=ApprovalMode.choices, default=ApprovalMode.BLOCKING)
    # state
    status = models.CharField(max_length=30, choices=Status.choices, db_index=True)
    approval = models.CharField(max_length=20, choices=TaskStatus.choices, default=TaskStatus.NOT_REQUIRED)
    approval_reason = models.CharField(max_length=300, blank=True)
    copyright = models.CharField(max_length=20, choices=TaskStatus.choices, default=TaskStatus.NOT_REQUIRED)
    copyright_reason = models.CharField(max_length=300, blank=True)
    status_note = models.CharField(max_length=500, blank=True, help_text="reason of a rejection or cancellation")
    representation = models.ForeignKey("catalog.Representation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    due_at = models.DateTimeField(null=True, blank=True, db_index=True, help_text="work-time expiry (DIG-6)")
    # DIG-9 link delivery (SEC-KEY): only the SHA-256 of the link's token (``org.models.hash_token``, as API
    # tokens); the token itself is made at delivery and is only in the requester's letter (services.deliver)
    access_token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    access_count = models.PositiveIntegerField(default=0)
    delivered_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["requester", "status"]), models.Index(fields=["status", "due_at"])]
        constraints = [
            # DIG-1/DIG-2: one open request of each kind per citation
            models.UniqueConstraint(fields=["citation", "kind"], name="one_open_request_per_citation",
                                    condition=Q(citation_id__isnull=False) & Q(status__in=[
                                        "pending_approval", "pick_from_shelf", "in_digitization", "file_attached",
                                        "pending_copyright"])),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()} {self.title[:60]}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def work_unit(self):
        return self.department or self.desk

    @property
    def role_department(self) -> str:
        if self.department_id:
            return self.department.code
        if self.desk_id:
            return self.desk.role_department
        return ""
