"""Consortium verbs (CON-1..4).  Each runs in one transaction, checks its rule and is audited."""
from __future__ import annotations

from typing import Any

from django.db import transaction

from syllabus.core import audit, clock
from syllabus.core.errors import PermissionDenied, RuleViolation
from syllabus.org import config
from syllabus.org.models import ConfigValue, Consortium, Institution, User
from syllabus.org.roles import Role

from .models import SettingLock

# --- CON-1: consortium configuration --------------------------------------------------------------


def is_consortium_admin(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.institution_id
                and (user.is_superuser or user.has_role(Role.CONSORTIUM_ADMINISTRATOR, institution=user.institution)))


def ensure_consortium_admin(user) -> Consortium:
    """The consortium the user administers (that of their institution), or a CON-1 refusal."""
    if not is_consortium_admin(user):
        raise PermissionDenied("CON-1", "only a Consortium Administrator changes the consortium's configuration")
    return user.institution.consortium


def refuse_locked_override(key: str, institution: Institution) -> None:
    """The override guard of ``org.config``: a member may not set a value the consortium locked."""
    if SettingLock.objects.filter(consortium_id=institution.consortium_id, key=key).exists():
        raise RuleViolation("CON-1", f"{key} is set by the consortium for all its members; members may not override it")


def set_consortium_value(actor: User, key: str, value: Any):
    """Set (or with ``None`` remove) the consortium's value of ``key``."""
    consortium = ensure_consortium_admin(actor)
    return config.set_value(key, value, actor=actor, consortium=consortium)


def lock_setting(actor: User, key: str, locked: bool) -> int:
    """Lock (members may not override; their overrides are removed) or unlock ``key``.
    Returns the number of member overrides removed."""
    consortium = ensure_consortium_admin(actor)
    config.param(key)  # an unknown key is refused (ORG-4)
    removed = 0
    with transaction.atomic():
        existing = SettingLock.objects.filter(consortium=consortium, key=key).first()
        if not locked:
            if existing:
                audit.deleted(actor, existing)
                existing.delete()
            return 0
        if existing is None:
            lock = SettingLock.objects.create(consortium=consortium, key=key, created_by=actor, created_at=clock.now())
            audit.created(actor, lock)
        overrides = ConfigValue.objects.filter(key=key).filter(
            institution__consortium=consortium) | ConfigValue.objects.filter(key=key, library__institution__consortium=consortium)
        for cv in overrides.distinct():
            audit.deleted(actor, cv, note="CON-1: the consortium locked this setting")
            cv.delete()
            removed += 1
    return removed


def consortium_settings(consortium: Consortium) -> list[dict]:
    """Every declared parameter: the consortium's value (or none), the default, whether it is
    locked, and the members that override it (a fixed number of queries)."""
    values = {cv.key: cv.value for cv in ConfigValue.objects.filter(consortium=consortium)}
    locks = set(SettingLock.objects.filter(consortium=consortium).values_list("key", flat=True))
    overrides: dict[str, list[str]] = {}
    rows = ConfigValue.objects.filter(institution__consortium=consortium).values_list("key", "institution__code")
    rows2 = ConfigValue.objects.filter(library__institution__consortium=consortium).values_list("key", "library__code")
    for key, code in list(rows) + list(rows2):
        overrides.setdefault(key, []).append(code)
    out = []
    for key in sorted(config.REGISTRY):
        p = config.REGISTRY[key]
        out.append({"key": key, "type": p.type.__name__, "description": p.description, "default": p.default,
                    "choices": list(p.choices), "value": values.get(key), "set": key in values,
                    "locked": key in locks, "overrides": sorted(overrides.get(key, []))})
    return out


# --- CON-3: sharing lists and copying items ---------------------------------------------------------


def share_list(actor: User, lst, shared: bool) -> bool:
    """The list's owners, collaborators or librarians show it in (or take it out of) the gateway."""
    from syllabus.lists.permissions import ensure_edit

    from .models import SharedList

    ensure_edit(actor, lst)
    with transaction.atomic():
        existing = SharedList.objects.filter(resource_list=lst).first()
        if shared and existing is None:
            audit.created(actor, SharedList.objects.create(resource_list=lst, shared_by=actor, shared_at=clock.now()))
        elif not shared and existing is not None:
            audit.deleted(actor, existing)
            existing.delete()
    return shared


def copy_items(actor: User, source_list_id: int, citation_ids, target, section=None) -> list:
    """CON-3: copy items of a shared list of the consortium into one of the actor's own lists
    (through the lists' own ``add_citation``: the target list's rules apply)."""
    from syllabus.lists import services as list_services

    from .selectors import gateway_list

    source = gateway_list(actor, source_list_id)
    wanted = [int(i) for i in citation_ids]
    if not wanted:
        raise RuleViolation("CON-3", "choose at least one item to copy")
    if len(wanted) > 200:
        raise RuleViolation("CON-3", "at most 200 items are copied at once")
    items = {c.pk: c for c in source.citations.all()}
    unknown = [i for i in wanted if i not in items]
    if unknown:
        raise RuleViolation("CON-3", f"item {unknown[0]} is not on that list")
    if section is not None and section.resource_list_id != target.pk:
        raise RuleViolation("CON-3", "the section belongs to another list")
    created = []
    with transaction.atomic():
        for cid in wanted:
            c = items[cid]
            created.append(list_services.add_citation(
                actor, target, section, type=c.type, metadata=dict(c.metadata or {}), record=c.record,
                public_note=c.public_note, open_access=c.open_access,
                note=f"copied from {source.institution.code} list {source.pk} through the consortium gateway (CON-3)"))
    return created
