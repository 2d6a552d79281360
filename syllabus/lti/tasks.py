"""Roster sync (LMS-2) on a timer and after instructor launches; old login states are forgotten."""
from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings

from syllabus.core import clock
from syllabus.core.errors import RuleViolation
from syllabus.core.tasks import periodic

from . import services
from .models import ContextLink

log = logging.getLogger("syllabus.lti")


@shared_task(name="syllabus.lti.tasks.sync_context")
def sync_context(link_id: int) -> dict:
    link = ContextLink.objects.select_related("platform", "platform__institution", "course").filter(pk=link_id).first()
    if link is None or not link.memberships_url or not link.platform.active:
        return {}
    waiting = services.retry_due_at(link)
    if waiting is not None and waiting > clock.now():   # the platform asked to be asked later (429/503)
        return {"waiting": waiting.isoformat()}
    try:
        return services.sync_roster(link)
    except RuleViolation as exc:  # recorded on the link and in the course's audit trail
        log.warning("roster sync of %s failed: %s", link, exc)
        return {"error": str(exc)}


@periodic("lti_roster_sync")
def sweep_rosters(now) -> int:
    """Sync every linked LMS course not synced for ``LTI_ROSTER_SYNC_HOURS`` (default 24)."""
    done = 0
    for link in services.links_due(now, int(getattr(settings, "LTI_ROSTER_SYNC_HOURS", 24))):
        result = sync_context(link.pk)
        if "error" not in result and "waiting" not in result:
            done += 1
    return done


@periodic("lti_forget_logins")
def sweep_logins(now) -> int:
    return services.forget_old_logins(now)
