"""Navigation by role.  Each app adds its entries in ``<app>/nav.py`` with :func:`entry`.

    entry("lists", _("My lists"), "lists:mine", when=lambda u: True, order=10)
    entry("lists", _("Search the library"), "catalog:search", group="library", order=30)
    entry("back_office", _("Task list"), "lists:tasks", when=lambda u: u.is_librarian)

Entries are grouped by what the person is doing (:func:`menu_for`): their courses and lists
first (``main``: links in the bar), the library's services (``library``: one menu) and the
staff's work (``back_office``: one menu).  A ``badge`` counts only what the person has to act
on (DSC-2: never their own side's messages); a menu shows the sum of its entries' badges.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from django.conf import settings
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import get_language, gettext_lazy


@dataclass(frozen=True)
class NavEntry:
    side: str  # "lists" or "back_office"
    label: str
    url_name: str
    when: Callable
    order: int = 50
    badge: Callable | None = None  # user -> int (e.g. unread messages)
    group: str = ""                # main | library | back_office (default: main, or back_office on that side)


ENTRIES: list[NavEntry] = []


def nav_memo(user) -> dict:
    """What this request computed for the navigation, kept on the request's user (through the
    request's lazy wrapper, onto the person loaded for this request: the sign-in backend puts there
    what it read with them, org.backends.SIGNED_IN_READS)."""
    memo = getattr(user, "_nav_memo", None)
    if memo is None:
        memo = {}
        user._nav_memo = memo
    return memo
_loaded = False


def entry(side: str, label, url_name: str, *, when: Callable = lambda u: True, order: int = 50, badge: Callable | None = None,
          group: str = ""):
    ENTRIES.append(NavEntry(side, label, url_name, when, order, badge, group or ("back_office" if side == "back_office" else "main")))


# The entries' URLs take no arguments: each is reversed once per URL configuration and script
# prefix, not on every page (issue 19: ~20 reversals per page were a tenth of the shell's time).
_URLS: dict[tuple, str | None] = {}


def _url(name: str, where: tuple | None = None) -> str | None:
    """``name`` reversed; ``where``: the URL configuration and script prefix in force
    (:func:`_where`, worked out once per menu: issue 19, session 12)."""
    key = (name, *(where or _where()))
    found = _URLS.get(key, _URLS)
    if found is _URLS:
        try:
            found = reverse(name)
        except NoReverseMatch:
            found = None
        _URLS[key] = found
    return found  # type: ignore[return-value]


def _where() -> tuple:
    return (get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())


_SORTED: dict[tuple, list[NavEntry]] = {}


def _sorted(side: str) -> list[NavEntry]:
    """A side's entries in menu order (ties by label, so per language), sorted once."""
    global _loaded
    if not _loaded:
        autodiscover_modules("nav")
        _loaded = True
    key = (side, get_language(), len(ENTRIES))
    if key not in _SORTED:
        _SORTED[key] = sorted((e for e in ENTRIES if e.side == side), key=lambda e: (e.order, str(e.label)))
    return _SORTED[key]


def entries_for(user, side: str, *, names: set[str] | None = None) -> list[dict]:
    out = []
    where = _where()
    for e in _sorted(side):
        if names is not None and e.url_name not in names:
            continue
        try:
            if not e.when(user):
                continue
        except NoReverseMatch:
            continue
        url = _url(e.url_name, where)
        if url is None:
            continue
        out.append({"label": e.label, "url": url, "name": e.url_name, "badge": e.badge(user) if e.badge and names is None else 0, "group": e.group})
    return out


def related(user, *url_names: str) -> list[dict]:
    """``[{"label", "url", "name"}]``: the menu entries named ``url_names`` (in that order) that
    ``user`` sees — how a page of one app points to a page of another it may not import (a lower
    app's page to a higher app's: acquisitions' *My purchase requests* to consortium's *My
    inter-library loan requests*).  An entry no app registered, or hidden from ``user``, is left out."""
    wanted = set(url_names)
    found = {e["name"]: e for side in ("lists", "back_office") for e in entries_for(user, side, names=wanted)}
    return [found[n] for n in url_names if n in found]


GROUP_LABELS = {"library": gettext_lazy("Library"), "back_office": gettext_lazy("Back office")}


def menu_for(user, *, back_office: bool) -> list[dict]:
    """``[{"key", "label", "entries", "badge"}]``: the bar's own links, then one menu per group."""
    entries = entries_for(user, "lists") + (entries_for(user, "back_office") if back_office else [])
    groups: dict[str, list[dict]] = {"main": [], "library": [], "back_office": []}
    for e in entries:
        groups.setdefault(e["group"], []).append(e)
    return [{"key": key, "label": GROUP_LABELS.get(key, ""), "entries": items, "badge": sum(i["badge"] or 0 for i in items)}
            for key, items in groups.items() if items]


# The shell's own entries.
from django.utils.translation import gettext_lazy as _  # noqa: E402

from syllabus.org.merging import may_merge as _may_merge  # noqa: E402  (ORG-MERGE)

entry("lists", _("Home"), "web:home", order=0)
entry("lists", _("Courses"), "web:courses", order=20)
entry("back_office", _("Merge accounts"), "org:merge", when=lambda u: _may_merge(u), order=85)
entry("back_office", _("Administration"), "admin:index", when=lambda u: u.is_staff and u.is_administrator, order=90)
