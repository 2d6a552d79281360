"""The discussion's parts of the list pages (syllabus.lists.slots):

- ``list_aside`` — the list's thread (DSC-1 list level), on the editor, the student view
  (instructors only) and the librarian's list page;
- ``citation_services`` / ``librarian_citation_services`` — each item's thread (item level);
- ``task_list_columns_head`` / ``task_list_columns`` — per list on the librarians' task list:
  unread messages and threads awaiting an answer (the alert on the list's row).
The counts of a whole page are loaded in one or two queries, whatever the number of items.
"""
from __future__ import annotations

from syllabus.lists.slots import register_slot

from . import selectors, services


def _can(request, context) -> bool:
    access = context.get("access")
    return access is not None and services.can_discuss(access)


def _levels(request, institution) -> set[str]:
    cache = getattr(request, "_discussion_levels", None)
    if cache is None:
        cache = request._discussion_levels = {}
    if institution.pk not in cache:
        cache[institution.pk] = services.enabled_levels(institution)
    return cache[institution.pk]


# --- the list's pane and the items' threads -------------------------------------------------------
# ``prepare`` only notes the page's objects; the first ``when`` that finds the person may discuss
# loads the counts of all of them at once — so a student's page (no discussion) costs nothing.

def prepare_lists(request, lists) -> None:
    request._dsc_lists = list(lists)


def _load_lists(request, lists) -> None:
    counts = selectors.unread_by_list_and_level(request.user, [lst.pk for lst in lists])
    for lst in lists:
        lst.dsc_key = f"list-{lst.pk}"
        lst.dsc_list_unread = counts.get((lst.pk, "list"), 0)
        lst.dsc_unread = lst.dsc_list_unread + counts.get((lst.pk, "item"), 0)


def _list_pane_when(request, context) -> bool:
    lst = context.get("lst")
    if lst is None or not _can(request, context):
        return False
    context["dsc_list_on"] = "list" in _levels(request, lst.institution)
    if not hasattr(lst, "dsc_key"):
        pending = [x for x in getattr(request, "_dsc_lists", []) if not hasattr(x, "dsc_key")]
        _load_lists(request, pending if lst in pending else pending + [lst])
        if not hasattr(lst, "dsc_key"):  # a copy of the prepared list
            _load_lists(request, [lst])
    return True


def prepare_citations(request, citations) -> None:
    request._dsc_citations = getattr(request, "_dsc_citations", []) + list(citations)


def _load_citations(request, citations) -> None:
    threads = selectors.threads_for_citations(request.user, [c.pk for c in citations])
    for c in citations:
        c.dsc_key = f"item-{c.pk}"
        t = threads.get(c.pk)
        c.dsc_unread = t.unread if t else 0
        c.dsc_total = t.n_messages if t else 0


def _item_when(request, context) -> bool:
    citation, lst = context.get("citation"), context.get("lst")
    if citation is None or lst is None or not _can(request, context) or "item" not in _levels(request, lst.institution):
        return False
    if not hasattr(citation, "dsc_key"):
        pending = [c for c in getattr(request, "_dsc_citations", []) if not hasattr(c, "dsc_key")]
        _load_citations(request, pending if citation in pending else pending + [citation])
        if not hasattr(citation, "dsc_key"):
            _load_citations(request, [citation])
    return True


# --- the librarians' task list -------------------------------------------------------------------

def prepare_rows(request, rows) -> None:
    ids = [r.pk for r in rows]
    unread = selectors.unread_by_list(request.user, ids) if ids else {}
    awaiting = selectors.awaiting_by_list(ids) if ids else {}
    for r in rows:
        r.dsc_unread = unread.get(r.pk, 0)
        r.dsc_awaiting = awaiting.get(r.pk, 0)


def _row_when(request, context) -> bool:
    row = context.get("row")
    if row is not None and not hasattr(row, "dsc_unread"):
        prepare_rows(request, [row])
    return True


register_slot("list_aside", "discussion/_list_aside.html", order=10, when=_list_pane_when, prepare=prepare_lists)
register_slot("citation_services", "discussion/_item_discussion.html", order=90, when=_item_when, prepare=prepare_citations)
register_slot("librarian_citation_services", "discussion/_item_discussion.html", order=90, when=_item_when,
              prepare=prepare_citations)
register_slot("task_list_columns_head", "discussion/_task_head.html", order=50)
register_slot("task_list_columns", "discussion/_task_cell.html", order=50, when=_row_when, prepare=prepare_rows)
