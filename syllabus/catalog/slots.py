"""The catalog's part of the list pages (found by :func:`syllabus.lists.slots.slots`): export
(everyone who sees the list) and import (its editors) in the list header (LST-9)."""
from __future__ import annotations

try:
    from syllabus.lists.slots import register_slot
except ImportError:  # without resource lists there is nothing to plug into
    register_slot = None

if register_slot is not None:
    register_slot("list_actions", "catalog/_list_transfer.html", order=30)
