"""What every verb of the lists shares: the locked list, statuses, positions, the audit touch, tasks raised (LST-5, LST-6)."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F

from syllabus.citations import bibliography
from syllabus.core import clock
from syllabus.core.errors import PermissionDenied, RuleViolation
from syllabus.core.workflow import StateMachine
from syllabus.org import config
from syllabus.org.models import User, typed_username

from syllabus.lists.models import Citation, LibrarianTask, ResourceList, Section
from syllabus.lists.permissions import Access, is_librarian_for
from syllabus.lists.task_details import Said
from syllabus.lists.workflow import (
    INSTRUCTOR, LIBRARIAN, OPEN_ITEM_STATUSES, ItemStatus, ListStatus,
)



# --- helpers ------------------------------------------------------------------------------


def _locked(lst: ResourceList) -> ResourceList:
    """Re-read the list row under a lock (PostgreSQL ``FOR UPDATE``; SQLite serialises writers)."""
    return ResourceList.objects.select_for_update().select_related("institution").get(pk=lst.pk)


@contextmanager
def _in_locked_list(obj: Section | Citation) -> Iterator[ResourceList]:
    """One transaction with the list of ``obj`` (a section or a citation) locked, ``obj`` re-read
    under the lock: what every edit of a list's content starts with."""
    with transaction.atomic():
        lst = _locked(obj.resource_list)
        obj.refresh_from_db()
        yield lst


def _sides(acc: Access) -> set[str]:
    sides = set()
    if acc.instructor:
        sides.add(INSTRUCTOR)
    if acc.process:
        sides.add(LIBRARIAN)
    return sides


def _check_move(workflow: StateMachine, current: str, target: str, acc: Access) -> None:
    kind, labels = workflow.name, workflow.label
    if not _sides(acc):
        raise PermissionDenied("LST-4", f"only the list's instructors and the library change a {kind}'s status")
    if current == target:
        raise RuleViolation("LST-4", f"the {kind} is already {labels(current)}", status=409)
    move = workflow.between(current, target)
    who = move.permission if move is not None else None
    if who is None:
        article = "an" if kind[0] in "aeiou" else "a"
        raise RuleViolation("LST-4", f"{article} {kind} cannot go from {labels(current)} to {labels(target)}", status=409)
    if who not in _sides(acc):
        side = "the list's instructors" if who == INSTRUCTOR else "the library"
        raise PermissionDenied("LST-4", f"only {side} move {'an' if kind[0] in 'aeiou' else 'a'} {kind} from {labels(current)} to {labels(target)}")


def _valid_status(choices, value: str, kind: str) -> str:
    if value not in choices.values:
        raise RuleViolation("LST-4", f"unknown {kind} status {value!r}; use one of {', '.join(choices.values)}", field="status")
    return value


def _touch(lst: ResourceList) -> None:
    """The list changed: its time, and the revision that keys the cached student view."""
    ResourceList.objects.filter(pk=lst.pk).update(updated_at=clock.now(), revision=F("revision") + 1)


def _is_library_change(actor, lst: ResourceList) -> bool:
    return is_librarian_for(actor, lst.institution_id)


def raise_task(lst: ResourceList, kind: str, *, actor=None, citation: Citation | None = None,
               detail: Said | str = "") -> LibrarianTask:
    """Put something on the librarians' task list (LST-6); an open task of the same kind on the
    same list/item gathers the new change (its ``count`` grows) instead of adding a duplicate.
    ``detail``: what happened, as a :class:`~syllabus.lists.task_details.Said` (said in the
    reader's language when shown, LST-7); a plain text is stored as it is (legacy)."""
    now = clock.now()
    task = (LibrarianTask.objects.select_for_update()
            .filter(resource_list=lst, citation=citation, kind=kind, resolved_at__isnull=True).first())
    if task is not None:
        task.count += 1
        if detail:
            task.set_detail(detail)
        task.updated_at = now
        task.created_by = actor if getattr(actor, "pk", None) else task.created_by
        task.save(update_fields=["count", "detail", "detail_code", "detail_params", "updated_at", "created_by"])
        return task
    task = LibrarianTask(resource_list=lst, citation=citation, kind=kind, created_by=actor if getattr(actor, "pk", None) else None,
                         created_at=now, updated_at=now)
    task.set_detail(detail)
    task.save()
    return task


def _no_action_default(lst: ResourceList) -> str:
    return config.get("citation_default_status_no_action", institution=lst.institution)


def _has_no_action_default(lst: ResourceList, citation: Citation) -> bool:
    """LST-5: the item got the configured no-action status automatically (it was never sent) and
    that status keeps it away from the library (e.g. Complete)."""
    default = _no_action_default(lst)
    return (citation.sent_at is None and citation.status == default
            and default != ItemStatus.BEING_PREPARED and default not in OPEN_ITEM_STATUSES)


def library_has(lst: ResourceList, citation: Citation) -> bool:
    """The library already has the item (LST-6): it was sent (with the list or on its own), or
    it waits for or is in the library's processing."""
    return (citation.sent_at is not None or citation.status in OPEN_ITEM_STATUSES
            or citation.status == ItemStatus.DECLINED)


def _instructor_changed(actor, lst: ResourceList, detail: Said, citation: Citation | None = None, *,
                        library_has_item: bool = False, added: str = "") -> None:
    """LST-6: every instructor change to something the library already has — a sent list, or an
    item sent on its own or in the library's hands on a list still being prepared — creates a
    task for the librarians.  Inside :func:`one_task` (an import, a copy of many items) the
    action's changes gather in the action's one task; ``added``: the title of an item added."""
    if _is_library_change(actor, lst):
        return
    if lst.status != ListStatus.BEING_PREPARED or library_has_item or (citation is not None and library_has(lst, citation)):
        batch = _BATCH.get()
        if batch is not None and batch.list_id == lst.pk:
            batch.gather(actor, lst, added or detail, added=bool(added))
        else:
            raise_task(lst, LibrarianTask.CHANGED, actor=actor, citation=citation, detail=detail)


# --- one task for one action on many items (LST-6) ---------------------------------------------

#: how much of an action's task names its items (the rest is counted: "… and 12 more")
BATCH_DETAIL_CHARS = 2000
BATCH_TITLE_CHARS = 150


def _size(name) -> int:
    """About how much of a task a name takes: a title, or a change of another kind (its title)."""
    if isinstance(name, dict):
        return len(str((name.get("params") or {}).get("title") or "")) + 20
    return len(str(name))


@dataclass
class ChangeBatch:
    """The changes one instructor action makes to a list the library has (an import of 115
    Zotero items, a copy from the consortium gateway): one librarian task for the action — "115
    items added since the list was sent (imported from RIS, refs.ris): A; B; …" — not one per item.
    Each item keeps its own handling: it is Ready for processing (the librarian's item filter) and
    in the audit trail; later changes to one item are tasks of their own.  The task's detail is
    stored as ``Said("batch", ...)`` — the action, the names and the counts — and said in the
    reader's language when shown (LST-7, session 21)."""

    list_id: int
    action: Said                   # Said("imported", format="RIS", filename="refs.ris")
    added: list[str] = field(default_factory=list)   # the first titles, as many as the task's detail can show
    other: list = field(default_factory=list)        # the first other changes (Said.as_json(); older: a text)
    task_id: int | None = None
    n_added: int = 0               # every change, named or only counted ("… and 12 more")
    n_other: int = 0

    def state(self) -> dict:
        """What carries the action's one task over to the next part of it (a background import's
        next timer slice, LST-6): at most ``BATCH_DETAIL_CHARS`` of names per kind, and the counts."""
        return {"task_id": self.task_id, "added": list(self.added), "other": list(self.other),
                "n_added": self.n_added, "n_other": self.n_other}

    def resume(self, state: dict | None) -> None:
        """Go on with the task of :meth:`state` (``None`` or ``{}``: none yet)."""
        state = state or {}
        self.task_id = state.get("task_id")
        self.added, self.other = list(state.get("added") or []), list(state.get("other") or [])
        self.n_added, self.n_other = int(state.get("n_added") or 0), int(state.get("n_other") or 0)

    def _name(self, what, added: bool) -> None:
        """Count a change and keep its name while the task's detail could still show it (the
        detail never shows more than ``BATCH_DETAIL_CHARS`` of names: the rest is counted)."""
        names = self.added if added else self.other
        if not names or sum(_size(n) + 2 for n in names) + _size(what) + 2 <= BATCH_DETAIL_CHARS:
            names.append(what)
        if added:
            self.n_added += 1
        else:
            self.n_other += 1

    def gather(self, actor, lst: ResourceList, what: Said | str, *, added: bool) -> None:
        """Record one change in the action's task, in the caller's transaction: the task is written
        whole each time, so what a rolled-back entry added is gone with it (:meth:`entry`).
        ``what``: an added item's title, or the :class:`Said` of another change."""
        if isinstance(what, Said):
            params = dict(what.params)
            if "title" in params:
                params["title"] = str(params["title"])[:BATCH_TITLE_CHARS]
            name: str | dict = Said(what.code, params).as_json()
        else:
            name = what[:BATCH_TITLE_CHARS]
        now = clock.now()
        task = None
        if self.task_id is not None:
            task = LibrarianTask.objects.select_for_update().filter(pk=self.task_id, resolved_at__isnull=True).first()
        if task is None:  # the first change; or the librarian marked it done meanwhile: a new one, from this change
            self.resume(None)
            task = LibrarianTask(resource_list=lst, created_at=now)
        self._name(name, added)
        task.kind = LibrarianTask.ITEMS_ADDED if self.n_added else LibrarianTask.CHANGED
        task.count, task.updated_at = self.n_added + self.n_other, now
        task.set_detail(self.detail())
        task.created_by = actor if getattr(actor, "pk", None) else task.created_by
        task.save()
        self.task_id = task.pk

    def detail(self) -> Said:
        """The task's detail: the action, the names it can show (at most ``BATCH_DETAIL_CHARS``),
        and the counts — the rest is said as "… and 12 more"."""
        shown_added: list[str] = []
        shown_other: list = []
        size = 60
        for names, total, shown in ((self.added, self.n_added, shown_added), (self.other, self.n_other, shown_other)):
            full = True
            for name in names:
                if size + _size(name) + 2 > BATCH_DETAIL_CHARS and (shown_added or shown_other):
                    full = False
                    break
                shown.append(name)
                size += _size(name) + 2
            if not full or len(names) < total:  # the next name did not fit: the rest is counted
                break
        return Said("batch", action=self.action.as_json(), added=shown_added, other=shown_other,
                    n_added=self.n_added, n_other=self.n_other)

    @contextmanager
    def entry(self) -> Iterator[None]:
        """One entry of the action in a transaction of its own (an import adds what it can): an
        entry refused after it changed something takes its part of the task back with it."""
        saved = self.state()
        try:
            with transaction.atomic():
                yield
        except BaseException:
            self.resume(saved)  # a task the entry made is rolled back with it
            raise


_BATCH: ContextVar[ChangeBatch | None] = ContextVar("syllabus_lists_change_batch", default=None)


@contextmanager
def one_task(lst: ResourceList, action: Said, *, resume: dict | None = None) -> Iterator[ChangeBatch]:
    """LST-6 for an action on many items of ``lst`` (an import, a copy): the changes it makes to
    what the library has gather in one librarian task naming the items, instead of a task each;
    ``resume``: a :meth:`ChangeBatch.state` of an earlier part of the same action (a background
    import's earlier timer slice), whose task — unless a librarian resolved it meanwhile — goes on."""
    batch = ChangeBatch(lst.pk, action)
    batch.resume(resume)
    token = _BATCH.set(batch)
    try:
        yield batch
    finally:
        _BATCH.reset(token)


def _style_name(style) -> str:
    if bibliography.style_exists(style):
        return bibliography.style_name(style)
    return bibliography.DEFAULT_STYLE


def citation_style(lst: ResourceList) -> str:
    """The institution's style for formatted citations, resolved as the export resolves it
    (``harvard`` → ``harvard-cite-them-right``); APA when the configured name is no style."""
    return _style_name(config.get("citation_style", institution=lst.institution))


def citation_style_and_language(lst: ResourceList) -> tuple[str, str]:
    """:func:`citation_style` and :func:`stored_language` in one configuration query."""
    values = config.get_many(["citation_style", "default_language"], institution=lst.institution)
    return _style_name(values["citation_style"]), str(values["default_language"] or "en")


def view_settings(lst: ResourceList) -> tuple[str, str, bool]:
    """The student view's citation style, language and whether links to external resources show
    (``external_links_enabled``, ORG-4/CON-1), read in one query."""
    values = config.get_many(["citation_style", "default_language", "external_links_enabled"], institution=lst.institution)
    return _style_name(values["citation_style"]), str(values["default_language"] or "en"), bool(values["external_links_enabled"])


def stored_language(lst: ResourceList) -> str:
    """The language of the formatted citations a list stores: the institution's default
    language (a reader in another language gets them re-rendered in hers, :func:`localize_formatted`)."""
    return str(config.get("default_language", institution=lst.institution) or "en")


def _stored_style(style: str, language: str) -> str:
    """``formatted_style`` names the style and, when not English, the language ("apa@fr"), so
    that a change of either re-renders the stored entries."""
    return style if language == "en" else f"{style}@{language}"


def _format(lst: ResourceList, metadata: dict) -> tuple[str, str]:
    style, language = citation_style_and_language(lst)
    return bibliography.format_citation(metadata, style, locale=language), _stored_style(style, language)


def _initial_status(lst: ResourceList, ctype: str, open_access: bool) -> str:
    """LST-5: items that need no library action get the configured default status; items added
    to a list already sent go to the library at once; the rest are being prepared."""
    no_action_types = config.get("citation_types_no_action", institution=lst.institution)
    if ctype in no_action_types or (open_access and config.get("citation_open_access_no_action", institution=lst.institution)):
        return config.get("citation_default_status_no_action", institution=lst.institution)
    if lst.status != ListStatus.BEING_PREPARED:
        return ItemStatus.READY_FOR_PROCESSING
    return ItemStatus.BEING_PREPARED


def _users(institution_id: int, usernames: Iterable[str], field: str) -> list[User]:
    names = [typed_username(n) for n in usernames if n and n.strip()]
    found = {u.username.lower(): u for u in User.objects.filter(institution_id=institution_id, username__in=names)}
    missing = [n for n in names if n.lower() not in found]
    if missing:
        raise RuleViolation("LST-8", f"unknown user {', '.join(missing)}", field=field)
    return list(dict.fromkeys(found[n.lower()] for n in names))


def _renumber(rows: list, moved, position: int | None) -> list:
    """Put ``moved`` at ``position`` (0-based, clamped; ``None`` = last) and renumber 0..n-1."""
    rows = [r for r in rows if r.pk != moved.pk]
    position = len(rows) if position is None else max(0, min(int(position), len(rows)))
    rows.insert(position, moved)
    changed = []
    for n, row in enumerate(rows):
        if row.position != n or row.pk == moved.pk:
            row.position = n
            changed.append(row)
    return changed
