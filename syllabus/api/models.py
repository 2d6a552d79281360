"""What the API itself stores: the answers to creating POSTs sent with an ``Idempotency-Key``."""
from __future__ import annotations

from django.conf import settings
from django.db import models


class IdempotencyKey(models.Model):
    """One ``Idempotency-Key`` of one user: the request it was first sent with (a fingerprint of
    method, path and body) and the answer it got, replayed to a repeat until ``expires_at``
    (API-IDEMPOTENCY; ``syllabus.api.idempotency``)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField()
    content_type = models.CharField(max_length=200, blank=True)
    body = models.BinaryField(blank=True)
    headers = models.JSONField(default=dict, blank=True)  # Location and ETag of the first answer
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="api_idempotency_key_once_per_user")]

    def __str__(self) -> str:
        return f"{self.key} ({self.user_id})"
