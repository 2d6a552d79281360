"""The loan request's workflow (LDL-4), in the one shape of :mod:`syllabus.core.workflow`.

A request's state is its (status, step) pair — both declared here, the model's fields take their
choices from them — and is written ``"status/step"`` in the table. Every verb of
:mod:`syllabus.lending.services` moves a request only through :data:`LOAN_WORKFLOW`
(:func:`transition`); docs/lending.md shows the table generated from here.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _

from syllabus.core.workflow import StateMachine, Transition

if TYPE_CHECKING:
    from .models import LoanRequest


class Status(models.TextChoices):
    READY = "ready", _("Ready")
    ACTIVE = "active", _("Active")
    COMPLETED = "completed", _("Completed")
    REJECTED = "rejected", _("Rejected")


OPEN_STATUSES = (Status.READY, Status.ACTIVE)


class Step(models.TextChoices):
    IN_WAITLIST = "in_waitlist", _("In waitlist")
    IN_GRACE_PERIOD = "in_grace_period", _("In grace period")
    IS_BEING_VIEWED = "is_being_viewed", _("Is being viewed")
    COMPLETED = "completed", _("Completed")


def state(status: str, step: str) -> str:
    return f"{status}/{step}"


WAITING = state(Status.READY, Step.IN_WAITLIST)
GRACE = state(Status.ACTIVE, Step.IN_GRACE_PERIOD)
VIEWING = state(Status.ACTIVE, Step.IS_BEING_VIEWED)
DONE = state(Status.COMPLETED, Step.COMPLETED)
CANCELLED = state(Status.REJECTED, Step.COMPLETED)

_LABELS = {WAITING: "Ready / In waitlist", GRACE: "Active / In grace period", VIEWING: "Active / Is being viewed",
           DONE: "Completed / Completed", CANCELLED: "Rejected / Completed"}

#: A new request starts WAITING (reference workflow step 1, "waitlist" letter with the place) and
#: is handed over at once when a copy is free.  Row numbers are the reference's workflow steps.
LOAN_WORKFLOW = StateMachine("request", "LDL-4", [
    Transition(WAITING, "hand_over", GRACE, "system (a copy is free)", "step 2: place 0; \"available\" letter with the link"),
    Transition(GRACE, "access", VIEWING, "patron", "step 3: the session clock starts"),
    Transition(VIEWING, "renew", VIEWING, "patron", "LDL-9: the session due time moves"),
    Transition(VIEWING, "finish", DONE, "patron", "step 4: the copy goes to the next in line"),
    Transition(VIEWING, "session_end", DONE, "timer", "step 4: the session period ended; the copy goes to the next"),
    Transition(GRACE, "grace_expire", DONE, "timer", "step 5: not opened within the grace period; patron told; next handed over"),
    Transition(WAITING, "cancel", CANCELLED, "patron or lending staff", "step 6: patron told; later ones move up"),
    Transition(GRACE, "cancel", CANCELLED, "patron or lending staff", "step 6: patron told; the copy goes to the next"),
], labels=lambda s: _LABELS.get(s, s),
    rules={"hand_over": "LDL-6", "access": "LDL-8", "renew": "LDL-9", "finish": "LDL-4", "session_end": "LDL-8",
           "grace_expire": "LDL-7", "cancel": "LDL-11"},
    verbs={"hand_over": "be handed over", "access": "be viewed", "renew": "be renewed", "finish": "be finished",
           "session_end": "end", "grace_expire": "expire", "cancel": "be cancelled"})


def transition(req: LoanRequest, action: str) -> tuple[str, str]:
    """The (status, step) ``req`` moves to by ``action``, or a 409 ``RuleViolation`` naming the rule."""
    status, step = LOAN_WORKFLOW.step(state(req.status, req.step), action).target.split("/")
    return status, step
