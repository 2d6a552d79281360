"""Catalog (DSV-1): bibliographic records, physical items, e-resources, digital representations.

``Record.csl`` holds the record's metadata in CSL-JSON (the canonical form of LST-2); the
plain columns beside it are copies kept for search, sorting and display.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from syllabus.core import clock

from . import availability


class Record(models.Model):
    institution = models.ForeignKey("org.Institution", on_delete=models.PROTECT, related_name="records",
                                    help_text="the member whose catalog holds the record")
    source_id = models.CharField(max_length=120, help_text="record id (MARC 001/035 or another system's id)")
    type = models.CharField(max_length=40, default="book", help_text="CSL type: book, chapter, article-journal, webpage...")
    title = models.CharField(max_length=1000)
    creators = models.CharField(max_length=1000, blank=True, help_text="authors/editors as display text")
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    edition = models.CharField(max_length=100, blank=True)
    publisher = models.CharField(max_length=300, blank=True)
    isbn = models.CharField(max_length=13, blank=True, db_index=True, help_text="first ISBN, ISBN-13 compact form")
    issn = models.CharField(max_length=9, blank=True, db_index=True)
    doi = models.CharField(max_length=200, blank=True, db_index=True)
    work_key = models.CharField(max_length=200, blank=True, db_index=True, help_text="groups editions of one work")
    container_title = models.CharField(max_length=500, blank=True, help_text="journal, book or series the record is part of")
    subjects = models.TextField(blank=True, help_text="subject headings, '; ' between them")
    identifiers = models.TextField(blank=True, help_text="every ISBN (10 and 13), ISSN, DOI, OCLC number... "
                                   "as search tokens, ' ' between them")
    language = models.CharField(max_length=12, blank=True)
    notes = models.TextField(blank=True, default="", db_default="", help_text="abstract (MARC 520) and notes, for search")
    csl = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["institution", "source_id"], name="uniq_record_source")]
        indexes = [models.Index(fields=["title"])]

    def __str__(self) -> str:
        return self.title[:80]


class Holding(models.Model):
    """A library's holding of a record at one location (MARC 852): the items on its shelf."""

    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="holdings")
    library = models.ForeignKey("org.Library", on_delete=models.PROTECT, related_name="holdings")
    location = models.CharField(max_length=120, blank=True)
    call_number = models.CharField(max_length=120, blank=True)
    summary = models.CharField(max_length=300, blank=True, help_text="e.g. v.1-20 (1990-2010)")
    public_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["library__code", "location", "call_number"]

    def __str__(self) -> str:
        return f"{self.library.code} {self.location} {self.call_number}".strip()


class Item(models.Model):
    class Status(models.TextChoices):
        IN_PLACE = "in_place", _("In place")
        ON_LOAN = "on_loan", _("On loan")
        IN_PROCESS = "in_process", _("In process")
        MISSING = "missing", _("Missing")

    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="items")
    library = models.ForeignKey("org.Library", on_delete=models.PROTECT, related_name="items")
    barcode = models.CharField(max_length=60, unique=True)
    location = models.CharField(max_length=120, blank=True)
    call_number = models.CharField(max_length=120, blank=True)
    item_type = models.CharField(max_length=40, default="book")
    description = models.CharField(max_length=200, blank=True, help_text="e.g. v.2, 2019")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.IN_PLACE)
    holding = models.ForeignKey(Holding, null=True, blank=True, on_delete=models.SET_NULL, related_name="items")

    #: the ``catalog.availability.Held`` a higher app keeps this copy under (the hold shelf),
    #: set where a page reads its copies (``selectors._decorate``); ``None``: nobody's
    held: availability.Held | None = None

    def __str__(self) -> str:
        return f"{self.barcode} ({self.library.code})"

    @property
    def is_available(self) -> bool:
        """DSV-6: in place and held for nobody — the one test (``catalog.availability``)."""
        return availability.is_available(self.status, self.held)


class EResource(models.Model):
    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="eresources")
    institution = models.ForeignKey("org.Institution", on_delete=models.PROTECT, related_name="eresources")
    url = models.URLField(max_length=1000)
    provider = models.CharField(max_length=200, blank=True)
    coverage = models.CharField(max_length=200, blank=True, help_text="e.g. 1995-present")
    open_access = models.BooleanField(default=False)
    coverage_from = models.PositiveSmallIntegerField(null=True, blank=True, help_text="first year covered (empty: from the start)")
    coverage_to = models.PositiveSmallIntegerField(null=True, blank=True, help_text="last year covered (empty: to the present)")

    def __str__(self) -> str:
        return self.url

    def covers(self, year: int | None) -> bool:
        """True when an article of ``year`` falls inside the coverage (DSV-6); unknown years are covered."""
        if year is None:
            return True
        return (self.coverage_from is None or year >= self.coverage_from) and (self.coverage_to is None or year <= self.coverage_to)


class Representation(models.Model):
    """A digital representation of a record (a scanned book, a PDF...), held by a library."""

    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="representations")
    library = models.ForeignKey("org.Library", on_delete=models.PROTECT, related_name="representations")
    label = models.CharField(max_length=300, blank=True)
    file = models.FileField(upload_to="representations/%Y/%m/", blank=True)
    mime_type = models.CharField(max_length=100, blank=True)
    active = models.BooleanField(default=True)
    discoverable = models.BooleanField(
        default=True, help_text="shown in search, on the record page and by the link resolver; off for a file "
                                "made for one person (a document-delivery scan), which only its request opens")
    related_items = models.ManyToManyField(Item, blank=True, related_name="representations")
    created_at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return self.label or f"Representation of {self.record}"


class RepresentationFile(models.Model):
    """A further file of a representation (chapters, parts...); ``Representation.file`` is the first."""

    representation = models.ForeignKey(Representation, on_delete=models.CASCADE, related_name="extra_files")
    file = models.FileField(upload_to="representations/%Y/%m/")
    label = models.CharField(max_length=300, blank=True)
    mime_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    sequence = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["sequence", "id"]

    def __str__(self) -> str:
        return self.label or self.file.name


class CollectionEntry(models.Model):
    """One entry of a user's personal collection, "My collection" (DSV-3): a catalog record or
    stand-alone metadata (from cite-it, an identifier lookup, an import...) in CSL-JSON."""

    class Source(models.TextChoices):
        SEARCH = "search", _("Search")
        CITE_IT = "cite_it", _("Cite it")
        LOOKUP = "lookup", _("Identifier lookup")
        IMPORT = "import", _("Import")
        MANUAL = "manual", _("Manual")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="collection_entries")
    record = models.ForeignKey(Record, null=True, blank=True, on_delete=models.SET_NULL, related_name="collection_entries")
    title = models.CharField(max_length=1000)
    csl = models.JSONField(default=dict)
    note = models.TextField(blank=True)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.SEARCH)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "record"], condition=models.Q(record__isnull=False),
                                               name="uniq_collection_record")]
        verbose_name_plural = "collection entries"

    def __str__(self) -> str:
        return self.title[:80]
