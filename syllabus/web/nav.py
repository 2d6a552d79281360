"""Navigation by role.  Each app adds its entries in ``<app>/nav.py`` with :func:`entry`.

    entry("lists", _("My lists"), "lists:mine", when=lambda u: True, order=10)
    entry("back_office", _("Task list"), "lists:tasks", when=lambda u: u.is_librarian)
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from django.urls import NoReverseMatch, reverse
from django.utils.module_loading import autodiscover_modules


@dataclass(frozen=True)
class NavEntry:
    side: str  # "lists" or "back_office"
    label: str
    url_name: str
    when: Callable
    order: int = 50
    badge: Callable | None = None  # user -> int (e.g. unread messages)


ENTRIES: list[NavEntry] = []
_loaded = False


def entry(side: str, label, url_name: str, *, when: Callable = lambda u: True, order: int = 50, badge: Callable | None = None):
    ENTRIES.append(NavEntry(side, label, url_name, when, order, badge))


def entries_for(user, side: str) -> list[dict]:
    global _loaded
    if not _loaded:
        autodiscover_modules("nav")
        _loaded = True
    out = []
    for e in sorted((e for e in ENTRIES if e.side == side), key=lambda e: (e.order, str(e.label))):
        try:
            if not e.when(user):
                continue
            url = reverse(e.url_name)
        except NoReverseMatch:
            continue
        out.append({"label": e.label, "url": url, "name": e.url_name, "badge": e.badge(user) if e.badge else 0})
    return out


# The shell's own entries.
from django.utils.translation import gettext_lazy as _  # noqa: E402

entry("lists", _("Home"), "web:home", order=0)
entry("lists", _("Courses"), "web:courses", order=20)
entry("back_office", _("Administration"), "admin:index", when=lambda u: u.is_staff and u.is_administrator, order=90)
