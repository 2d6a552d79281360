"""Tabbed back-office pages (LST-7, DIG-10, SRV-4, DSC-2, CON-2, the outbox): one way to read the tab.

Every tabbed page reads its tab with :func:`chosen`: a value that is not one of its tabs — a
mistyped or old link, a tab renamed since — opens the page's default tab, never a refusal page
(a "Not allowed" page for ``?tab=bogus`` told a librarian they lacked a right they had).  Each
tab shows how many rows it holds, counted for all the tabs in one aggregate query by the page's
selector (``tab_counts``, ``work_queue_counts``...), never one query per tab.
"""
from __future__ import annotations

from collections.abc import Iterable


def chosen(value: str | None, tabs: Iterable, default: str) -> str:
    """``value`` when it names one of ``tabs`` (keys, or ``(key, label)`` pairs), else ``default``."""
    keys = {t[0] if isinstance(t, (tuple, list)) else t for t in tabs}
    value = (value or "").strip()
    return value if value in keys else default
