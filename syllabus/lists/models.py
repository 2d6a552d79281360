"""Resource lists (LST-1..8): lists, sections, citations (items) and the librarians' tasks.

A citation keeps its metadata in CSL-JSON (``Citation.metadata``, field names as CSL spells
them, LST-2); it may point at a catalog record or stand alone.  The columns ``title`` and
``formatted`` are copies derived from the metadata (for sorting and for the student view).
Workflow states and their transition tables are in :mod:`syllabus.lists.workflow`.
"""
from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from syllabus.core import clock
from syllabus.core.models import Timestamped

from . import task_details
from .workflow import ItemStatus, ListStatus, Visibility

task_details.declare_kind("list_sent", _("List sent to library"))
task_details.declare_kind("item_sent", _("Item sent to library"))
task_details.declare_kind("changed", _("Changed since sent"))
task_details.declare_kind("items_added", _("Items added since sent"))


class CitationType(models.TextChoices):
    """LST-2 citation types; each maps to one CSL ``type`` (see :data:`CSL_TYPE`)."""

    BOOK = "book", _("Book")
    BOOK_CHAPTER = "book_chapter", _("Book chapter")
    ARTICLE = "article", _("Article")
    WEBSITE = "website", _("Website")
    VIDEO_AUDIO = "video_audio", _("Video / audio")
    DOCUMENT = "document", _("Document / file")
    OTHER = "other", _("Other")


CSL_TYPE = {
    CitationType.BOOK: "book",
    CitationType.BOOK_CHAPTER: "chapter",
    CitationType.ARTICLE: "article-journal",
    CitationType.WEBSITE: "webpage",
    CitationType.VIDEO_AUDIO: "motion_picture",
    CitationType.DOCUMENT: "document",
    CitationType.OTHER: "article",
}


class CopyrightStatus(models.TextChoices):
    """LST-3 copyright status of a citation (the digitization/copyright workflow sets most of them)."""

    NOT_DETERMINED = "", _("Not determined")
    SELF_DECLARED = "self_declared", _("Self declared")
    FAIR_USE = "fair_use", _("Fair use")
    CREATIVE_COMMONS = "creative_commons", _("Creative Commons")
    WAITING = "waiting", _("Waiting for clearance")
    APPROVED = "approved", _("Approved")
    DECLINED = "declined", _("Declined")
    # an instructor's copyright option "I don't know" (DIG-3): students wait for the library's clearance
    NOT_SPECIFIED = "not_specified", _("Not specified")


class ResourceList(Timestamped):
    institution = models.ForeignKey("org.Institution", on_delete=models.PROTECT, related_name="resource_lists")
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    courses = models.ManyToManyField("courses.Course", blank=True, related_name="resource_lists")
    owners = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="lists_owned")
    collaborators = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="lists_collaborating")
    status = models.CharField(max_length=20, choices=ListStatus.choices, default=ListStatus.BEING_PREPARED)
    visibility = models.CharField(max_length=20, choices=Visibility.choices, default=Visibility.DRAFT)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="lists_assigned", help_text="the librarian working on the list (LST-7)")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    sent_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    revision = models.PositiveIntegerField(
        default=0, editable=False,
        help_text="bumped by every change of the list, its sections or its items: the cached student view's key")

    class Meta:
        ordering = ["title", "id"]
        indexes = [
            models.Index(fields=["institution", "status"]),
            models.Index(fields=["institution", "assignee"]),
            models.Index(fields=["institution", "title"]),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_published(self) -> bool:
        return self.visibility == Visibility.PUBLISHED

    @property
    def is_sent(self) -> bool:
        return self.status != ListStatus.BEING_PREPARED


class Section(models.Model):
    resource_list = models.ForeignKey(ResourceList, on_delete=models.CASCADE, related_name="sections")
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__isnull=True) | Q(start_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                                   name="section_dates_ordered"),
        ]

    def __str__(self) -> str:
        return self.title


class Citation(Timestamped):
    """One item of a list (LST-2, LST-3)."""

    resource_list = models.ForeignKey(ResourceList, on_delete=models.CASCADE, related_name="citations")
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="citations")
    position = models.PositiveIntegerField(default=0, validators=[MaxValueValidator(100_000)])  # as the API's Position
    type = models.CharField(max_length=20, choices=CitationType.choices, default=CitationType.BOOK)
    metadata = models.JSONField(default=dict, help_text="CSL-JSON: title, author, container-title, ISBN, ISSN, DOI, issued...")
    title = models.CharField(max_length=1000, blank=True, help_text="copy of metadata.title for sorting and search")
    record = models.ForeignKey("catalog.Record", null=True, blank=True, on_delete=models.SET_NULL, related_name="citations")
    status = models.CharField(max_length=24, choices=ItemStatus.choices, default=ItemStatus.BEING_PREPARED)
    status_note = models.CharField(max_length=500, blank=True, help_text="the library's reason, e.g. why declined")
    tags = models.JSONField(default=list, blank=True, help_text="tag codes, see syllabus.lists.tags")
    public_note = models.TextField(blank=True, help_text="note for students")
    library_note = models.TextField(blank=True, help_text="private note for the library")
    file = models.FileField(upload_to="lists/", blank=True, max_length=200)
    file_name = models.CharField(max_length=255, blank=True, help_text="the uploader's file name (display only)")
    file_type = models.CharField(max_length=100, blank=True, help_text="sniffed content type")
    file_size = models.PositiveBigIntegerField(default=0)
    copyright_status = models.CharField(max_length=30, choices=CopyrightStatus.choices, default="", blank=True)
    personal_copy = models.BooleanField(default=False)
    personal_copy_owner = models.CharField(max_length=200, blank=True)
    open_access = models.BooleanField(default=False, help_text="an open-access resource (LST-5)")
    formatted = models.TextField(blank=True, help_text="formatted citation (HTML) in formatted_style")
    formatted_style = models.CharField(max_length=100, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position", "id"]
        indexes = [
            models.Index(fields=["section", "position"]),
            models.Index(fields=["resource_list", "status"]),
        ]

    def __str__(self) -> str:
        return self.title[:80] or f"citation {self.pk}"

    @property
    def url(self) -> str:
        return (self.metadata or {}).get("URL", "")

    @property
    def doi(self) -> str:
        return (self.metadata or {}).get("DOI", "")

    @property
    def isbn(self) -> str:
        return (self.metadata or {}).get("ISBN", "")

    @property
    def csl_type(self) -> str:
        return CSL_TYPE.get(self.type, "article")


class LibrarianTask(models.Model):
    """Something on a list that a librarian has to look at (LST-4, LST-6).

    ``kind`` is open-ended so that other apps can raise their own tasks (e.g. a discussion
    message); the lists app raises ``list_sent``, ``item_sent``, ``changed`` and ``items_added`` (one
    instructor action adding many items to a list the library has: an import)."""

    LIST_SENT = "list_sent"
    ITEM_SENT = "item_sent"
    CHANGED = "changed"
    ITEMS_ADDED = "items_added"  # one action added many items (an import): one task naming them
    KIND_LABELS = task_details.KIND_LABELS  # every app's kinds (task_details.declare_kind)

    resource_list = models.ForeignKey(ResourceList, on_delete=models.CASCADE, related_name="tasks")
    citation = models.ForeignKey(Citation, null=True, blank=True, on_delete=models.CASCADE, related_name="tasks")
    kind = models.CharField(max_length=40)
    # session 21 (LST-7): what happened, as a code and its parameters, said in the reader's
    # language when shown (task_details); ``detail`` keeps the English text of an older task
    # that could not be read back (legacy), and is empty otherwise
    detail_code = models.CharField(max_length=40, blank=True)
    detail_params = models.JSONField(default=dict, blank=True)
    detail = models.TextField(blank=True, help_text="legacy: the text of a task written before detail_code")
    count = models.PositiveIntegerField(default=1, validators=[MaxValueValidator(1_000_000)],
                                        help_text="how many changes this open task gathers")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [models.Index(fields=["resource_list", "resolved_at"])]

    def __str__(self) -> str:
        return f"{self.kind_label}: {self.resource_list_id}"

    @property
    def kind_label(self) -> str:
        return task_details.kind_label(self.kind)

    @property
    def detail_text(self) -> str:
        """What happened, in the active language (a legacy task: its stored text)."""
        if self.detail_code:
            return task_details.say(self.detail_code, self.detail_params) or self.detail
        return self.detail

    def set_detail(self, said: task_details.Said | str) -> None:
        """Store a detail: a :class:`~syllabus.lists.task_details.Said` (a plain text: legacy)."""
        if isinstance(said, task_details.Said):
            self.detail_code, self.detail_params, self.detail = said.code, said.params, ""
        else:
            self.detail_code, self.detail_params, self.detail = "", {}, said

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


# --- term rollover (ROLL-1..11, syllabus.lists.rollover) -------------------------------------

class RolloverRun(models.Model):
    """One run of the term rollover: copy the lists of ``from_term``'s courses to ``to_term``'s.

    A dry run (ROLL-9) is never stored: it changes nothing, this table included."""

    institution = models.ForeignKey("org.Institution", on_delete=models.PROTECT, related_name="rollover_runs")
    from_term = models.CharField(max_length=40)
    to_term = models.CharField(max_length=40)
    keep_notes = models.BooleanField(default=True, help_text="ROLL-4: notes for students and the library's notes kept")
    offset_days = models.IntegerField(null=True, blank=True, help_text="ROLL-3: days every date moves by")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    started_at = models.DateTimeField(default=clock.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    lists_copied = models.PositiveIntegerField(default=0)
    lists_already_copied = models.PositiveIntegerField(default=0)
    lists_failed = models.PositiveIntegerField(default=0)
    lists_remaining = models.PositiveIntegerField(default=0, help_text="left for a next run (a bounded run, max_lists)")
    courses_created = models.PositiveIntegerField(default=0)
    items_copied = models.PositiveIntegerField(default=0)
    items_skipped = models.PositiveIntegerField(default=0)
    items_recheck = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["institution", "started_at"])]

    def __str__(self) -> str:
        return f"rollover {self.from_term} → {self.to_term} #{self.pk}"


class RolloverEntry(models.Model):
    """The report of one list in a run (ROLL-11); a ``copied`` entry is also what makes the
    rollover idempotent (ROLL-8): one per source list and target term, by a constraint."""

    COPIED = "copied"
    FAILED = "failed"
    OUTCOMES = [(COPIED, _("Copied")), (FAILED, _("Failed"))]

    run = models.ForeignKey(RolloverRun, on_delete=models.CASCADE, related_name="entries")
    to_term = models.CharField(max_length=40)
    source = models.ForeignKey(ResourceList, null=True, blank=True, on_delete=models.SET_NULL, related_name="rolled_over_to")
    copy = models.ForeignKey(ResourceList, null=True, blank=True, on_delete=models.SET_NULL, related_name="rolled_over_from")
    source_title = models.CharField(max_length=300)
    courses = models.CharField(max_length=500, blank=True, help_text="the new term's courses of the copy")
    outcome = models.CharField(max_length=20, choices=OUTCOMES)
    courses_created = models.JSONField(default=list, blank=True)
    items_copied = models.PositiveIntegerField(default=0)
    items_recheck = models.PositiveIntegerField(default=0)
    skipped = models.JSONField(default=list, blank=True, help_text="[{title, reason}] of the items not copied")
    rule = models.CharField(max_length=20, blank=True)
    detail = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "to_term"], condition=Q(outcome="copied"), name="rollover_copy_once"),
        ]

    def __str__(self) -> str:
        return f"{self.source_title} ({self.outcome})"

    @property
    def title(self) -> str:
        return self.source_title

    @property
    def course_labels(self) -> str:
        return self.courses


class ListChange(models.Model):
    """A list's change stamp, bumped by database triggers (lists.changes, issue 19): no foreign
    key — a trigger writes it in the same transaction as the change, whatever wrote that."""
    list_id = models.BigIntegerField(primary_key=True)
    n = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"list {self.list_id}: {self.n}"


class RecordChange(models.Model):
    """A catalog record's change stamp (record 0: every record), bumped by database triggers
    (lists.changes, issue 19)."""
    record_id = models.BigIntegerField(primary_key=True)
    n = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"record {self.record_id}: {self.n}"


# --- a large citation file, imported in the background (LST-9, session 18) -------------------

class ListImport(models.Model):
    """A RIS/BibTeX/CSL-JSON file too large to import within the web request (over
    ``IMPORT_INLINE_BYTES``): queued here by the import form or ``POST /api/v1/lists/{id}/import``,
    read and imported by the timer's sweep (``lists.tasks``: the in-process runner, or Celery
    beat's worker) a slice at a time, with its progress and, entry by entry, its report
    (:class:`ListImportEntry`) for the person who sent it."""

    QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
    STATUSES = [(QUEUED, _("Waiting")), (RUNNING, _("Importing")), (DONE, _("Imported")), (FAILED, _("Failed")),
                (CANCELLED, _("Cancelled"))]
    ACTIVE = (QUEUED, RUNNING)  # what the per-person and per-list bounds count (LST-9, session 19)

    resource_list = models.ForeignKey(ResourceList, on_delete=models.CASCADE, related_name="imports")
    section = models.ForeignKey(Section, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    filename = models.CharField(max_length=255, blank=True)
    format = models.CharField(max_length=20, blank=True, help_text="as asked (empty: detected), then as read")
    text = models.TextField(blank=True, help_text="the file's text, until it is read")
    pending = models.JSONField(default=list, blank=True, help_text="the entries read and not imported yet")
    status = models.CharField(max_length=20, choices=STATUSES, default=QUEUED)
    total = models.PositiveIntegerField(default=0, help_text="entries read from the file")
    done = models.PositiveIntegerField(default=0, help_text="entries imported or refused so far")
    rule = models.CharField(max_length=20, blank=True, help_text="why the whole file was refused")
    detail = models.TextField(blank=True)
    created_at = models.DateTimeField(default=clock.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True, help_text="a sweep works on it until then")
    # session 19: the one librarian task of the whole import across the timer's slices (LST-6), as
    # lists.services.ChangeBatch.state() — the task's id, the names its detail shows and the counts
    batch = models.JSONField(null=True, blank=True, help_text="the import's librarian task, carried across slices")
    notified_at = models.DateTimeField(null=True, blank=True,
                                       help_text="when the letter that it finished or failed was queued (once)")
    # session 20 (LST-3): where the entries' notes go — the library's private note unless the sender chose
    notes_public = models.BooleanField(default=False, help_text="the entries' notes are the public note, shown to students")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"]), models.Index(fields=["resource_list", "created_at"]),
                   models.Index(fields=["actor", "status"], name="list_import_actor_status")]

    def __str__(self) -> str:
        return f"import of {self.filename or 'a file'} into list {self.resource_list_id} ({self.status})"

    @property
    def status_label(self) -> str:
        return str(dict(self.STATUSES).get(self.status, self.status))


class ListImportEntry(models.Model):
    """One entry's outcome in a background import: written in the same transaction as its
    citation, so that an import picked up again after a stop neither loses nor repeats one."""

    job = models.ForeignKey(ListImport, on_delete=models.CASCADE, related_name="entries")
    position = models.PositiveIntegerField()
    status = models.CharField(max_length=20)  # created | rejected
    title = models.TextField(blank=True)
    citation = models.ForeignKey("Citation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    rule = models.CharField(max_length=20, blank=True)
    detail = models.TextField(blank=True)
    line = models.PositiveIntegerField(default=0)
    dropped = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["job", "position"], name="list_import_entry_once")]

    def __str__(self) -> str:
        return f"entry {self.position} of import {self.job_id} ({self.status})"
