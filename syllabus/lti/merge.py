"""What a merge of two accounts does to LMS identities (LMS-1, LMS-2; ORG-MERGE, org.merging).

The LMS accounts (issuer + sub) that launched as the source now launch the target, and a roster
sync finds the target through them.  An open "open in a new window" ticket of the source is
spent: it would sign in an inactive account."""
from __future__ import annotations

from syllabus.org.merging import DUPLICATE_FINDERS, LMS_SIS_ID, Merge, participant

from .models import Identity, LaunchTicket, RegistrationLink


@participant("lti.Identity.user", "lti.RegistrationLink.created_by", kept=("lti.LaunchTicket.user",))
def lms(merge: Merge) -> None:
    merge.reassign(Identity, "user", what="LTI identities (LMS accounts)")
    spent = LaunchTicket.objects.filter(user=merge.source, used_at__isnull=True).update(used_at=merge.now)
    merge.report("LTI launch tickets spent", spent)
    merge.keep(LaunchTicket, "user", what="LTI launch tickets")
    merge.reassign(RegistrationLink, "created_by", what="LTI registration links created")


@DUPLICATE_FINDERS.register
def same_sis_id(institution, people: dict) -> list[tuple[str, str, list[int]]]:
    """Likely duplicates by what the institution's LMSs said is a person's SIS id (``Identity.sis_id``:
    LIS person_sourcedid, Brightspace's Org Defined ID or username, as each platform is set): an LMS
    account of one person whose SIS id is another account's username or external id, or two
    accounts whose LMS accounts carry the same SIS id (ORG-MERGE)."""
    from .models import Platform

    names = {p.issuer: (p.name or p.issuer) for p in Platform.objects.filter(institution=institution)}
    if not names:
        return []
    holders: dict[str, set[int]] = {}
    for person in people.values():
        holders.setdefault(person.username, set()).add(person.pk)
        if person.external_id.strip():
            holders.setdefault(person.external_id.strip(), set()).add(person.pk)
    rows = (Identity.objects.filter(issuer__in=names, user__institution=institution, user__is_active=True,
                                    user__merged_into__isnull=True).exclude(sis_id="")
            .values_list("issuer", "sis_id", "user_id").order_by("pk"))
    by_sis: dict[str, set[int]] = {}
    said_by: dict[str, set[str]] = {}
    for issuer, sis_id, user_id in rows.iterator(chunk_size=2000):
        by_sis.setdefault(sis_id, set()).update({user_id, *holders.get(sis_id, ())})
        said_by.setdefault(sis_id, set()).add(names[issuer])
    return [(LMS_SIS_ID, f"{sis_id} ({', '.join(sorted(said_by[sis_id]))})", sorted(ids))
            for sis_id, ids in by_sis.items() if len(ids) > 1]
