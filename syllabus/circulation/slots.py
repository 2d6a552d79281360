"""What circulation adds to the list pages (found by the lists' slot registry):

* ``citation_services`` (shared by everyone who sees the list): where the item is and whether
  it can be had — copies by library, online access, Find it, COinS, Place a hold, Request an
  accessible file; for the list's editors, how many readers marked it done;
* ``citation_reader`` (per person, never part of a shared rendering): their done mark, their
  hold and place in the queue, their digital loan;
* ``list_reader`` (per person): their progress through the list.

The item access of the whole page is computed once (:func:`syllabus.lists.item_access.attach`)."""
from syllabus.lists.item_access import attach
from syllabus.lists.slots import register_slot


def _prepare(request, citations):
    todo = [c for c in citations if not hasattr(c, "item_access")]
    if todo:
        attach(request.user, todo)


def _prepare_progress(request, lists):
    """The reader's progress from the done marks already loaded for the page's items (no query)."""
    for lst in lists:
        items = [c for s in getattr(lst, "section_list", []) for c in s.items]
        _prepare(request, items)
        if not items or not request.user.is_authenticated:
            lst.reading_progress = None
            continue
        lst.reading_progress = {"done": sum(1 for c in items if c.item_access.get("mine", {}).get("done")), "total": len(items)}


register_slot("citation_services", "circulation/_item_access.html", order=2, prepare=_prepare)
register_slot("citation_reader", "circulation/_item_mine.html", order=10, prepare=_prepare)
register_slot("list_reader", "circulation/_list_progress.html", order=10, prepare=_prepare_progress)
