"""A list's sections (LST-1): add, change, move, delete."""
from __future__ import annotations

import datetime as dt

from django.db import transaction

from syllabus.core import audit
from syllabus.core.errors import RuleViolation
from syllabus.org.models import User

from syllabus.lists.models import ResourceList, Section
from syllabus.lists.permissions import ensure_edit
from syllabus.lists.task_details import Said
from .common import _in_locked_list, _instructor_changed, _locked, _renumber, _touch


# --- sections -----------------------------------------------------------------------------


def _section_values(title=None, description=None, start_date=None, end_date=None, *, partial: bool) -> dict:
    values = {}
    if title is not None or not partial:
        if not (title or "").strip():
            raise RuleViolation("LST-1", "a section needs a title", field="title")
        values["title"] = title.strip()[:300]
    if description is not None:
        values["description"] = description
    return values


def _check_dates(start: dt.date | None, end: dt.date | None) -> None:
    if start and end and end < start:
        raise RuleViolation("LST-1", "the section ends before it starts", field="end_date")


def add_section(actor: User, lst: ResourceList, *, title: str, description: str = "", start_date: dt.date | None = None,
                end_date: dt.date | None = None, position: int | None = None) -> Section:
    """A new section (LST-1), at the end unless ``position`` (0-based) says where."""
    ensure_edit(actor, lst)
    values = _section_values(title, description, partial=False)
    _check_dates(start_date, end_date)
    with transaction.atomic():
        lst = _locked(lst)
        section = Section(resource_list=lst, start_date=start_date, end_date=end_date, **values)
        rows = list(lst.sections.all())
        section.position = len(rows)
        section.save()
        changed = _renumber(rows, section, position)
        Section.objects.bulk_update(changed, ["position"])
        audit.created(actor, section)
        _touch(lst)
        _instructor_changed(actor, lst, Said("section_added", title=section.title))
    return section


def update_section(actor: User, section: Section, **values) -> dict:
    lst = section.resource_list
    ensure_edit(actor, lst)
    clean = _section_values(values.get("title"), values.get("description"), partial=True)
    for key in ("start_date", "end_date"):
        if key in values:
            clean[key] = values[key]
    _check_dates(clean.get("start_date", section.start_date), clean.get("end_date", section.end_date))
    with _in_locked_list(section) as lst:
        changes = audit.update(actor, section, **clean)
        if changes:
            _touch(lst)
            _instructor_changed(actor, lst, Said("section_changed", title=section.title))
    return changes


def move_section(actor: User, section: Section, position: int) -> Section:
    lst = section.resource_list
    ensure_edit(actor, lst)
    with transaction.atomic():
        lst = _locked(lst)
        rows = list(lst.sections.all())
        before = next(r.position for r in rows if r.pk == section.pk)
        changed = _renumber(rows, section, position)
        Section.objects.bulk_update(changed, ["position"])
        if section.position != before:
            audit.event(actor, section, "moved", changes={"position": [before, section.position]})
            _touch(lst)
            _instructor_changed(actor, lst, Said("section_moved", title=section.title))
    return section


def delete_section(actor: User, section: Section) -> None:
    lst = section.resource_list
    ensure_edit(actor, lst)
    with transaction.atomic():
        lst = _locked(lst)
        if section.citations.exists():
            raise RuleViolation("LST-1", "the section still has items: move or delete them first", status=409)
        audit.deleted(actor, section)
        section.delete()
        rows = list(lst.sections.all())
        for n, row in enumerate(rows):
            row.position = n
        Section.objects.bulk_update(rows, ["position"])
        _touch(lst)
        _instructor_changed(actor, lst, Said("section_deleted", title=section.title))


def last_section(lst: ResourceList) -> Section | None:
    """The section new items go to when none is named (LST-1): the list's last one."""
    return lst.sections.order_by("-position", "-id").first()


def _default_section(actor, lst: ResourceList) -> Section:
    section = last_section(lst)
    if section is None:
        section = Section.objects.create(resource_list=lst, title="Readings", position=0)
        audit.created(actor, section)
    return section
