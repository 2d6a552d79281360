"""What a merge of two accounts does to the API's idempotency keys (ORG-MERGE, org.merging)."""
from __future__ import annotations

from syllabus.org.merging import Merge, participant

from .models import IdempotencyKey


@participant(kept=("api.IdempotencyKey.user",))
def idempotency(merge: Merge) -> None:
    # the answers replayed to the source's own retries: its tokens are revoked and its sessions end,
    # so nobody sends them again; they expire with their time (API-IDEMPOTENCY)
    merge.keep(IdempotencyKey, "user", what="API idempotency keys")
