"""Reads of letters, the outbox and notifications, shared by pages and the API."""
from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from syllabus.org.permissions import is_superuser

from .letters import LetterType, all_letters
from .models import CHANNELS, LetterConfig, Notification, OutboxMessage

MONITOR_TABS = ("pending", "failed", "sent", "suppressed", "all")


def unread_notifications(user) -> int:
    if user is None or not user.is_authenticated:
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def notification_queryset(user, *, unread_only: bool = False):
    """A user's notifications, newest first."""
    qs = Notification.objects.filter(user=user)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by("-created_at", "-id")


def notifications_for(user, *, unread_only: bool = False, limit: int = 50) -> list[Notification]:
    return list(notification_queryset(user, unread_only=unread_only)[:limit])


@dataclass
class LetterRow:
    letter: LetterType
    config: LetterConfig | None

    @property
    def code(self) -> str:
        return self.letter.code

    @property
    def enabled(self) -> bool:
        return self.config is None or self.config.enabled

    @property
    def edited(self) -> bool:
        return self.config is not None and any(getattr(self.config, f) is not None for f in ("subject", "body", "sms"))

    @property
    def channels(self) -> list[dict]:
        labels = dict(CHANNELS)
        return [{"code": c, "label": labels.get(c, c),
                 "enabled": self.config is None or c not in (self.config.disabled_channels or [])}
                for c in self.letter.channels]


def letter_rows(institution) -> list[LetterRow]:
    configs = {c.letter: c for c in LetterConfig.objects.filter(institution=institution)} if institution else {}
    return [LetterRow(letter, configs.get(letter.code)) for letter in all_letters()]


def letter_row(institution, letter: LetterType) -> LetterRow:
    return LetterRow(letter, LetterConfig.objects.filter(institution=institution, letter=letter.code).first())


def outbox_visible_to(user) -> QuerySet[OutboxMessage]:
    qs = OutboxMessage.objects.all()
    if not is_superuser(user):
        qs = qs.filter(institution_id=user.institution_id)
    return qs


def outbox_counts(user) -> dict[str, int]:
    rows = outbox_visible_to(user).values("status").annotate(n=Count("id"))
    counts = {status: 0 for status in OutboxMessage.Status.values}
    for row in rows:
        counts[row["status"]] = row["n"]
    counts["pending"] += counts.pop("sending", 0)
    counts["all"] = sum(counts.values())
    return counts


def outbox_messages(user, tab: str = "pending", q: str = "", letter: str = "") -> QuerySet[OutboxMessage]:
    qs = outbox_visible_to(user).select_related("recipient", "institution")
    if tab == "pending":
        qs = qs.filter(status__in=[OutboxMessage.Status.PENDING, OutboxMessage.Status.SENDING])
    elif tab in ("failed", "sent", "suppressed"):
        qs = qs.filter(status=tab)
    if letter:
        qs = qs.filter(letter=letter)
    for word in (q or "").split():
        qs = qs.filter(Q(address__icontains=word) | Q(subject__icontains=word) | Q(recipient__username__icontains=word)
                       | Q(idempotency_key__icontains=word))
    order = ("next_attempt_at", "id") if tab == "pending" else ("-created_at", "-id")
    return qs.order_by(*order)
