"""State machines of acquisition tasks and purchase requests (SRV-3): their states (the models'
``status`` choices) and their tables, checked by every service that moves them; the docs' tables
are generated from them (``syllabus workflows``)."""
from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from syllabus.core.workflow import StateMachine, Transition

LIBRARIAN = "librarian"
INSTRUCTOR = "requester or list editor"

_DONE = ("order / short loan: a copy on the course reserve appears in the item's availability; licence: the e-book's "
         "link appears; the item becomes Complete where LST-4 allows")


class TaskStatus(models.TextChoices):
    REQUESTED = "requested", pgettext_lazy("state", "Requested")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", pgettext_lazy("state", "Done")
    CANCELLED = "cancelled", _("Cancelled")


TASK_WORKFLOW = StateMachine("acquisition task", "SRV-3", [
    Transition(TaskStatus.REQUESTED, "start", TaskStatus.IN_PROGRESS, LIBRARIAN, "the item goes In process where LST-4 allows"),
    Transition(TaskStatus.REQUESTED, "complete", TaskStatus.DONE, LIBRARIAN, _DONE),
    Transition(TaskStatus.IN_PROGRESS, "complete", TaskStatus.DONE, LIBRARIAN, _DONE),
    Transition(TaskStatus.REQUESTED, "cancel", TaskStatus.CANCELLED, LIBRARIAN),
    Transition(TaskStatus.IN_PROGRESS, "cancel", TaskStatus.CANCELLED, LIBRARIAN),
], states=TaskStatus)

OPEN_TASK = (TaskStatus.REQUESTED, TaskStatus.IN_PROGRESS)  # the library still has work to do


class PurchaseStatus(models.TextChoices):
    LIBRARY_PROCESSING = "library_processing", _("Library processing")
    COMPLETED = "completed", _("Purchase completed")
    DECLINED = "declined", _("Purchase request declined")
    CANCELLED = "cancelled", _("Purchase request cancelled")


PURCHASE_WORKFLOW = StateMachine("purchase request", "SRV-3", [
    Transition(PurchaseStatus.LIBRARY_PROCESSING, "cancel", PurchaseStatus.CANCELLED, INSTRUCTOR,
               "the tag `new_edition_purchase_requested` is removed; letter `purchase_request_cancelled`"),
    Transition(PurchaseStatus.LIBRARY_PROCESSING, "complete", PurchaseStatus.COMPLETED, LIBRARIAN,
               "Bought: the catalog record (the item's own, else one of the institution with the same ISBN/DOI, else a "
               "new one; an unlinked item is linked to it), a copy In process in the first library and an order task "
               "that receives it; tag `new_edition_available`; letter `purchase_request_completed` with the record's link"),
    Transition(PurchaseStatus.LIBRARY_PROCESSING, "decline", PurchaseStatus.DECLINED, LIBRARIAN,
               "tag `purchase_request_declined`; letter `purchase_request_declined`"),
], states=PurchaseStatus)
