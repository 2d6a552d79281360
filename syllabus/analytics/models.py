"""Usage events and their daily rollups (ANL-1).

``UsageEvent`` is append-only: one row per reader action, written in one INSERT after the
response (:mod:`syllabus.analytics.recording`), kept ``analytics_retention_days`` and then
deleted by the sweep.  ``DailyUsage`` holds the counts per day that every report reads; it has
no person in it.  ``ListReader`` remembers which students opened a course's list (adoption:
"share of students who opened a list"); a student sees their own rows on "What is recorded
about me".  The relations to lists, items and courses carry no database constraint: an event
outlives nothing, and writing it must not lock or check the rows it names.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from syllabus.core import clock
from syllabus.core.usage import Kind  # the port's vocabulary, stored here


class ReaderRole(models.TextChoices):
    STUDENT = "student", _("Student")
    INSTRUCTOR = "instructor", _("Instructor")
    LIBRARY = "library", _("Library staff")
    OTHER = "other", _("Other")


def _loose(to: str, **kw):
    return models.ForeignKey(to, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False,
                             related_name="+", **kw)


class UsageEvent(models.Model):
    id = models.BigAutoField(primary_key=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    at = models.DateTimeField(default=clock.now)
    day = models.DateField()
    institution = _loose("org.Institution")
    resource_list = _loose("lists.ResourceList")
    citation = _loose("lists.Citation")
    course = _loose("courses.Course")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                             db_constraint=False, related_name="+")
    role = models.CharField(max_length=12, choices=ReaderRole.choices, default=ReaderRole.OTHER)
    user_group = _loose("org.UserGroup")
    link = models.CharField(max_length=40, blank=True, help_text="which access link of the item (item_open)")

    class Meta:
        indexes = [models.Index(fields=["day"]), models.Index(fields=["user", "at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.day}"


class DailyUsage(models.Model):
    """Events of one day, per course, list, item, kind, role and user group (no person)."""

    day = models.DateField()
    institution = _loose("org.Institution")
    course = _loose("courses.Course")
    resource_list = _loose("lists.ResourceList")
    citation = _loose("lists.Citation")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    role = models.CharField(max_length=12, choices=ReaderRole.choices)
    user_group = _loose("org.UserGroup")
    events = models.PositiveIntegerField(default=0)
    readers = models.PositiveIntegerField(default=0, help_text="distinct readers that day")

    class Meta:
        indexes = [models.Index(fields=["institution", "day"]), models.Index(fields=["resource_list", "day"]),
                   models.Index(fields=["day"])]

    def __str__(self) -> str:
        return f"{self.day} {self.kind}: {self.events}"


class ListReader(models.Model):
    """A student opened a course's list at least once (adoption)."""

    resource_list = _loose("lists.ResourceList")
    course = _loose("courses.Course")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, db_constraint=False, related_name="+")
    first_day = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["resource_list", "course", "user"], name="uniq_list_reader")]

    def __str__(self) -> str:
        return f"{self.user_id} read {self.resource_list_id}"


class Rollup(models.Model):
    """The rollup's watermark: every event up to ``last_event_id`` is in ``DailyUsage``."""

    last_event_id = models.BigIntegerField(default=0)
    rolled_up_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"rollup up to {self.last_event_id}"
