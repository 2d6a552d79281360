"""What a merge of two accounts does to usage data (ANL-1; ORG-MERGE, org.merging)."""
from __future__ import annotations

from syllabus.org.merging import Merge, participant

from .models import ListReader, UsageEvent


@participant("analytics.UsageEvent.user", "analytics.ListReader.user")
def usage(merge: Merge) -> None:
    merge.reassign(UsageEvent, "user", what="usage events")
    # a list both opened for a course: one reader (the target's first day stays)
    merge.reassign(ListReader, "user", clash=("resource_list", "course"), what="list readers")
