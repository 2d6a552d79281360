"""A list's items (LST-2..5): add, change, move, delete, send, statuses, copyright (DIG-3)."""
from __future__ import annotations

from collections.abc import Iterable

from django.core.files.storage import default_storage
from django.db import transaction

from syllabus.citations.validate import merge_patch
from syllabus.core import audit, clock
from syllabus.core.errors import PermissionDenied, RuleViolation
from syllabus.notify.services import queue_letter
from syllabus.org import config
from syllabus.org.models import User, typed_username

from syllabus.lists import copyright_policy
from syllabus.lists import metadata as md
from syllabus.lists import tags as tag_vocabulary
from syllabus.lists.models import Citation, CitationType, CopyrightStatus, LibrarianTask, ResourceList, Section
from syllabus.lists.permissions import Access, ensure_edit, ensure_process, ensure_view
from syllabus.lists.selectors import ensure_section_of, section_of_list
from syllabus.lists.task_details import Said
from syllabus.lists.workflow import (
    ITEM_WORKFLOW, LIST_WORKFLOW, ItemStatus, ListStatus,
)
from .common import _check_move, _format, _has_no_action_default, _in_locked_list, _initial_status, _instructor_changed, _locked, _renumber, _touch, _valid_status, library_has, raise_task
from .tasks import _resolve
from .sections import _default_section


# --- citations ----------------------------------------------------------------------------

CITATION_FIELDS = ("type", "metadata", "tags", "public_note", "library_note", "copyright_status", "personal_copy",
                   "personal_copy_owner", "open_access", "record")


def _record_open_access(record) -> bool:
    return bool(record is not None and record.eresources.filter(open_access=True).exists())


def editor_copyright_statuses(lst: ResourceList) -> set[str]:
    """DIG-3: the copyright statuses the list's editors may choose themselves (the institution's
    copyright options that need no clearance, and "not determined")."""
    return copyright_policy.editor_statuses(lst.institution)


def copyright_choices(acc, lst: ResourceList) -> list[tuple[str, str]]:
    """The copyright statuses to offer in the editor: all for the library, the free ones for editors."""
    if acc.process:
        return list(CopyrightStatus.choices)
    allowed = editor_copyright_statuses(lst)
    return [(value, label) for value, label in CopyrightStatus.choices if value in allowed]


def _ensure_may_set_copyright(acc, lst: ResourceList, wanted: str, *, current: str = "") -> None:
    """DIG-3: waiting / approved / declined belong to the library's clearance workflow (and the
    library); the list's editors only pick one of the institution's copyright options."""
    if wanted not in CopyrightStatus.values:
        raise RuleViolation("LST-3", f"unknown copyright status {wanted!r}", field="copyright_status")
    if acc.process:
        return
    decided = (CopyrightStatus.WAITING, CopyrightStatus.APPROVED, CopyrightStatus.DECLINED)
    if current in decided:
        raise PermissionDenied("DIG-3", f"the copyright status {CopyrightStatus(current).label} "
                                        "is the library's clearance decision: only the library changes it "
                                        "(a new file starts the clearance again)")
    if wanted not in editor_copyright_statuses(lst):
        raise PermissionDenied("DIG-3", f"an instructor cannot set the copyright status {CopyrightStatus(wanted).label}: "
                                        "choose one of the institution's copyright options, or request copyright clearance")


def add_citation(actor: User, lst: ResourceList, section: Section | None = None, type: str | None = None,
                 metadata: dict | None = None, record=None, *, tags: Iterable[str] = (), public_note: str = "",
                 library_note: str = "", position: int | None = None, open_access: bool | None = None,
                 copyright_status: str = "", personal_copy: bool = False, personal_copy_owner: str = "",
                 note: str = "") -> Citation:
    """Add an item to a list (LST-1..3, LST-5).

    ``metadata`` is CSL-JSON; with a catalog ``record`` and no metadata, the record's CSL-JSON is
    copied.  ``type`` is ours (``book_chapter``) or CSL's (``chapter``); by default it follows the
    metadata's CSL type.  ``section`` defaults to the list's last section (one is made if none).
    Importers pass ``note`` (e.g. "imported from RIS") for the audit trail."""
    acc = ensure_edit(actor, lst)
    if record is not None and record.institution.consortium_id != lst.institution.consortium_id:
        raise RuleViolation("LST-2", "the record belongs to another consortium", field="record_id")
    if not metadata and record is not None:
        metadata = dict(record.csl or {})
        metadata.setdefault("title", record.title)
    ctype = md.citation_type(type or (metadata or {}).get("type") or (record.type if record is not None else "") or "book")
    clean = md.clean_metadata(ctype, md.with_csl_type(type, metadata))
    tag_codes = tag_vocabulary.clean_tags(tags, may_set_system=acc.process)
    if copyright_status:
        _ensure_may_set_copyright(acc, lst, copyright_status)
    if open_access is None:
        open_access = _record_open_access(record)
    owner = None
    if personal_copy:
        owner = personal_copy_owner_of(actor, lst, ctype, personal_copy_owner)
        personal_copy_owner = owner.username
    formatted, style = _format(lst, clean)
    with transaction.atomic():
        lst = _locked(lst)
        if section is None:
            section = _default_section(actor, lst)
        else:
            ensure_section_of(lst.pk, section)
        status = _initial_status(lst, ctype, open_access)
        now = clock.now()
        citation = Citation(
            resource_list=lst, section=section, type=ctype, metadata=clean, title=clean["title"][:1000], record=record,
            status=status, tags=tag_codes, public_note=public_note or "", library_note=library_note or "",
            copyright_status=copyright_status, personal_copy=bool(personal_copy), personal_copy_owner=personal_copy_owner or "",
            open_access=bool(open_access), formatted=formatted, formatted_style=style, created_by=actor,
            created_at=now, updated_at=now, sent_at=now if status == ItemStatus.READY_FOR_PROCESSING else None,
        )
        if position is None and (appended := _append_position(section)) is not None:
            citation.position = appended  # the section numbered 0..n-1 already: nothing else moves
            citation.save()
        else:
            rows = list(section.citations.all())
            citation.position = len(rows)
            citation.save()
            Citation.objects.bulk_update(_renumber(rows, citation, position), ["position"])
        audit.created(actor, citation, note=note)
        _touch(lst)
        _instructor_changed(actor, lst, Said("item_added", title=citation.title[:200]), citation, added=citation.title)
        if owner is not None:
            _personal_copy_set(actor, lst, citation, owner)
    return citation


def _append_position(section: Section) -> int | None:
    """The position after the section's last item when its items are numbered 0..n-1 (as every
    change leaves them), read with one aggregate: an import of thousands of entries no longer reads
    every item of the section again for each one (quadratic; LST-9, session 18). None when the
    numbering has a gap or a repeat, which the full renumbering mends."""
    from django.db.models import Count, Max, Min

    seen = section.citations.aggregate(n=Count("id"), distinct=Count("position", distinct=True), lo=Min("position"),
                                       hi=Max("position"))
    if seen["n"] == 0:
        return 0
    if seen["distinct"] == seen["n"] and seen["lo"] == 0 and seen["hi"] == seen["n"] - 1:
        return seen["n"]
    return None


def personal_copy_owner_of(actor: User, lst: ResourceList, ctype: str, name: str) -> User:
    """SRV-1: the list owner who provides a personal copy (by username, e-mail or full name;
    empty: the actor, when an owner), for an item type the library accepts as personal copies."""
    allowed = config.get("personal_copy_item_types", institution=lst.institution) or []
    if ctype not in allowed:
        label = dict(CitationType.choices).get(ctype, ctype)
        raise RuleViolation("SRV-1", f"the library does not take personal copies of this item type ({label}); "
                                     f"accepted: {', '.join(str(dict(CitationType.choices).get(t, t)) for t in allowed) or 'none'}",
                            field="personal_copy")
    owners = list(lst.owners.all())
    wanted = " ".join(typed_username(name).split()).casefold()  # NFKC: a full-width username is the owner
    if not wanted:
        if any(o.pk == actor.pk for o in owners):
            return actor
        raise RuleViolation("SRV-1", "name the list owner the personal copy belongs to", field="personal_copy_owner")
    for o in owners:
        if wanted in {o.username.casefold(), (o.email or "").casefold(), " ".join(o.get_full_name().split()).casefold()} - {""}:
            return o
    names = ", ".join(o.get_full_name() or o.username for o in owners) or "none"
    raise RuleViolation("SRV-1", f"{name!r} is not an owner of this list: a personal copy belongs to one of its owners ({names})",
                        field="personal_copy_owner")


def _personal_copy_set(actor, lst: ResourceList, citation: Citation, owner: User | None) -> None:
    """SRV-1: tell the owner to bring the copy (a letter), and the apps above (circulation)."""
    from django.urls import reverse

    from syllabus.lists.signals import personal_copy_changed

    if owner is not None:
        courses = ", ".join(c.label for c in lst.courses.all())
        queue_letter("personal_copy_bring", owner,
                     {"owner": owner.get_full_name() or owner.username, "title": citation.title, "list_title": lst.title,
                      "courses": courses or "—", "link": reverse("lists:edit", args=[lst.pk]) + f"#item-{citation.pk}"},
                     key=f"personal_copy:{citation.pk}:{owner.pk}:{int(clock.now().timestamp())}", institution=lst.institution)
    personal_copy_changed.send(sender=Citation, citation=citation, owner=owner)


def update_citation(actor: User, citation: Citation, **values) -> dict:
    """Change an item's type, metadata (whole CSL-JSON), tags, notes, copyright status, personal
    copy or open-access flag.  Returns ``{field: [old, new]}``."""
    lst = citation.resource_list
    acc = ensure_edit(actor, lst)
    unknown = set(values) - set(CITATION_FIELDS)
    if unknown:
        raise RuleViolation("LST-2", f"cannot change {', '.join(sorted(unknown))} here")
    with _in_locked_list(citation) as lst:
        had = library_has(lst, citation)
        automatic = _has_no_action_default(lst, citation)
        clean = _clean_citation_values(lst, citation, acc, values, actor=actor)
        changes = audit.update(actor, citation, **clean)
        # LST-5: an item still being prepared, or one that got the no-action default status by
        # itself, follows its new type: a website made a book goes (back) to the library's side
        # (Being prepared, or Ready for processing on a sent list), a book made a website gets
        # the no-action default.
        if (citation.status == ItemStatus.BEING_PREPARED or automatic) and ("type" in changes or "open_access" in changes):
            status = _initial_status(lst, citation.type, citation.open_access)
            if status != citation.status:
                moved = {"status": status}
                if status == ItemStatus.READY_FOR_PROCESSING:
                    moved["sent_at"] = clock.now()
                audit.update(actor, citation, note="LST-5 default status", **moved)
        if "personal_copy" in changes or ("personal_copy_owner" in changes and citation.personal_copy):
            owner = lst.owners.filter(username=citation.personal_copy_owner).first() if citation.personal_copy else None
            _personal_copy_set(actor, lst, citation, owner)
        if changes:
            _touch(lst)
            fields = sorted(k for k in changes if k not in ("formatted", "formatted_style", "title"))
            _instructor_changed(actor, lst, Said("item_changed", fields=fields, title=citation.title[:200]), citation,
                                library_has_item=had)
    return changes


def _clean_citation_values(lst: ResourceList, citation: Citation, acc: Access, values: dict, *, actor=None) -> dict:
    clean: dict = {}
    ctype = md.citation_type(values["type"]) if values.get("type") is not None else citation.type
    if "type" in values and values["type"] is not None:
        clean["type"] = ctype
    if values.get("metadata") is not None or "type" in clean:
        meta = md.clean_metadata(ctype, md.with_csl_type(values.get("type"), values.get("metadata") if values.get("metadata")
                                                          is not None else citation.metadata))
        clean["metadata"] = meta
        clean["title"] = meta["title"][:1000]
    if values.get("tags") is not None:
        clean["tags"] = tag_vocabulary.clean_tags(values["tags"], previous=citation.tags, may_set_system=acc.process)
    for key in ("public_note", "library_note", "personal_copy_owner"):
        if values.get(key) is not None:
            clean[key] = values[key]
    for key in ("personal_copy", "open_access"):
        if values.get(key) is not None:
            clean[key] = bool(values[key])
    wants_copy = clean.get("personal_copy", citation.personal_copy)
    if wants_copy and ("personal_copy" in clean or "personal_copy_owner" in clean or "type" in clean):
        owner = personal_copy_owner_of(actor, lst, ctype, clean.get("personal_copy_owner", citation.personal_copy_owner))
        clean["personal_copy_owner"] = owner.username
    elif "personal_copy" in clean and not wants_copy:
        clean["personal_copy_owner"] = ""
    if values.get("copyright_status") is not None:
        wanted = values["copyright_status"]
        if wanted != citation.copyright_status:
            _ensure_may_set_copyright(acc, lst, wanted, current=citation.copyright_status)
        clean["copyright_status"] = wanted
    if "record" in values:
        record = values["record"]
        if record is not None and record.institution.consortium_id != lst.institution.consortium_id:
            raise RuleViolation("LST-2", "the record belongs to another consortium", field="record_id")
        clean["record"] = record
    if "metadata" in clean and clean["metadata"] != citation.metadata:
        clean["formatted"], clean["formatted_style"] = _format(lst, clean["metadata"])
    return clean


def change_citation(actor: User, citation: Citation, *, section_id: int | None = None, position: int | None = None,
                    status: str | None = None, status_note: str | None = None, **fields) -> Citation:
    """One change of an item in one transaction: its fields (``metadata`` is a JSON merge patch,
    ``None`` removes a key), its place (section of the same list, LST-1, and position), its
    status (LST-4) or the library's note on it. Asking to change nothing still needs edit rights."""
    with transaction.atomic():
        fields = {k: v for k, v in fields.items() if v is not None}
        if "metadata" in fields:
            fields["metadata"] = merge_patch(citation.metadata, fields["metadata"])
        if fields:
            update_citation(actor, citation, **fields)
        if section_id is not None or position is not None:
            move_citation(actor, citation, section=section_of_list(citation.resource_list_id, section_id), position=position)
        if status is not None:
            set_item_status(actor, citation, status, note=status_note)
        elif status_note is not None:
            set_status_note(actor, citation, status_note)
        if not (fields or section_id is not None or position is not None or status or status_note is not None):
            ensure_edit(actor, citation.resource_list)
    return citation


def move_citation(actor: User, citation: Citation, *, section: Section | None = None, position: int | None = None) -> Citation:
    """Move an item within its section or to another section of the same list (LST-1)."""
    lst = citation.resource_list
    ensure_edit(actor, lst)
    target = ensure_section_of(lst.pk, section or citation.section)
    with _in_locked_list(citation) as lst:
        before = (citation.section_id, citation.position)
        if target.pk != citation.section_id:
            old_rows = [r for r in Citation.objects.filter(section_id=citation.section_id).order_by("position", "id") if r.pk != citation.pk]
            for n, row in enumerate(old_rows):
                row.position = n
            Citation.objects.bulk_update(old_rows, ["position"])
            citation.section = target
            citation.save(update_fields=["section", "updated_at"])
        rows = list(Citation.objects.filter(section=target).order_by("position", "id"))
        Citation.objects.bulk_update(_renumber(rows, citation, position), ["position"])
        after = (citation.section_id, citation.position)
        if before != after:
            audit.event(actor, citation, "moved", changes={"section": [before[0], after[0]], "position": [before[1], after[1]]})
            _touch(lst)
            _instructor_changed(actor, lst, Said("item_moved", title=citation.title[:200]), citation)
    return citation


def delete_citation(actor: User, citation: Citation) -> None:
    lst = citation.resource_list
    ensure_edit(actor, lst)
    with _in_locked_list(citation) as lst:
        had = library_has(lst, citation)
        audit.deleted(actor, citation)
        title, file_name = citation.title, citation.file.name
        section_id = citation.section_id
        citation.delete()
        rows = list(Citation.objects.filter(section_id=section_id).order_by("position", "id"))
        for n, row in enumerate(rows):
            row.position = n
        Citation.objects.bulk_update(rows, ["position"])
        _touch(lst)
        _instructor_changed(actor, lst, Said("item_deleted", title=title[:200]), library_has_item=had)
        if file_name:
            transaction.on_commit(lambda: default_storage.delete(file_name))


def send_citation(actor: User, citation: Citation) -> Citation:
    """The instructor sends a single item to the library, before or after the list (LST-4)."""
    lst = citation.resource_list
    acc = ensure_edit(actor, lst)
    with _in_locked_list(citation) as lst:
        _check_move(ITEM_WORKFLOW, citation.status, ItemStatus.READY_FOR_PROCESSING, acc)
        audit.update(actor, citation, status=ItemStatus.READY_FOR_PROCESSING, sent_at=clock.now())
        audit.event(actor, citation, "sent")
        raise_task(lst, LibrarianTask.ITEM_SENT, actor=actor, citation=citation, detail=Said("item_sent", title=citation.title[:200]))
        _touch(lst)
    return citation


def set_item_status(actor: User, citation: Citation, status: str, *, note: str | None = None) -> Citation:
    """Move an item along LST-4 (the library processes; the instructor can only send).  The
    library's first move on a list Sent to library puts the list In process."""
    _valid_status(ItemStatus, status, "item")
    if status == ItemStatus.READY_FOR_PROCESSING:
        return send_citation(actor, citation)
    lst = citation.resource_list
    acc = ensure_view(actor, lst)
    with _in_locked_list(citation) as lst:
        _check_move(ITEM_WORKFLOW, citation.status, status, acc)
        values = {"status": status}
        if note is not None:
            values["status_note"] = note[:500]
        audit.update(actor, citation, **values)
        _resolve(actor, LibrarianTask.objects.filter(citation=citation, resolved_at__isnull=True))
        if lst.status == ListStatus.SENT_TO_LIBRARY and LIST_WORKFLOW.between(lst.status, ListStatus.IN_PROCESS):
            audit.update(actor, lst, note="the library started processing", status=ListStatus.IN_PROCESS)
            _resolve(actor, LibrarianTask.objects.filter(resource_list=lst, kind=LibrarianTask.LIST_SENT, resolved_at__isnull=True))
        _touch(lst)
    return citation


def set_status_note(actor: User, citation: Citation, note: str) -> Citation:
    """The library's note on an item's status (e.g. why it was declined)."""
    ensure_process(actor, citation.resource_list)
    with transaction.atomic():
        audit.update(actor, citation, status_note=(note or "")[:500])
    return citation
