"""Changes of state in the organisation context."""
from __future__ import annotations

import secrets

from django.db import transaction

from syllabus.core import audit, clock
from syllabus.core.errors import RuleViolation

from .models import ApiToken, RoleAssignment, User, hash_token
from .roles import Role, Scope

TOKEN_PREFIX = "syl_"


def create_api_token(user: User, name: str = "", actor=None) -> tuple[ApiToken, str]:
    """Create a bearer token; the raw value is returned once and never stored."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(user=user, name=name, prefix=raw[:12], digest=hash_token(raw))
        audit.event(actor, token, "created", note=f"API token for {user.username}")
    return token, raw


def revoke_api_token(token: ApiToken, actor=None) -> None:
    with transaction.atomic():
        if token.revoked_at is None:
            audit.update(actor, token, revoked_at=clock.now())


def user_for_token(raw: str) -> User | None:
    if not raw or not raw.startswith(TOKEN_PREFIX):
        return None
    token = (ApiToken.objects.select_related("user", "user__institution", "user__user_group")
             .filter(digest=hash_token(raw), revoked_at__isnull=True).first())
    if token is None or not token.user.is_active:
        return None
    now = clock.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def assign_role(user: User, role: str, *, library=None, department: str = "", actor=None) -> RoleAssignment:
    if role not in Role.values:
        raise RuleViolation("ORG-3", f"unknown role {role!r}")
    if user.institution_id is None:
        raise RuleViolation("ORG-3", "a user needs an institution before a role")
    if library is not None and library.institution_id != user.institution_id:
        raise RuleViolation("ORG-3", "a role can only be scoped to a library of the user's institution")
    scope = Scope.LIBRARY if library else Scope.DEPARTMENT if department else Scope.INSTITUTION
    with transaction.atomic():
        ra, created = RoleAssignment.objects.get_or_create(
            user=user, role=role, scope=scope, institution_id=user.institution_id, library=library, department=department or ""
        )
        if created:
            audit.created(actor, ra)
    user.__dict__.pop("_role_cache", None)
    return ra
