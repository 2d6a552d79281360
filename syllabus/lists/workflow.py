"""The two workflows of resource lists (LST-4..6), each one explicit transition table
(:class:`syllabus.core.workflow.StateMachine`).

The tables are what the docs (generated: ``syllabus workflows``) and the tests quote;
:mod:`syllabus.lists.services` checks every change of status against them.  Each row names the
side allowed to make that move: ``"instructor"`` (a list owner or collaborator), ``"librarian"``
(a Course Reserves Operator of the list's institution).  A move that is not in the table is an
illegal jump (LST-4).

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

from syllabus.core.workflow import StateMachine, Transition

INSTRUCTOR = "instructor"
LIBRARIAN = "librarian"

_LIST_DONE = "closes the list's open tasks; letter `list_complete` to each owner"
_ITEM_MOVED = "closes the item's open tasks; a list sent to the library goes in process"


class ListStatus(models.TextChoices):
    BEING_PREPARED = "being_prepared", _("Being prepared")
    SENT_TO_LIBRARY = "sent_to_library", _("Sent to library")
    IN_PROCESS = "in_process", _("In process")
    COMPLETE = "complete", _("Complete")


L = ListStatus  # the table below reads as L.X -> L.Y

LIST_WORKFLOW = StateMachine("list", "LST-4", [
    Transition(L.BEING_PREPARED, "send", L.SENT_TO_LIBRARY, INSTRUCTOR,
               "refused while the list has no item; its items being prepared become ready for processing; "
               "a task for the librarians (LST-6)"),
    Transition(L.SENT_TO_LIBRARY, "start", L.IN_PROCESS, LIBRARIAN,
               "closes the \"list sent\" task; also done by the library's first item move"),
    Transition(L.SENT_TO_LIBRARY, "complete", L.COMPLETE, LIBRARIAN, _LIST_DONE),
    Transition(L.IN_PROCESS, "complete", L.COMPLETE, LIBRARIAN, _LIST_DONE),
    Transition(L.COMPLETE, "reopen", L.IN_PROCESS, LIBRARIAN, "closes the \"list sent\" task"),
], states=ListStatus)


class ItemStatus(models.TextChoices):
    BEING_PREPARED = "being_prepared", _("Being prepared")
    READY_FOR_PROCESSING = "ready_for_processing", _("Ready for processing")
    IN_PROCESS = "in_process", _("In process")
    COMPLETE = "complete", _("Complete")
    DECLINED = "declined", _("Declined")


I = ItemStatus  # noqa: E741
# Item statuses in which the library still has something to do.
OPEN_ITEM_STATUSES = (I.READY_FOR_PROCESSING, I.IN_PROCESS)

ITEM_WORKFLOW = StateMachine("item", "LST-4", [
    Transition(I.BEING_PREPARED, "send", I.READY_FOR_PROCESSING, INSTRUCTOR,
               "a task for the librarians (LST-6); sending the list sends its items too"),
    Transition(I.READY_FOR_PROCESSING, "start", I.IN_PROCESS, LIBRARIAN, _ITEM_MOVED),
    Transition(I.READY_FOR_PROCESSING, "complete", I.COMPLETE, LIBRARIAN, _ITEM_MOVED),
    Transition(I.READY_FOR_PROCESSING, "decline", I.DECLINED, LIBRARIAN, _ITEM_MOVED),
    Transition(I.IN_PROCESS, "complete", I.COMPLETE, LIBRARIAN, _ITEM_MOVED),
    Transition(I.IN_PROCESS, "decline", I.DECLINED, LIBRARIAN, _ITEM_MOVED),
    Transition(I.COMPLETE, "reopen", I.IN_PROCESS, LIBRARIAN, _ITEM_MOVED),
    Transition(I.DECLINED, "reopen", I.IN_PROCESS, LIBRARIAN, _ITEM_MOVED),
], states=ItemStatus)


# not a workflow: whether students see the list
class Visibility(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


def list_label(status: str) -> str:
    return LIST_WORKFLOW.label(status)


def item_label(status: str) -> str:
    return ITEM_WORKFLOW.label(status)
