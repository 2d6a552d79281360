"""Where the catalog reaches resource lists (DSV-3, DSV-4, DSV-5, LST-9).

The lists app sits above the catalog (ARCHITECTURE: the app graph is one-way), so the catalog
does not import it: the catalog's pages and API call the functions below, and the lists app
provides them when Django starts (``ListsConfig.ready``, from
:mod:`syllabus.lists.catalog_link` and :mod:`syllabus.lists.reserves`)::

    from syllabus.catalog import lists_port
    lists_port.provide(add_record=..., lists_containing=..., ...)

Each function here names what the catalog needs; the rules stay in the lists app.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

NEEDS = frozenset({
    "lists_for_adding", "list_and_section", "ensure_edit", "add_record", "add_metadata", "import_into_list",
    "list_items", "citation_form_type", "lists_containing", "record_ids_for_courses", "course_reserves",
    "item_context", "queue_import", "import_report", "list_imports", "list_import", "cancel_import",
    "preview_office_file", "import_office_file", "page_after_import",
})

_provided: dict[str, Callable[..., Any]] = {}


def provide(**functions: Callable[..., Any]) -> None:
    unknown = set(functions) - NEEDS
    if unknown:
        raise TypeError(f"the catalog's lists port has no {sorted(unknown)}")
    _provided.update(functions)


def _get(name: str) -> Callable[..., Any]:
    try:
        return _provided[name]
    except KeyError:
        raise ImproperlyConfigured(f"nothing provides the catalog's lists port ({name}): the lists app does, "
                                   "in its AppConfig.ready") from None


# --- adding to a list, import and export (DSV-3, DSV-4, LST-9) -------------------------------

def lists_for_adding(user) -> list:
    """The lists ``user`` owns or collaborates on (the "add to list" picker), newest first."""
    return _get("lists_for_adding")(user)


def list_and_section(user, list_id: int, section_id: int | None) -> tuple:
    """(list, section or None) that ``user`` may see (404 otherwise; LST-1 for a section of another list)."""
    return _get("list_and_section")(user, list_id, section_id)


def ensure_edit(user, lst) -> None:
    """Refuse (403) unless ``user`` may edit the list."""
    _get("ensure_edit")(user, lst)


def add_record(user, list_id: int, record, *, section_id: int | None = None, **extra):
    """A citation made from a catalog record (its CSL-JSON, linked to the record)."""
    return _get("add_record")(user, list_id, record, section_id=section_id, **extra)


def add_metadata(user, list_id: int, data: dict, *, record=None, section_id: int | None = None, note: str = ""):
    """A citation from stand-alone CSL-JSON, linked to the local record with the same ISBN/DOI."""
    return _get("add_metadata")(user, list_id, data, record=record, section_id=section_id, note=note)


def import_into_list(user, list_id: int, text: str, *, filename: str = "", fmt: str = "",
                     section_id: int | None = None, notes_public: bool = False):
    """Add every readable RIS/BibTeX/CSL-JSON entry of ``text``; the per-entry report.  The entries'
    notes go to the library's note, with ``notes_public`` to the public one (LST-3)."""
    return _get("import_into_list")(user, list_id, text, filename=filename, fmt=fmt, section_id=section_id,
                                    notes_public=notes_public)


def queue_import(user, list_id: int, text: str, *, filename: str = "", fmt: str = "", section_id: int | None = None,
                 notes_public: bool = False):
    """Queue a file too large for the request (LST-9): the background import (a ``ListImport``)."""
    return _get("queue_import")(user, list_id, text, filename=filename, fmt=fmt, section_id=section_id,
                                notes_public=notes_public)


def preview_office_file(user, list_id: int, raw: bytes, *, filename: str = "", kind: str, mapping=None,
                        sheet=None, header_row: int | None = None) -> dict:
    """What importing a spreadsheet (.xlsx, .csv) or Word file (.docx) would do: its columns with
    their fields, its first rows with their problems (LST-9); nothing is imported."""
    return _get("preview_office_file")(user, list_id, raw, filename=filename, kind=kind, mapping=mapping,
                                       sheet=sheet, header_row=header_row)


def import_office_file(user, list_id: int, raw: bytes, *, filename: str = "", kind: str, mapping=None,
                       section_id: int | None = None, sheet=None, header_row: int | None = None):
    """Import a spreadsheet or Word file (LST-9): the per-entry report, or a background import."""
    return _get("import_office_file")(user, list_id, raw, filename=filename, kind=kind, mapping=mapping,
                                      section_id=section_id, sheet=sheet, header_row=header_row)


def import_report(job, *, entries: bool = True) -> dict:
    """A background import's progress and, when done, its per-entry report."""
    return _get("import_report")(job, entries=entries)


def list_imports(user, list_id: int, *, limit: int = 5) -> list:
    """The list's latest background imports, for its editors."""
    return _get("list_imports")(user, list_id, limit=limit)


def list_import(user, list_id: int, import_id: int):
    """One background import of the list (404 for another list's)."""
    return _get("list_import")(user, list_id, import_id)


def cancel_import(user, list_id: int, import_id: int):
    """Cancel a background import still waiting or running (LST-9): its sender, a list owner or the library."""
    return _get("cancel_import")(user, list_id, import_id)


def list_items(user, list_id: int) -> tuple[Any, list[dict]]:
    """(list, the CSL-JSON of its citations in list order) for a user who may see the list."""
    return _get("list_items")(user, list_id)


def citation_form_type(csl_type: str | None) -> tuple[list, str]:
    """(the citation type choices, the one matching CSL type ``csl_type``) for the citation form."""
    return _get("citation_form_type")(csl_type)


def item_context(user, citation_id: int) -> tuple[str, str] | None:
    """(the list's title, the item's place on the list's page) when ``user`` may see the list item
    ``citation_id`` — Find it's way back to the list it was opened from (DSV-6); else None (a
    foreign or unknown item says nothing)."""
    return _get("item_context")(user, citation_id)


def list_url(lst) -> str:
    return reverse("lists:edit", args=[lst.pk])


# --- course reserves (DSV-5) -----------------------------------------------------------------

def lists_containing(record_ids, user=None) -> dict[int, list]:
    """``{record_id: [ResourceList, ...]}``: the published lists citing each record that ``user`` may open."""
    return _get("lists_containing")(record_ids, user)


def record_ids_for_courses(course_ids) -> list[int]:
    """Records cited by the published lists of these courses."""
    return _get("record_ids_for_courses")(course_ids)


def course_reserves(user, text: str) -> list[tuple]:
    """``[(course, [record_id, ...]), ...]``: courses matching ``text`` with the records their published lists cite."""
    return _get("course_reserves")(user, text)


def page_after_import(request, list_id: int, report: dict, message: str):
    """The list page the import form was sent from, rendered again with the import's report in
    place (htmx: every part an import changes, LST-9), or ``None`` when that page is not one."""
    return _get("page_after_import")(request, list_id, report, message)
