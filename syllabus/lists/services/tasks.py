"""The librarian's tasks on a list (LST-6): resolving them."""
from __future__ import annotations


from django.db import transaction

from syllabus.core import audit, clock
from syllabus.org.models import User

from syllabus.lists.models import LibrarianTask
from syllabus.lists.permissions import ensure_process



# --- tasks --------------------------------------------------------------------------------


def _resolve(actor, tasks) -> int:
    return tasks.update(resolved_at=clock.now(), resolved_by=actor if getattr(actor, "pk", None) else None)


def resolve_task(actor: User, task: LibrarianTask) -> LibrarianTask:
    """A librarian marks a task done."""
    ensure_process(actor, task.resource_list)
    with transaction.atomic():
        task = LibrarianTask.objects.select_for_update().get(pk=task.pk)
        if task.resolved_at is None:
            task.resolved_at, task.resolved_by = clock.now(), actor
            task.save(update_fields=["resolved_at", "resolved_by"])
            audit.event(actor, task.resource_list, "task done", note=f"task {task.pk} ({task.kind})")
    return task
