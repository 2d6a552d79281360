"""What a merge of two accounts does to reader services (SRV-1, SRV-4, SRV-5; ORG-MERGE)."""
from __future__ import annotations

from syllabus.org.merging import Merge, participant


@participant("circulation.Hold.patron", "circulation.Hold.closed_by", "circulation.AccessibleRequest.requester",
             "circulation.AccessibleRequest.fulfilled_by", "circulation.PersonalCopy.owner", "circulation.ReadingMark.user")
def reader_services(merge: Merge) -> None:
    from .models import AccessibleRequest, Hold, PersonalCopy, ReadingMark
    from .services import merge_holds

    moved, cancelled = merge_holds(merge.actor, merge.source, merge.target, merge.note)
    merge.report("holds", moved, f"{cancelled} duplicate(s) for the same title cancelled, the better place kept (SRV-5)"
                 if cancelled else "")
    merge.reassign(Hold, "closed_by", what="holds closed by")
    merge.reassign(AccessibleRequest, "requester", what="accessible file requests")
    merge.reassign(AccessibleRequest, "fulfilled_by", what="accessible file requests fulfilled")
    merge.reassign(PersonalCopy, "owner", what="personal copies owned (SRV-1)")
    # an item both ticked off: the target's mark stays
    merge.reassign(ReadingMark, "user", clash=("citation",), what="items marked done")
