"""State machines of acquisition tasks and purchase requests (SRV-3), checked by every service
that moves them; the docs' tables are generated from them (``syllabus workflows``)."""
from __future__ import annotations

from syllabus.core.workflow import StateMachine, Transition

from .models import PurchaseStatus as P
from .models import TaskStatus as T

LIBRARIAN = "librarian"
INSTRUCTOR = "requester or list editor"

_DONE = ("order / short loan: a copy on the course reserve appears in the item's availability; licence: the e-book's "
         "link appears; the item becomes Complete where LST-4 allows")

TASK_WORKFLOW = StateMachine("acquisition task", "SRV-3", [
    Transition(T.REQUESTED, "start", T.IN_PROGRESS, LIBRARIAN, "the item goes In process where LST-4 allows"),
    Transition(T.REQUESTED, "complete", T.DONE, LIBRARIAN, _DONE),
    Transition(T.IN_PROGRESS, "complete", T.DONE, LIBRARIAN, _DONE),
    Transition(T.REQUESTED, "cancel", T.CANCELLED, LIBRARIAN),
    Transition(T.IN_PROGRESS, "cancel", T.CANCELLED, LIBRARIAN),
], labels=lambda s: T(s).label)

PURCHASE_WORKFLOW = StateMachine("purchase request", "SRV-3", [
    Transition(P.LIBRARY_PROCESSING, "cancel", P.CANCELLED, INSTRUCTOR,
               "the tag `new_edition_purchase_requested` is removed; letter `purchase_request_cancelled`"),
    Transition(P.LIBRARY_PROCESSING, "complete", P.COMPLETED, LIBRARIAN,
               "tag `new_edition_available`; letter `purchase_request_completed`"),
    Transition(P.LIBRARY_PROCESSING, "decline", P.DECLINED, LIBRARIAN,
               "tag `purchase_request_declined`; letter `purchase_request_declined`"),
], labels=lambda s: P(s).label)
