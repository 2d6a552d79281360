"""The two workflows of resource lists (LST-4..6), each one explicit transition table.

The tables are what the docs and the tests quote; :mod:`syllabus.lists.services` checks every
change of status against them.  Each entry maps ``(from, to)`` to the side allowed to make that
move: ``"instructor"`` (a list owner or collaborator), ``"librarian"`` (a Course Reserves
Operator of the list's institution).  A move that is not in the table is an illegal jump (LST-4).

List status (LST-4)::

    being_prepared ──send (instructor)──▶ sent_to_library ──▶ in_process ──▶ complete
                                               └──────────── complete ◀────────┘
    complete ──reopen (librarian)──▶ in_process

Item status (LST-4, LST-5)::

    being_prepared ──send (instructor)──▶ ready_for_processing ──▶ in_process ──▶ complete | declined
    ready_for_processing ──▶ complete | declined            (librarian, directly)
    complete | declined ──reopen (librarian)──▶ in_process

Items of types that need no library action (LST-5) are *created* with the configured default
status (``citation_default_status_no_action``, e.g. complete): no transition, no librarian.
"""
from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

INSTRUCTOR = "instructor"
LIBRARIAN = "librarian"


class ListStatus(models.TextChoices):
    BEING_PREPARED = "being_prepared", _("Being prepared")
    SENT_TO_LIBRARY = "sent_to_library", _("Sent to library")
    IN_PROCESS = "in_process", _("In process")
    COMPLETE = "complete", _("Complete")


class ItemStatus(models.TextChoices):
    BEING_PREPARED = "being_prepared", _("Being prepared")
    READY_FOR_PROCESSING = "ready_for_processing", _("Ready for processing")
    IN_PROCESS = "in_process", _("In process")
    COMPLETE = "complete", _("Complete")
    DECLINED = "declined", _("Declined")


class Visibility(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


L, I = ListStatus, ItemStatus  # noqa: E741 — the tables below read as L.X -> L.Y

LIST_TRANSITIONS: dict[tuple[str, str], str] = {
    (L.BEING_PREPARED, L.SENT_TO_LIBRARY): INSTRUCTOR,   # "send to library"
    (L.SENT_TO_LIBRARY, L.IN_PROCESS): LIBRARIAN,        # a librarian starts working on it
    (L.SENT_TO_LIBRARY, L.COMPLETE): LIBRARIAN,
    (L.IN_PROCESS, L.COMPLETE): LIBRARIAN,
    (L.COMPLETE, L.IN_PROCESS): LIBRARIAN,               # reopen
}

ITEM_TRANSITIONS: dict[tuple[str, str], str] = {
    (I.BEING_PREPARED, I.READY_FOR_PROCESSING): INSTRUCTOR,  # "send" a single item, or the whole list
    (I.READY_FOR_PROCESSING, I.IN_PROCESS): LIBRARIAN,
    (I.READY_FOR_PROCESSING, I.COMPLETE): LIBRARIAN,
    (I.READY_FOR_PROCESSING, I.DECLINED): LIBRARIAN,
    (I.IN_PROCESS, I.COMPLETE): LIBRARIAN,
    (I.IN_PROCESS, I.DECLINED): LIBRARIAN,
    (I.COMPLETE, I.IN_PROCESS): LIBRARIAN,                   # reopen
    (I.DECLINED, I.IN_PROCESS): LIBRARIAN,                   # reopen
}

# Item statuses in which the library still has something to do.
OPEN_ITEM_STATUSES = (I.READY_FOR_PROCESSING, I.IN_PROCESS)


def allowed_next(table: dict[tuple[str, str], str], current: str, side: str | None = None) -> list[str]:
    """The statuses reachable from ``current`` (by ``side`` when given), in table order."""
    return [to for (frm, to), who in table.items() if frm == current and (side is None or who == side)]


def list_label(status: str) -> str:
    return str(ListStatus(status).label)


def item_label(status: str) -> str:
    return str(ItemStatus(status).label)
