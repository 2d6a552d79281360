"""Acquisition work started from a list item (SPEC §3 librarian actions, SRV-3): the library's
tasks (order a copy, license an e-book, move a copy to short loan / course reserve) and the
instructors' purchase requests.  Their state machines are in :mod:`.workflow`."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from syllabus.core import clock
from syllabus.core.models import Timestamped

from .workflow import OPEN_TASK, PurchaseStatus, TaskStatus


class Kind(models.TextChoices):
    ORDER = "order", _("Order a copy")
    LICENSE = "license", _("License an e-book")
    SHORT_LOAN = "short_loan", _("Move to short loan / course reserve")


class AcquisitionTask(Timestamped):
    """One piece of library work on a list item; finishing it changes what the item offers:
    a copy on reserve (order, short loan) or an e-book link (licence)."""

    institution = models.ForeignKey("org.Institution", on_delete=models.CASCADE, related_name="acquisition_tasks")
    citation = models.ForeignKey("lists.Citation", null=True, blank=True, on_delete=models.CASCADE, related_name="acquisition_tasks",
                                 help_text="empty: the order of a reader's purchase suggestion from Find it (SRV-3, DSV-6)")
    record = models.ForeignKey("catalog.Record", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                               help_text="what is being acquired (set when a purchase request is bought)")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=20, choices=TaskStatus.choices, default=TaskStatus.REQUESTED)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    vendor = models.CharField(max_length=200, blank=True)
    cost_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    cost_currency = models.CharField(max_length=3, blank=True, help_text="ISO 4217 code")
    expected_date = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)
    library = models.ForeignKey("org.Library", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                help_text="where the copy goes (order, short loan)")
    location = models.CharField(max_length=120, blank=True, default="Course reserve")
    concurrent_users = models.PositiveIntegerField(null=True, blank=True, help_text="e-book licence: concurrent users")
    url = models.URLField(max_length=1000, blank=True, help_text="e-book licence: the e-book's link")
    item = models.ForeignKey("catalog.Item", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                             help_text="short loan: the copy moved; order: the copy received")
    eresource = models.ForeignKey("catalog.EResource", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    purchase_request = models.ForeignKey("PurchaseRequest", null=True, blank=True, on_delete=models.SET_NULL,
                                         related_name="tasks")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["institution", "status"]), models.Index(fields=["citation", "status"])]
        constraints = [models.CheckConstraint(condition=Q(cost_amount__isnull=True) | Q(cost_amount__gte=0),
                                              name="acq_task_cost_not_negative")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_TASK

    @property
    def title(self) -> str:
        """What the task is about: the list item, else the bought record (a Find it suggestion's order)."""
        if self.citation is not None:
            return self.citation.title
        return self.record.title if self.record is not None else ""


class PurchaseRequest(Timestamped):
    """An instructor's request that the library buy a title (a new edition or the item itself, SRV-3),
    or a reader's suggestion from the link resolver's Find it page for a title no library of the
    consortium holds (DSV-6): then ``citation`` is empty and ``metadata`` is what was looked for."""

    institution = models.ForeignKey("org.Institution", on_delete=models.CASCADE, related_name="purchase_requests")
    citation = models.ForeignKey("lists.Citation", null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="purchase_requests", help_text="empty: a suggestion from Find it (DSV-6)")
    metadata = models.JSONField(default=dict, blank=True, help_text="a Find it suggestion: the CSL-JSON looked for")
    from_citation = models.ForeignKey("lists.Citation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                      help_text="a Find it suggestion made from a list item: Bought links the item to the record")
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="purchase_requests")
    note = models.TextField(blank=True)
    title = models.CharField(max_length=1000, blank=True, help_text="what is to be bought (e.g. the new edition)")
    isbn = models.CharField(max_length=13, blank=True)
    status = models.CharField(max_length=24, choices=PurchaseStatus.choices, default=PurchaseStatus.LIBRARY_PROCESSING)
    reason = models.CharField(max_length=500, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        # the library's purchase requests: one status, newest first (SRV-3; session 22)
        indexes = [models.Index(fields=["requester", "status"], name="acq_purchase_requester_idx"),
                   models.Index(fields=["institution", "status", "-created_at", "-id"], name="acq_purchase_queue_idx")]

    def __str__(self) -> str:
        return f"Purchase request #{self.pk}"

    @property
    def is_suggestion(self) -> bool:
        """A reader's suggestion from Find it (no list item behind it)."""
        return self.citation_id is None


class NoticeStatus(models.TextChoices):
    OPEN = "open", _("New edition available")
    REPLACED = "replaced", _("Item replaced by the new edition")
    ADDED = "added", _("New edition added to the list")
    DECLINED = "declined", _("New edition declined")


class EditionNotice(models.Model):
    """A later edition of the same work found for a list item (SRV-3), from the local catalog
    (``record`` set) or a bibliographic feed (``source`` = ``openlibrary``)."""

    institution = models.ForeignKey("org.Institution", on_delete=models.CASCADE, related_name="edition_notices")
    citation = models.ForeignKey("lists.Citation", on_delete=models.CASCADE, related_name="edition_notices")
    source = models.CharField(max_length=20, help_text="catalog | openlibrary")
    key = models.CharField(max_length=200, help_text="what identifies the edition: record id, ISBN or feed key")
    record = models.ForeignKey("catalog.Record", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    title = models.CharField(max_length=1000)
    edition = models.CharField(max_length=100, blank=True)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    isbn = models.CharField(max_length=13, blank=True)
    publisher = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=20, choices=NoticeStatus.choices, default=NoticeStatus.OPEN)
    created_at = models.DateTimeField(default=clock.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-year", "-id"]
        constraints = [models.UniqueConstraint(fields=["citation", "key"], name="uniq_edition_notice")]

    def __str__(self) -> str:
        return f"{self.title} ({self.year or '?'})"


class EditionCheck(models.Model):
    """When the periodic sweep last looked for new editions of an item (at most once a day each)."""

    citation = models.OneToOneField("lists.Citation", on_delete=models.CASCADE, related_name="edition_check")
    checked_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.citation_id}: {self.checked_at:%Y-%m-%d}"
