"""Library discussion (DSC-1..2): one thread per list and one per item, messages, and each
person's read state.

A thread exists from its first message.  ``awaiting_library`` is the open alert: an instructor
wrote and no librarian has answered yet.  Unread counts are not stored: a person's unread
messages in a thread are the messages by others after their ``ReadState.last_read_id``.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from syllabus.core import clock


class Thread(models.Model):
    class Level(models.TextChoices):
        LIST = "list", _("List")
        ITEM = "item", _("Item")

    institution = models.ForeignKey("org.Institution", on_delete=models.CASCADE, related_name="+")
    resource_list = models.ForeignKey("lists.ResourceList", on_delete=models.CASCADE, related_name="discussion_threads")
    citation = models.ForeignKey("lists.Citation", null=True, blank=True, on_delete=models.CASCADE, related_name="discussion_threads")
    level = models.CharField(max_length=8, choices=Level.choices)
    created_at = models.DateTimeField(default=clock.now)
    last_message_at = models.DateTimeField(null=True, blank=True, db_index=True)
    awaiting_library = models.BooleanField(default=False, help_text="an instructor wrote and the library has not answered yet")

    class Meta:
        ordering = ["-last_message_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["resource_list"], condition=Q(citation__isnull=True), name="uniq_discussion_list_thread"),
            models.UniqueConstraint(fields=["citation"], condition=Q(citation__isnull=False), name="uniq_discussion_item_thread"),
            models.CheckConstraint(condition=(Q(level="list", citation__isnull=True) | Q(level="item", citation__isnull=False)),
                                   name="discussion_thread_level_matches"),
        ]
        indexes = [models.Index(fields=["institution", "awaiting_library", "-last_message_at"], name="discussion_alerts_idx")]

    def __str__(self) -> str:
        where = f"item {self.citation_id}" if self.citation_id else "list"
        return f"discussion on list {self.resource_list_id} ({where})"


class Message(models.Model):
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    from_library = models.BooleanField(default=False, help_text="written by a librarian answering for the library")
    body = models.TextField()
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["thread", "id"], name="discussion_message_thread_idx")]

    def __str__(self) -> str:
        return f"message {self.pk} in thread {self.thread_id}"


class ReadState(models.Model):
    """How far a person has read a thread (DSC-2: counts clear when read, per user)."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="read_states")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    last_read_id = models.BigIntegerField(default=0)
    read_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["thread", "user"], name="uniq_discussion_read_state")]

    def __str__(self) -> str:
        return f"{self.user_id} read thread {self.thread_id} up to {self.last_read_id}"
