"""What a merge of two accounts does to LMS identities (LMS-1, LMS-2; ORG-MERGE, org.merging).

The LMS accounts (issuer + sub) that launched as the source now launch the target, and a roster
sync finds the target through them.  An open "open in a new window" ticket of the source is
spent: it would sign in an inactive account."""
from __future__ import annotations

from syllabus.org.merging import Merge, participant

from .models import Identity, LaunchTicket, RegistrationLink


@participant("lti.Identity.user", "lti.RegistrationLink.created_by", kept=("lti.LaunchTicket.user",))
def lms(merge: Merge) -> None:
    merge.reassign(Identity, "user", what="LTI identities (LMS accounts)")
    spent = LaunchTicket.objects.filter(user=merge.source, used_at__isnull=True).update(used_at=merge.now)
    merge.report("LTI launch tickets spent", spent)
    merge.keep(LaunchTicket, "user", what="LTI launch tickets")
    merge.reassign(RegistrationLink, "created_by", what="LTI registration links created")
