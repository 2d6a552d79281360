"""What circulation adds to the list pages (found by the lists' slot registry):

* ``citation_services`` (shared by everyone who sees the list): where the item is and whether
  it can be had — copies by library, online access, Find it, COinS, Place a hold, Request an
  accessible file; for the list's editors, how many readers marked it done;
* ``citation_reader`` (per person, never part of a shared rendering): their done mark, their
  hold and place in the queue, their digital loan;
* ``list_reader`` (per person): their progress through the list.

The item access of the whole page is computed once (:func:`syllabus.lists.item_access.attach`)."""
from types import SimpleNamespace

from django.urls import reverse
from django.utils.html import conditional_escape

from syllabus.lists.item_access import attach
from syllabus.lists.slots import register_slot

_ID = "999999999"  # stands for the item id in a URL reversed once per page
_URL_NAMES = ("done", "place-hold", "accessible-request")


def prepare_items(request, citations):
    """The item access and each item's own URLs of ``citations`` (once per page)."""
    todo = [c for c in citations if not hasattr(c, "item_access")]
    if todo:
        attach(request.user, todo)
    # each item's own URLs, reversed once per page rather than once per item (issue 19)
    urls = {name: reverse(f"circulation:{name}", args=[_ID]) for name in _URL_NAMES}
    for c in citations:
        if not hasattr(c, "circulation_urls"):
            pk = str(c.pk)
            c.circulation_urls = {name.replace("-", "_"): url.replace(_ID, pk) for name, url in urls.items()}


def _prepare_progress(request, lists):
    """The reader's progress from the done marks already loaded for the page's items (no query)."""
    for lst in lists:
        items = [c for s in getattr(lst, "section_list", []) for c in s.items]
        prepare_items(request, items)
        if not items or not request.user.is_authenticated:
            lst.reading_progress = None
            continue
        lst.reading_progress = {"done": sum(1 for c in items if c.item_access.get("mine", {}).get("done")), "total": len(items)}


def _access_key(request, context):
    """Everything ``_item_access.html`` reads: the item's shared access (copies, availability,
    online links, Find it, whether a hold can be placed, the editors' done count) — never the
    reader's own part (``mine``) — its title, whether a personal copy is promised, and its URLs
    (lists.slots: ``key``)."""
    c = context.get("citation")
    access = getattr(c, "item_access", None)
    if c is None or access is None:
        return None
    return (c.pk, c.title, getattr(c, "personal_copy", False), {k: v for k, v in access.items() if k != "mine"}, c.circulation_urls)


def _mine_key(request, context):
    """Everything ``_item_mine.html`` reads: this reader's own done mark, hold and loan (so two
    readers share a rendering only when theirs are the same), the item, the page's path."""
    c = context.get("citation")
    access = getattr(c, "item_access", None)
    if c is None or access is None:
        return None
    return (c.pk, c.title, access.get("mine"), c.circulation_urls, request.path if request else "", bool(context.get("announce")))


#: stands for the item's title in the stand-in of :func:`_mine_stencil`
_TITLE = "syllabus-title-mark-3e9a41"


def _mine_stencil(request, context):
    """A reader with nothing of their own on an item (no done mark, hold or loan: most items
    for most readers) sees the same part on every item but for its id and title: rendered once
    from a stand-in, the id and the (escaped) title filled in (lists.slots: ``stencil``)."""
    c = context.get("citation")
    access = getattr(c, "item_access", None)
    path = request.path if request else ""
    if c is None or access is None or _ID in path:
        return None
    mine = access.get("mine") or {}
    if mine.get("done") or mine.get("hold") or mine.get("loan"):   # what _item_mine.html shows of theirs
        return None
    stand_in = getattr(request, "_circulation_stand_in", None)
    if stand_in is None:   # once per page
        urls = {name.replace("-", "_"): reverse(f"circulation:{name}", args=[_ID]) for name in _URL_NAMES}
        stand_in = SimpleNamespace(pk=_ID, title=_TITLE, item_access={"mine": {}}, circulation_urls=urls)
        if request is not None:
            request._circulation_stand_in = stand_in
    # the id first: a title may hold the id's stand-in, never the other way round
    return (path, bool(context.get("announce"))), {"citation": stand_in}, ((_ID, str(c.pk)), (_TITLE, conditional_escape(c.title)))


# lazy: in the editor (most of an item's bytes there), loaded when the item's "Copies and access" opens
register_slot("citation_services", "circulation/_item_access.html", order=2, prepare=prepare_items, key=_access_key,
              lazy=True)
register_slot("citation_reader", "circulation/_item_mine.html", order=10, prepare=prepare_items, key=_mine_key,
              stencil=_mine_stencil)
def _progress_key(request, context):
    """A reader with nothing of their own on the list has done none of its items: their
    progress is "0 of <the list's items>", which the list's shared page determines (lists.slots
    ``key``); anyone else's is rendered for them."""
    return ("none done",) if context.get("reader_owns_nothing") else None


register_slot("list_reader", "circulation/_list_progress.html", order=10, prepare=_prepare_progress, key=_progress_key)
