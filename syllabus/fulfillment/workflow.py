"""The digitization request's state machine: one table (:class:`syllabus.core.workflow.StateMachine`),
checked by every service that moves it; the docs' table is generated from it (``syllabus workflows``).

Each row is (state, action) → (next state, who, side effect).  ``RELEASE`` means: the
request leaves *Waiting for approval* for *Pick from shelf* once no approval task is pending
(blocking mode, DIG-9); ``SAME`` means the action completes a task without moving the request
(parallel mode: approval runs beside the work).

    pending_approval ──approve*──▶ pick_from_shelf ──pick──▶ in_digitization ──attach_file──▶ file_attached
          │                              │                        │                              │ deliver
          └── reject / cancel / expire ──┴────────────────────────┴──────────────────────────────┤
                                                                                                   ▼
    pending_copyright ──approve_copyright──▶ completed ◀──complete── delivered
"""
from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from syllabus.core.workflow import StateMachine, Transition


class Status(models.TextChoices):
    PENDING_APPROVAL = "pending_approval", _("Waiting for approval")
    PICK_FROM_SHELF = "pick_from_shelf", _("Pick from shelf")
    IN_DIGITIZATION = "in_digitization", _("In digitization")
    FILE_ATTACHED = "file_attached", _("File attached")
    PENDING_COPYRIGHT = "pending_copyright", _("Waiting for copyright clearance")
    DELIVERED = "delivered", _("Delivered")
    COMPLETED = "completed", _("Completed")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Expired")


OPEN_STATUSES = (Status.PENDING_APPROVAL, Status.PICK_FROM_SHELF, Status.IN_DIGITIZATION, Status.FILE_ATTACHED,
                 Status.PENDING_COPYRIGHT)

S = Status

SAME = "="
RELEASE = "release"

MANAGER = "manager"        # a Fulfillment Services Manager of the institution
OPERATOR = "operator"      # a Work Order Operator of the request's department (or desk)
PICKER = "operator or requests operator"  # ... or a Requests Operator of the library
CANCELLER = "operator or requester"
TIMER = "timer"            # the `tick` sweep (DIG-6)

_APPROVE = "the task is approved; without a pending task the request is released to the operators"
_TASK = "the task is approved; the request stays where it is (parallel mode, DIG-9)"
_REJECT = "closed; letter `digitization_request_rejected`; a parallel scan's file is deleted (DIG-9)"
_CANCEL = "closed; letter `digitization_request_cancelled` when staff cancel"
_EXPIRE = "closed; letter `digitization_request_expired`"


def _closing(state: str, *, copyright_only: bool = False) -> list[Transition]:
    rows = [] if copyright_only else [Transition(state, "reject", S.REJECTED, MANAGER, _REJECT)]
    rows += [Transition(state, "reject_copyright", S.REJECTED, MANAGER, _REJECT),
             Transition(state, "cancel", S.CANCELLED, CANCELLER, _CANCEL),
             Transition(state, "expire", S.EXPIRED, TIMER, _EXPIRE)]
    return rows


def _tasks(state: str) -> list[Transition]:
    return [Transition(state, "approve", SAME, MANAGER, _TASK), Transition(state, "approve_copyright", SAME, MANAGER, _TASK)]


WORKFLOW = StateMachine("request", "DIG-10", [
    Transition(S.PENDING_APPROVAL, "approve", RELEASE, MANAGER, _APPROVE),
    Transition(S.PENDING_APPROVAL, "approve_copyright", RELEASE, MANAGER, _APPROVE),
    *_closing(S.PENDING_APPROVAL),
    Transition(S.PICK_FROM_SHELF, "pick", S.IN_DIGITIZATION, PICKER),
    *_tasks(S.PICK_FROM_SHELF), *_closing(S.PICK_FROM_SHELF),
    Transition(S.IN_DIGITIZATION, "attach_file", S.FILE_ATTACHED, OPERATOR, "the scan is kept as an inactive representation"),
    *_tasks(S.IN_DIGITIZATION), *_closing(S.IN_DIGITIZATION),
    Transition(S.FILE_ATTACHED, "attach_file", S.FILE_ATTACHED, OPERATOR, "the scan replaces the attached one"),
    Transition(S.FILE_ATTACHED, "deliver", S.DELIVERED, OPERATOR,
               "the file goes to its target (attachment, link or digital inventory, DIG-9) with its letter; "
               "a citation's scan becomes the citation's file"),
    *_tasks(S.FILE_ATTACHED), *_closing(S.FILE_ATTACHED),
    Transition(S.PENDING_COPYRIGHT, "approve_copyright", S.COMPLETED, MANAGER,
               "letter `copyright_request_approved`; the citation's copyright becomes approved"),
    *_closing(S.PENDING_COPYRIGHT, copyright_only=True),
    Transition(S.DELIVERED, "complete", S.COMPLETED, OPERATOR),
], states=Status, target_labels={
    SAME: "(stays)", RELEASE: "`pick_from_shelf` / `in_digitization` once no task is pending, else stays",
})

ACTION_LABELS = {
    "approve": "approve", "reject": "reject", "approve_copyright": "approve copyright",
    "reject_copyright": "reject copyright", "pick": "pick from shelf", "attach_file": "attach a file",
    "deliver": "deliver", "complete": "complete", "cancel": "cancel", "expire": "expire",
}


def declare_audit_labels() -> None:
    """A request's history (ORG-6) says each step done and each field changed, in the reader's language."""
    from django.utils.translation import gettext_lazy, pgettext_lazy

    from syllabus.core.labels import declare_actions, declare_fields

    declare_fields({
        "approval": gettext_lazy("Approval"), "approval_reason": gettext_lazy("Reason"),
        "copyright": gettext_lazy("Copyright clearance"), "due_at": gettext_lazy("Expires"),
        "chapters": gettext_lazy("Chapters"), "page_ranges": gettext_lazy("Pages"),
        "include_images": gettext_lazy("Include images"), "notes": gettext_lazy("Notes"),
    })

    declare_actions({
        "approve": pgettext_lazy("audit", "Approved"), "reject": pgettext_lazy("audit", "Rejected"),
        "approve_copyright": pgettext_lazy("audit", "Copyright approved"),
        "reject_copyright": pgettext_lazy("audit", "Copyright rejected"),
        "pick": pgettext_lazy("audit", "Picked from the shelf"), "attach_file": pgettext_lazy("audit", "File attached"),
        "deliver": pgettext_lazy("audit", "Delivered"), "complete": pgettext_lazy("audit", "Completed"),
        "expire": pgettext_lazy("audit", "Expired"), "auto_approved": pgettext_lazy("audit", "Approved automatically"),
        "auto_approval_stopped": pgettext_lazy("audit", "Automatic approval stopped"),
        "link_opened": pgettext_lazy("audit", "Link opened"),
    })


def allowed(state: str, action: str) -> bool:
    return WORKFLOW.get(state, action) is not None


def next_state(state: str, action: str) -> str:
    """The target of ``action`` from ``state`` (maybe ``SAME``/``RELEASE``), or DIG-10 refusal."""
    return WORKFLOW.step(state, action, verb=ACTION_LABELS.get(action, action)).target


def actions(state: str) -> list[str]:
    return [a for a in WORKFLOW.actions(state) if a != "expire"]
