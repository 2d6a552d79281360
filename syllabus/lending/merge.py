"""What a merge of two accounts does to long-term digital loans (LDL-3, LDL-5; ORG-MERGE)."""
from __future__ import annotations

from syllabus.org.merging import Merge, participant


@participant("lending.LoanRequest.patron", "lending.LoanRequest.creator")
def loans(merge: Merge) -> None:
    from .models import LoanRequest
    from .services import merge_patron

    created = LoanRequest.objects.filter(creator=merge.source).exclude(patron=merge.source).count()
    moved, closed = merge_patron(merge.actor, merge.source, merge.target, merge.note)
    merge.report("digital loan requests", moved,
                 f"{closed} duplicate(s) for the same title closed, the better place kept (LDL-3)" if closed else "")
    merge.report("digital loan requests placed for others", created)
