"""What a merge of two accounts does to acquisitions (SRV-3; ORG-MERGE, org.merging)."""
from syllabus.org.merging import moves

moves(__name__, {
    "acquisitions.PurchaseRequest.requester": "purchase requests",
    "acquisitions.AcquisitionTask.assignee": "acquisition tasks assigned",
    "acquisitions.AcquisitionTask.created_by": "acquisition tasks created",
    "acquisitions.EditionNotice.decided_by": "new-edition notices decided",
})
