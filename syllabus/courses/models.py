"""Courses (CRS-1..3)."""
from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from syllabus.core import clock
from syllabus.core.models import Timestamped


class Course(Timestamped):
    institution = models.ForeignKey("org.Institution", on_delete=models.PROTECT, related_name="courses")
    code = models.CharField(max_length=60)
    name = models.CharField(max_length=300)
    section = models.CharField(max_length=40, blank=True, default="")
    department = models.CharField(max_length=120, blank=True, default="")
    term = models.CharField(max_length=40, blank=True, default="")
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    number_of_students = models.PositiveIntegerField(default=0, validators=[MaxValueValidator(1_000_000)])  # as the API's
    instructors = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="courses_taught")
    students = models.ManyToManyField(settings.AUTH_USER_MODEL, through="Enrollment", blank=True, related_name="courses_enrolled")
    lti_context_id = models.CharField(max_length=255, blank=True, default="", db_index=True)

    class Meta:
        ordering = ["code", "section"]
        constraints = [
            models.UniqueConstraint(fields=["institution", "code", "section", "term"], name="uniq_course_identity"),
            models.CheckConstraint(condition=Q(end_date__isnull=True) | Q(start_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                                   name="course_dates_ordered"),
        ]
        indexes = [models.Index(fields=["institution", "name"])]

    @property
    def label(self) -> str:
        """``CODE-SECTION`` (``CODE`` without a section): how the pages, letters and the LMS name a
        course — two sections of one code (HIST101-01, HIST101-LMS) are never both just "HIST101"."""
        return f"{self.code}-{self.section}" if self.section else self.code

    def __str__(self) -> str:
        return f"{self.label} {self.name}"


class Enrollment(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="enrollments")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrollments")
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["course", "user"], name="uniq_enrollment")]

    def __str__(self) -> str:
        return f"{self.user} in {self.course}"


class CourseSisId(models.Model):
    """A student information system's id of a course — its LIS course offering or course section
    ``sourcedId`` as the SIS loads it into the LMS (LMS-1: an LMS launch finds the course by it).
    A course cross-listed in the SIS has several (one per section); an id names one course of its
    institution."""

    institution = models.ForeignKey("org.Institution", on_delete=models.CASCADE, related_name="+")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="sis_ids")
    sis_id = models.CharField(_("SIS id"), max_length=255)

    class Meta:
        verbose_name = _("SIS id")
        ordering = ["sis_id"]
        constraints = [models.UniqueConstraint(fields=["institution", "sis_id"], name="uniq_course_sis_id")]

    def __str__(self) -> str:
        return self.sis_id
