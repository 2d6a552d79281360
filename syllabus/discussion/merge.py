"""What a merge of two accounts does to library discussions (DSC-2; ORG-MERGE, org.merging)."""
from __future__ import annotations

from syllabus.org.merging import Merge, participant

from .models import Message, ReadState


@participant("discussion.Message.author", "discussion.ReadState.user")
def discussion(merge: Merge) -> None:
    merge.reassign(Message, "author", what="discussion messages")
    # a thread both had read: the target's read state stays (its own new-message count)
    merge.reassign(ReadState, "user", clash=("thread",), what="discussion read states")
