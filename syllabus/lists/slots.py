"""Plug-in slots of the list pages, so that other apps add their part without editing ours.

A slot is a named place in a template (``{% lists_slot "citation_services" citation=c %}``);
an app registers a template for it, and optionally a ``prepare(request, objects)`` function
called once per page with every object the slot will show, to load what it needs in bulk
(so that a list of 200 items does not cost 200 queries)::

    # syllabus/discussion/slots.py  (or anywhere loaded at start-up, e.g. the app's nav.py)
    from syllabus.lists.slots import register_slot
    register_slot("list_aside", "discussion/_list_pane.html", order=10,
                  prepare=lambda request, lists: ...)

Slots of the lists app:

=============================  ======================================================  ==========================
slot                           where                                                     context
=============================  ======================================================  ==========================
``list_actions``               list header (editor, student view, librarian detail)       ``lst``, ``access``
``list_aside``                 side pane of every list page (e.g. library discussion)     ``lst``, ``access``
``citation_services``          per item, "Library services" (editor and student view)   ``citation``, ``lst``, ``access``;
                               at a glance: a form that starts something goes to           in the editor also ``page_url``
                               ``citation_page`` (with a link to it, ``page_url``)          (the item's own page)
``citation_page``              an item's own edit page (``/lists/<id>/edit/items/<id>/``):  ``citation``, ``lst``, ``access``
                               what is not needed at a glance in the editor (a form that
                               starts a request); under "Library services"
``citation_reader``            per item, the reader's own part (student view): done      ``citation``, ``lst``, ``access``
                               mark, own hold/queue place — per person, keep it out of
                               any cache shared between readers
``list_reader``                list header, the reader's own progress (student view)     ``lst``, ``access``
``librarian_citation_services``  per item on the librarian's list detail                ``citation``, ``lst``, ``access``
``task_list_columns_head``     extra column header(s) of the librarian task list        —
``task_list_columns``          extra cell per row of the librarian task list              ``row``
=============================  ======================================================  ==========================

A ``citation_services`` template may be registered ``lazy=True`` (circulation's copies and
access, ~2.6 KB and most of the render time of an item): the editor does not draw it with every
item but shows a "Copies and access" disclosure that loads it when opened (htmx, from
``/lists/<id>/edit/items/<id>/services/``; without JavaScript, a link to the item's own page,
which shows it under "Library services"); its ``prepare`` then runs for that item alone.  The
student view and the other pages draw it as usual.  ``lazy`` only suits a part that is not
needed at a glance while editing (a status, a notice or a count stays eager).

A per-item slot of the student view may declare ``key(request, context) -> hashable | None``:
a promise that its rendering is a function of that key and the active language only (and of
the CSRF token, which is put in afterwards: the template sees a placeholder).  The student view
then renders it once per distinct key and reuses it from the cache, for every reader whose key
is the same (issue 19).  The key must hold *everything* the template reads — for a per-person
part, that person's data itself (their done mark, their hold), so that two readers share a
rendering only when it is, byte for byte, the same for both; ``None`` means "render afresh".

A per-item slot may also declare ``stencil(request, context) -> (key, stand_in, marks) | None``:
a promise that this item's rendering is the rendering of the context values ``stand_in`` (e.g.
a stand-in citation) in which each ``mark`` of ``marks`` (ordered ``(mark, text)`` pairs) is
replaced by its ``text`` — already escaped as the template would have escaped it.  The page
renders the stand-in once per distinct ``key`` (with the active language, on this request)
and fills in each item's marks instead of rendering the template per item: e.g. a reader's own
part for the many items on which they have nothing of their own (issue 19).  ``None``: render
as usual (``key`` or afresh).

A list-level slot of the student view's reader (``list_actions``, ``list_reader``,
``list_aside``) may declare ``key(request, context) -> hashable | None`` too, called with
``lst``, ``access``, ``citation_style``, ``request``, ``user`` and ``reader_owns_nothing`` (the
reader has nothing of their own on the list): a promise that what it renders for that reader is
a function of the key, the list's shared page (the list, its items, the reader's access,
institution and configuration), the path and the language — the CSRF token put in afterwards.
When every one that shows has a key (a slot whose ``when`` is false shows nothing) and the
reader has nothing of their own, the student view keeps the reader's **whole** page, shell
included, for every such reader (lists_tags.reader_page_key); a slot that shows without a key
makes every page it is on rendered per request.

The student view also keeps its whole shared content under the item-access providers' stamps
(``lists.item_access``: on a hit no item and no item access is loaded).  So what a
``citation_services`` template or its ``prepare`` reads must come only from the reader's
access, the list and its items, the configuration, or data an item-access provider's stamp
covers: anything else could be served stale.  New data a slot shows needs a stamp first.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.module_loading import autodiscover_modules


@dataclass(frozen=True)
class Slot:
    name: str
    template: str
    order: int = 50
    when: Callable | None = None            # (request, context) -> bool
    prepare: Callable | None = None         # (request, objects) -> None, once per page
    key: Callable | None = None             # (request, context) -> hashable | None: see above
    stencil: Callable | None = None         # (request, context) -> (key, stand_in, marks) | None: see above
    lazy: bool = False                      # in the editor, loaded when the item's disclosure opens: see above


SLOTS: dict[str, list[Slot]] = {}
_loaded = False


def register_slot(name: str, template: str, *, order: int = 50, when: Callable | None = None,
                  prepare: Callable | None = None, key: Callable | None = None,
                  stencil: Callable | None = None, lazy: bool = False) -> Slot:
    slot = Slot(name, template, order, when, prepare, key, stencil, lazy)
    SLOTS.setdefault(name, [])
    SLOTS[name] = sorted([s for s in SLOTS[name] if s.template != template] + [slot], key=lambda s: (s.order, s.template))
    return slot


def slots(name: str) -> list[Slot]:
    global _loaded
    if not _loaded:
        autodiscover_modules("slots")
        _loaded = True
    return SLOTS.get(name, [])


def prepare(request, name: str, objects, *, lazy: bool | None = None) -> None:
    """Let every template of slot ``name`` load its data for ``objects`` in one go (with
    ``lazy``, only the templates registered with that ``lazy``)."""
    objects = list(objects)
    for slot in slots(name):
        if slot.prepare is not None and (lazy is None or slot.lazy == lazy):
            slot.prepare(request, objects)


def has_lazy(name: str) -> bool:
    """Whether a template of slot ``name`` is registered ``lazy`` (the editor then shows the
    disclosure that loads them)."""
    return any(slot.lazy for slot in slots(name))


def _transfer_key(request, context):
    """What ``catalog/_list_transfer.html`` shows a reader who cannot edit: the export form of
    the list in its citation style (the configured one when the page has none: configuration is
    part of the page's key); an editor's import form is not keyed."""
    access, lst = context.get("access"), context.get("lst")
    if access is None or lst is None or access.edit:
        return None
    return (lst.pk, context.get("citation_style") or "")


# The catalog's export (everyone who sees the list) and import (its editors) in the list header
# (LST-9); the catalog sits below this app and cannot register itself.
register_slot("list_actions", "catalog/_list_transfer.html", order=30, key=_transfer_key)
