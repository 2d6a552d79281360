"""Signals of resource lists.

``personal_copy_changed(citation, owner)`` — sent inside the transaction that set or cleared an
item's personal copy (SRV-1); ``owner`` is the list owner who provides it (``None`` when cleared).
The circulation app keeps its circulation record of the copy with it.

Every change of a list, one of its sections or one of its items bumps the list's ``revision``
(in the same transaction), so that the cached rendering of the student view (keyed by it)
is never shown after a change — whatever wrote the row (a service, the admin, a script).
Services that write with ``bulk_update``/``update`` call ``services._touch``, which bumps it too."""
from __future__ import annotations

from django.db.models import F
from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal

from .models import Citation, ResourceList, Section

personal_copy_changed = Signal()


def bump(list_id: int | None) -> None:
    if list_id:
        ResourceList.objects.filter(pk=list_id).update(revision=F("revision") + 1)


def _list_saved(sender, instance, created, raw=False, **kwargs):
    if not created and not raw:
        bump(instance.pk)


def _part_changed(sender, instance, raw=False, **kwargs):
    if not raw:
        bump(instance.resource_list_id)


def connect() -> None:
    post_save.connect(_list_saved, sender=ResourceList, dispatch_uid="lists-revision-list")
    for model in (Section, Citation):
        post_save.connect(_part_changed, sender=model, dispatch_uid=f"lists-revision-{model.__name__}-save")
        post_delete.connect(_part_changed, sender=model, dispatch_uid=f"lists-revision-{model.__name__}-delete")
