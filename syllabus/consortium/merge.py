"""What a merge of two accounts does to consortium requests and shares (CON-1..4; ORG-MERGE)."""
from __future__ import annotations

from syllabus.org.merging import Merge, participant

from .models import CrossRequest, IllRequest, SettingLock, SharedList


@participant("consortium.SettingLock.created_by", "consortium.SharedList.shared_by", "consortium.IllRequest.requester",
             "consortium.CrossRequest.requester")
def consortium(merge: Merge) -> None:
    merge.reassign(CrossRequest, "requester", what="cross-member requests")
    merge.reassign(IllRequest, "requester", what="inter-library loan requests")
    merge.reassign(SharedList, "shared_by", what="lists shared with the consortium")
    merge.reassign(SettingLock, "created_by", what="consortium setting locks")
