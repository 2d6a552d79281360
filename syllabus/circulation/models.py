"""What a reader gets from a list's items besides reading it (SPEC §6): holds on physical
titles (SRV-5), accessible file requests (SRV-4), instructors' personal copies circulated for
a course (SRV-1), and each reader's own progress through a list.

The app sits above catalog, lists, fulfillment and lending in the app graph: it reads the
catalog's items and the lists' citations, and plugs into the list pages through the lists'
slots and item-access registry.  Nothing below imports it.

State machines (the tables the services check and the docs quote) are in :mod:`.workflow`.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from syllabus.core import clock

from .workflow import AccessibleStatus, HoldStatus, PersonalCopyStatus


class Hold(models.Model):
    """A patron's hold request on a physical title (SRV-5), picked up at a library."""

    patron = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="holds")
    record = models.ForeignKey("catalog.Record", on_delete=models.CASCADE, related_name="holds")
    citation = models.ForeignKey("lists.Citation", null=True, blank=True, on_delete=models.SET_NULL, related_name="holds",
                                 help_text="the list item the hold was placed from")
    pickup_library = models.ForeignKey("org.Library", on_delete=models.PROTECT, related_name="holds")
    not_needed_after = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=HoldStatus.choices, default=HoldStatus.WAITING)
    item = models.ForeignKey("catalog.Item", null=True, blank=True, on_delete=models.SET_NULL, related_name="holds",
                             help_text="the copy put on the hold shelf")
    placed_at = models.DateTimeField(default=clock.now)
    on_shelf_at = models.DateTimeField(null=True, blank=True)
    pickup_by = models.DateTimeField(null=True, blank=True, help_text="end of the pickup period on the hold shelf")
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.CharField(max_length=500, blank=True, help_text="why it was cancelled or expired")

    class Meta:
        ordering = ["placed_at", "id"]
        indexes = [
            models.Index(fields=["record", "pickup_library", "status", "placed_at"], name="hold_queue_idx"),
            models.Index(fields=["patron", "status"], name="hold_patron_idx"),
            models.Index(fields=["status", "pickup_by"], name="hold_shelf_due_idx"),
            # DSV-6: "is this copy kept on a hold shelf?" probed per copy by the catalog search's
            # availability (catalog.availability.HELD_SQL, item_access.held_on_shelf_sql): a few
            # rows, where the item_id index also holds every closed hold of the copy
            models.Index(fields=["item"], condition=Q(status="on_hold_shelf"), name="hold_on_shelf_item_idx"),
        ]
        constraints = [
            # SRV-5: one open hold per patron and title.
            models.UniqueConstraint(fields=["patron", "record"], condition=Q(status__in=["waiting", "on_hold_shelf"]),
                                    name="hold_one_open_per_patron_title"),
            models.CheckConstraint(condition=Q(status__in=HoldStatus.values), name="hold_status_known"),
        ]

    #: place in the queue, set by :func:`.selectors.attach_places` (not a column)
    place: int = 0

    def __str__(self) -> str:
        return f"Hold {self.pk} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in (HoldStatus.WAITING, HoldStatus.ON_HOLD_SHELF)


class AccessibleRequest(models.Model):
    """A student's request for an accessible version of a list item (SRV-4)."""

    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="accessible_requests")
    citation = models.ForeignKey("lists.Citation", on_delete=models.CASCADE, related_name="accessible_requests")
    format = models.CharField(max_length=60)
    comment = models.TextField(blank=True)
    reply_to = models.EmailField(max_length=254, blank=True, help_text="where the accessible file goes")
    status = models.CharField(max_length=20, choices=AccessibleStatus.choices, default=AccessibleStatus.OPEN)
    file = models.FileField(upload_to="accessible/%Y/%m/", blank=True, max_length=200)
    file_name = models.CharField(max_length=255, blank=True)
    file_type = models.CharField(max_length=100, blank=True, help_text="sniffed content type")
    file_size = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(default=clock.now)
    fulfilled_at = models.DateTimeField(null=True, blank=True)
    fulfilled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        # the staff queue: one status, oldest first, 200 at a time (SRV-4; session 22)
        indexes = [models.Index(fields=["requester", "status"], name="accessible_requester_idx"),
                   models.Index(fields=["status", "created_at", "id"], name="accessible_status_oldest")]

    def __str__(self) -> str:
        return f"Accessible file request {self.pk}"


class PersonalCopy(models.Model):
    """An instructor's own copy lent to the library for a course (SRV-1): expected, received,
    on reserve, returned at term end."""

    citation = models.OneToOneField("lists.Citation", on_delete=models.CASCADE, related_name="personal_copy_loan")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="personal_copies")
    library = models.ForeignKey("org.Library", null=True, blank=True, on_delete=models.PROTECT, related_name="personal_copies")
    status = models.CharField(max_length=20, choices=PersonalCopyStatus.choices, default=PersonalCopyStatus.EXPECTED)
    barcode = models.CharField(max_length=60, blank=True)
    location = models.CharField(max_length=120, blank=True)
    call_number = models.CharField(max_length=120, blank=True)
    on_loan = models.BooleanField(default=False, help_text="lent to a student right now")
    return_due = models.DateField(null=True, blank=True, help_text="the course's end: the copy goes back to its owner")
    created_at = models.DateTimeField(default=clock.now)
    received_at = models.DateTimeField(null=True, blank=True)
    returned_at = models.DateTimeField(null=True, blank=True)
    return_task_at = models.DateTimeField(null=True, blank=True, help_text="when the term-end return task was raised")

    class Meta:
        verbose_name_plural = "personal copies"
        indexes = [models.Index(fields=["status", "return_due"], name="personal_copy_due_idx")]

    def __str__(self) -> str:
        return f"Personal copy of {self.citation_id} ({self.get_status_display()})"


class ReadingMark(models.Model):
    """A reader ticked a list item off as done."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reading_marks")
    citation = models.ForeignKey("lists.Citation", on_delete=models.CASCADE, related_name="reading_marks")
    done_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "citation"], name="reading_mark_once")]
        indexes = [models.Index(fields=["citation"], name="reading_mark_citation_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} done {self.citation_id}"
