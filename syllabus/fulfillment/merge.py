"""What a merge of two accounts does to digitization (DIG-1, DIG-6; ORG-MERGE, org.merging)."""
from __future__ import annotations

from syllabus.org.merging import Merge, participant

from .models import DigitizationDepartment, DigitizationRequest


@participant("fulfillment.DigitizationRequest.requester", "fulfillment.DigitizationRequest.created_by",
             "fulfillment.DigitizationDepartment.operators")
def digitization(merge: Merge) -> None:
    # one open request per citation and kind whoever asked (DIG-1): moving the requester clashes with nothing
    merge.reassign(DigitizationRequest, "requester", what="digitization and copyright requests")
    merge.reassign(DigitizationRequest, "created_by", what="digitization requests created on a patron's behalf")
    merge.reassign_m2m(DigitizationDepartment.operators, what="digitization departments operated (DIG-6)")
