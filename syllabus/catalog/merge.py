"""What a merge of two accounts does to "My collection" (DSV-3; ORG-MERGE, org.merging)."""
from __future__ import annotations

from syllabus.org.merging import Merge, participant

from .models import CollectionEntry


@participant("catalog.CollectionEntry.user")
def collection(merge: Merge) -> None:
    # a record both collected once: the target's entry stays (one entry per record, DSV-3)
    merge.reassign(CollectionEntry, "user", clash=("record",), what="My collection entries")
