"""What a merge of two accounts does to acquisitions (SRV-3; ORG-MERGE, org.merging)."""
from __future__ import annotations

from syllabus.org.merging import Merge, participant

from .models import AcquisitionTask, EditionNotice, PurchaseRequest


@participant("acquisitions.PurchaseRequest.requester", "acquisitions.AcquisitionTask.assignee",
             "acquisitions.AcquisitionTask.created_by", "acquisitions.EditionNotice.decided_by")
def acquisitions(merge: Merge) -> None:
    merge.reassign(PurchaseRequest, "requester", what="purchase requests")
    merge.reassign(AcquisitionTask, "assignee", what="acquisition tasks assigned")
    merge.reassign(AcquisitionTask, "created_by", what="acquisition tasks created")
    merge.reassign(EditionNotice, "decided_by", what="new-edition notices decided")
