"""What a merge of two accounts does to digitization (DIG-1, DIG-6, DIG-7; ORG-MERGE, org.merging)."""
from __future__ import annotations

from django.utils.translation import gettext_noop

from syllabus.org.merging import Merge, limit_check, participant

from .models import DigitizationDepartment, DigitizationRequest


@participant("fulfillment.DigitizationRequest.requester", "fulfillment.DigitizationRequest.created_by",
             "fulfillment.DigitizationDepartment.operators")
def digitization(merge: Merge) -> None:
    # one open request per citation and kind whoever asked (DIG-1): moving the requester clashes with nothing
    merge.reassign(DigitizationRequest, "requester", what="digitization and copyright requests")
    merge.reassign(DigitizationRequest, "created_by", what="digitization requests created on a patron's behalf")
    merge.reassign_m2m(DigitizationDepartment.operators, what="digitization departments operated (DIG-6)")


@limit_check
def digitization_limit(merge: Merge) -> None:
    """DIG-7 on the merged account: its user group's limit against the two accounts' open requests
    together.  None is cancelled (org.merging); ``check_patron_limit`` refuses new ones meanwhile."""
    from .services import open_patron_requests, patron_limit

    merge.over_limit("DIG-7", gettext_noop("open digitization requests"), count=open_patron_requests(merge.target),
                     limit=patron_limit(merge.target))
