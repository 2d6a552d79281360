"""The API's timer sweep: forget ``Idempotency-Key`` answers past their expiry (API-IDEMPOTENCY)."""
from __future__ import annotations

from syllabus.core.tasks import periodic


@periodic("api_idempotency_keys")
def sweep_idempotency_keys(now) -> int:
    from .models import IdempotencyKey

    deleted, _ = IdempotencyKey.objects.filter(expires_at__lte=now).delete()
    return deleted
