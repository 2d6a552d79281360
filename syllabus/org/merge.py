"""What a merge of two accounts does to the organisation's own rows (ORG-MERGE, org.merging)."""
from __future__ import annotations

from django.contrib.admin.models import LogEntry

from syllabus.core import audit
from syllabus.core.models import AuditEntry

from .merging import Merge, participant
from .models import ApiToken, RoleAssignment, User


@participant("org.RoleAssignment.user", "org.User.groups", "org.User.user_permissions", "org.User.merged_into",
             kept=("org.ApiToken.user", "core.AuditEntry.actor", "admin.LogEntry.user"))
def organisation(merge: Merge) -> None:
    """Roles: the union (ORG-3) — a role the target already holds with the same scope is not
    doubled.  Django groups and permissions: the union (only a superuser merges an account that has
    any).  Accounts merged into the source earlier now lead to the target.  API tokens: the source's
    are revoked, never moved — a token was given to the source and must not start acting with the
    target's (possibly wider) rights; the person makes a new one.  The audit trail and the admin's
    log are kept as they are: they say what the source account did, when (ORG-6)."""
    source, target = merge.source, merge.target
    before = {(ra.role, ra.scope, ra.library_id, ra.department) for ra in target.role_assignments.all()}
    gained = sorted({ra.get_role_display() for ra in source.role_assignments.all()
                     if (ra.role, ra.scope, ra.library_id, ra.department) not in before})
    merge.reassign(RoleAssignment, "user", clash=("role", "scope", "institution", "library", "department"),
                   what="role assignments", nulls_clash=True)
    if gained:
        merge.report("roles the target gains", len(gained), ", ".join(str(g) for g in gained))
    merge.reassign_m2m(User.groups, what="Django groups")
    merge.reassign_m2m(User.user_permissions, what="Django permissions")
    merge.reassign(User, "merged_into", what="accounts merged into the source before")
    revoked = 0
    for token in ApiToken.objects.filter(user=source, revoked_at__isnull=True):
        audit.update(merge.actor, token, note=f"{merge.note}: the source's tokens are revoked", revoked_at=merge.now)
        revoked += 1
    merge.report("API tokens revoked (not moved)", revoked)
    merge.keep(AuditEntry, "actor", what="audit trail entries by the source")
    merge.keep(LogEntry, "user", what="administration log entries by the source")
