"""Core tables: the audit trail (ORG-6); and the abstract field groups the apps' models share."""
from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models

from . import clock


class Timestamped(models.Model):
    """When a row was created and last changed: ``updated_at`` moves on every save of a stored row
    (a ``save(update_fields=...)`` writes it only when it is listed, as before)."""

    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk:
            self.updated_at = clock.now()
        super().save(*args, **kwargs)


class AuditEntry(models.Model):
    """Who changed what, and when: one row per change a person (or the system) made."""

    at = models.DateTimeField(default=clock.now, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # no index of its own: the (content_type, object_id, -at) index leads with it (issue 19, session 16)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, db_index=False)
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=300, blank=True)
    action = models.CharField(max_length=40)  # created, updated, deleted, or a verb such as "sent"
    changes = models.JSONField(default=dict, blank=True)  # {"field": [old, new]}
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id", "-at"])]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        who = self.actor.username if self.actor_id else "system"
        return f"{self.at:%Y-%m-%d %H:%M} {who} {self.action} {self.object_repr}"
