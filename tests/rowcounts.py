"""How many rows each table of the product holds — the "writes nothing" check of the guard tests
(a refused request, an over-long value, a page of another institution changes none)."""
from __future__ import annotations

# the caller's bookkeeping, not the institution's data: failed sign-ins, RATE-LIMIT counts, usage events,
# the tests' own API tokens, idempotency keys remembered for a retry
BOOKKEEPING = ("org.SignInThrottle", "org.RateCount", "analytics.UsageEvent", "org.ApiToken", "api.IdempotencyKey")


def product_row_counts() -> dict[str, int]:
    from django.apps import apps

    return {m._meta.label: m.objects.count() for m in apps.get_models()
            if m.__module__.startswith("syllabus.") and m._meta.label not in BOOKKEEPING}
