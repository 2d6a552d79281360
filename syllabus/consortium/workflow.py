"""The inter-library loan's state machine (CON-2), in ISO 18626 terms: one table
(:class:`syllabus.core.workflow.StateMachine`), checked by every service that moves a loan and
by the ISO 18626 message handler; the docs' table is generated from it (``syllabus workflows``).

The state is the supplying agency's status (``type_status`` of ISO 18626).  The requesting
agency's own messages (``Received``, ``ShippedReturn``: ``type_action``) do not change it; they
are marked on the request (``SAME``).

    RequestReceived ──expect_to_supply──▶ ExpectToSupply ──will_supply──▶ WillSupply ──loan──▶ Loaned
          │ will_supply ─────────────────────────────────────────────▶        │                 │ (due) overdue
          │ loan / copy_completed from RequestReceived or ExpectToSupply too: a supplier may skip steps
          └─ unfilled / cancel (from any state before Loaned)                 │     recall      ▼
                                                                               Loaned ─────▶ Recalled / Overdue
    Loaned / Overdue / Recalled ──check_in (after the requester's ShippedReturn)──▶ LoanCompleted

A reader's own request (Find it, CON-2) for a title no member holds starts ``New`` in the reader's
library: no supplier yet.  Its staff ``send`` it to a supplier outside the consortium (an ISO 18626
``request``; the supplier's status follows), or say ``no_supplier`` (Unfilled, with the reason);
the reader or the staff may ``cancel`` it first.  A title a member holds goes to that member at
once (``RequestReceived``), as a staff request does.
"""
from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from syllabus.core.workflow import StateMachine, Transition


class IllStatus(models.TextChoices):
    """The supplying agency's status (ISO 18626 ``type_status``) as the request knows it."""

    NEW = "New", _("New: choosing a supplier")
    REQUEST_RECEIVED = "RequestReceived", _("Request received")
    EXPECT_TO_SUPPLY = "ExpectToSupply", _("Expect to supply")
    WILL_SUPPLY = "WillSupply", _("Will supply")
    LOANED = "Loaned", _("Loaned")
    OVERDUE = "Overdue", _("Overdue")
    RECALLED = "Recalled", _("Recalled")
    CANCEL_REQUESTED = "CancelRequested", _("Cancel requested")
    UNFILLED = "Unfilled", pgettext_lazy("state", "Unfilled")
    LOAN_COMPLETED = "LoanCompleted", _("Loan completed")
    COPY_COMPLETED = "CopyCompleted", _("Copy completed")
    CANCELLED = "Cancelled", _("Cancelled")


S = IllStatus

SAME = "="
BACK = "<"                 # back to the status the supplier names (it refused the requester's Cancel)
SUPPLIER = "supplier"      # staff of the supplying member (or the outside supplier's system)
REQUESTER = "requester"    # staff of the requesting member (or the outside requester's system)
TIMER = "timer"            # the `tick` sweep

_MSG = "SupplyingAgencyMessage `StatusChange` to the requester"
_OPEN = (S.REQUEST_RECEIVED, S.EXPECT_TO_SUPPLY, S.WILL_SUPPLY)
_OUT = (S.LOANED, S.OVERDUE, S.RECALLED)
_SKIPPED = {S.REQUEST_RECEIVED: "ExpectToSupply / WillSupply", S.EXPECT_TO_SUPPLY: "WillSupply"}

ILL_WORKFLOW = StateMachine("inter-library loan", "CON-2", [
    Transition(S.NEW, "send", S.REQUEST_RECEIVED, REQUESTER,
               "RequestingAgency `request` to the supplier outside the consortium the staff chose (its agency id)"),
    Transition(S.NEW, "no_supplier", S.UNFILLED, REQUESTER, "no supplier found; the reader is told the reason"),
    Transition(S.NEW, "cancel", S.CANCELLED, REQUESTER, "withdrawn before any supplier was asked: no message"),
    Transition(S.REQUEST_RECEIVED, "expect_to_supply", S.EXPECT_TO_SUPPLY, SUPPLIER, _MSG),
    Transition(S.REQUEST_RECEIVED, "will_supply", S.WILL_SUPPLY, SUPPLIER, _MSG),
    Transition(S.EXPECT_TO_SUPPLY, "will_supply", S.WILL_SUPPLY, SUPPLIER, _MSG),
    *[Transition(s, "unfilled", S.UNFILLED, SUPPLIER, _MSG + " with the reason unfilled") for s in _OPEN],
    *[Transition(s, "cancel", S.CANCEL_REQUESTED, REQUESTER,
                 "RequestingAgencyMessage `Cancel`; the supplier answers `CancelResponse` (a member at once)") for s in _OPEN],
    Transition(S.CANCEL_REQUESTED, "cancel_accepted", S.CANCELLED, SUPPLIER,
               "SupplyingAgencyMessage `CancelResponse` answerYesNo=Y; the reader's letter"),
    Transition(S.CANCEL_REQUESTED, "cancel_refused", BACK, SUPPLIER,
               "SupplyingAgencyMessage `CancelResponse` answerYesNo=N: the request stays with the supplier; the staff "
               "and the reader are told"),
    Transition(S.WILL_SUPPLY, "loan", S.LOANED, SUPPLIER, _MSG + " with the due date and delivery info; the reader's "
               "supplied letter"),
    # ISO 18626 does not make a supplier name every status on the way (Alma goes RequestReceived →
    # Loaned): a requester accepts a later status of the supplier's sequence, with the letter it implies
    *[Transition(s, "loan", S.LOANED, SUPPLIER, _MSG + f": the supplier skipped {_SKIPPED[s]} (ISO 18626 allows it); "
                 "the reader's supplied letter") for s in (S.REQUEST_RECEIVED, S.EXPECT_TO_SUPPLY)],
    Transition(S.CANCEL_REQUESTED, "loan", S.LOANED, SUPPLIER, _MSG + ": sent before the Cancel reached it"),
    Transition(S.CANCEL_REQUESTED, "unfilled", S.UNFILLED, SUPPLIER, _MSG + " with the reason unfilled"),
    Transition(S.WILL_SUPPLY, "copy_completed", S.COPY_COMPLETED, SUPPLIER, _MSG + ": a copy (serviceType Copy) delivered; "
               "the reader's supplied letter"),
    *[Transition(s, "copy_completed", S.COPY_COMPLETED, SUPPLIER, _MSG + f": a copy delivered, the supplier skipped "
                 f"{_SKIPPED[s]} (ISO 18626 allows it); the reader's supplied letter")
      for s in (S.REQUEST_RECEIVED, S.EXPECT_TO_SUPPLY)],
    Transition(S.CANCEL_REQUESTED, "copy_completed", S.COPY_COMPLETED, SUPPLIER,
               _MSG + ": a copy delivered before the Cancel reached it"),
    Transition(S.LOANED, "received", SAME, REQUESTER, "RequestingAgencyMessage `Received`"),
    Transition(S.LOANED, "overdue", S.OVERDUE, TIMER, _MSG + " (the due date passed; or the supplier says so); the reader's "
               "overdue letter"),
    Transition(S.LOANED, "recall", S.RECALLED, SUPPLIER, _MSG + "; the reader's recall letter"),
    Transition(S.OVERDUE, "recall", S.RECALLED, SUPPLIER, _MSG + "; the reader's recall letter"),
    Transition(S.OVERDUE, "renew", S.LOANED, SUPPLIER, "SupplyingAgencyMessage `RenewResponse` answerYesNo=Y with the new due date"),
    *[Transition(s, "shipped_return", SAME, REQUESTER, "RequestingAgencyMessage `ShippedReturn`") for s in _OUT],
    *[Transition(s, "check_in", S.LOAN_COMPLETED, SUPPLIER, _MSG + "; only after the requester's ShippedReturn")
      for s in _OUT],
], states=IllStatus, target_labels={SAME: "(stays; marked on the request)",
                                    BACK: "the status the supplier names (`RequestReceived`, `ExpectToSupply`, `WillSupply`)"})

#: ISO 18626 requesting-agency actions (``type_action``) of the REQUESTER moves
REQUESTER_ACTIONS = {"received": "Received", "shipped_return": "ShippedReturn", "cancel": "Cancel"}
ACTION_OF_ISO = {v: k for k, v in REQUESTER_ACTIONS.items()}

ACTION_LABELS = {
    "expect_to_supply": "Expect to supply", "will_supply": "Will supply", "unfilled": "Unfilled", "loan": "Loaned (sent)",
    "recall": "Recall", "check_in": "Returned (loan completed)", "received": "Received", "shipped_return": "Shipped back",
    "cancel": "Cancel", "send": "Send to a supplier", "no_supplier": "No supplier found",
    "cancel_accepted": "Cancel accepted", "cancel_refused": "Cancel refused (still supplying)",
    "copy_completed": "Copy delivered", "renew": "Renewed",
}

#: the statuses a supplier may name when it refuses the requester's Cancel (``cancel_refused``)
BACK_TO = _OPEN

#: the statuses a request ends in (no longer open: the reader's limits, the staff's open queue)
CLOSED = (S.UNFILLED, S.LOAN_COMPLETED, S.COPY_COMPLETED, S.CANCELLED)

#: before the item is shipped: the reader may still withdraw their request (CON-2)
READER_CANCELLABLE = (S.NEW, *_OPEN)
