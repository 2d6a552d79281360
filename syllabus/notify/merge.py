"""What a merge of two accounts does to letters and notifications (ORG-MERGE, org.merging).

The source's letters (the outbox, sent or waiting) and in-app notifications become the target's:
a letter still waiting goes to the target's address.  Contact preferences: the target's stay when
it has any, else the source's move over."""
from __future__ import annotations

from syllabus.org.merging import Merge, participant

from .models import ContactPreference, LetterConfig, Notification, OutboxMessage


@participant("notify.OutboxMessage.recipient", "notify.LetterConfig.updated_by", "notify.ContactPreference.user",
             "notify.Notification.user")
def notifications(merge: Merge) -> None:
    merge.reassign(OutboxMessage, "recipient", what="letters (outbox)")
    merge.reassign(Notification, "user", what="in-app notifications")
    merge.reassign(LetterConfig, "updated_by", what="letter configurations changed")
    if ContactPreference.objects.filter(user=merge.target).exists():
        dropped, _ = ContactPreference.objects.filter(user=merge.source).delete()
        merge.report("contact preferences", dropped, "the target's kept")
    else:
        merge.reassign(ContactPreference, "user", what="contact preferences")
