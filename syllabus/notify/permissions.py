"""Who administers letters and watches the outbox (LTR-1, OUT-1, ORG-3), over the one role helper of ``org``."""
from __future__ import annotations

from syllabus.core.errors import PermissionDenied
from syllabus.org.permissions import holds, is_superuser, signed_in
from syllabus.org.roles import Role

from .models import OutboxMessage

LETTER_ROLES = (Role.LETTER_ADMINISTRATOR, Role.GENERAL_SYSTEM_ADMINISTRATOR)


def can_administer_letters(user, institution) -> bool:
    """LTR-1 / OUT-1: the institution's Letter Administrator or General System Administrator."""
    return is_superuser(user) or (institution is not None and holds(user, *LETTER_ROLES, institution=institution))


def ensure_letter_administrator(user, institution) -> None:
    if not can_administer_letters(user, institution):
        raise PermissionDenied("LTR-1", "only the institution's Letter Administrator edits letters and watches the outbox")


def may_watch_message(user, msg: OutboxMessage) -> bool:
    """OUT-1: superusers see every row; administrators see their institution's rows."""
    if is_superuser(user):
        return True
    return signed_in(user) and msg.institution_id is not None and msg.institution_id == user.institution_id \
        and can_administer_letters(user, msg.institution)
