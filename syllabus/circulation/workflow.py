"""State machines of circulation: one table of allowed transitions each, checked by the services."""
from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from syllabus.core.workflow import StateMachine, Transition


class HoldStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    ON_HOLD_SHELF = "on_hold_shelf", _("On the hold shelf")
    PICKED_UP = "picked_up", _("Picked up")
    EXPIRED = "expired", _("Expired")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_HOLD = (HoldStatus.WAITING, HoldStatus.ON_HOLD_SHELF)

#: SRV-5: holds — placed WAITING by the patron from a list item
HOLD_WORKFLOW = StateMachine("hold", "SRV-5", [
    Transition(HoldStatus.WAITING, "fulfil", HoldStatus.ON_HOLD_SHELF, "pickup library staff",
               "copy chosen; \"on the hold shelf\" letter with the pickup deadline"),
    Transition(HoldStatus.ON_HOLD_SHELF, "pick_up", HoldStatus.PICKED_UP, "pickup library staff"),
    Transition(HoldStatus.WAITING, "expire", HoldStatus.EXPIRED, "timer or staff", "\"not needed after\" date passed; letter"),
    Transition(HoldStatus.ON_HOLD_SHELF, "expire", HoldStatus.EXPIRED, "timer or staff", "pickup period over; letter"),
    Transition(HoldStatus.WAITING, "cancel", HoldStatus.CANCELLED, "patron or staff", "letter when staff cancel"),
    Transition(HoldStatus.ON_HOLD_SHELF, "cancel", HoldStatus.CANCELLED, "patron or staff", "letter when staff cancel"),
], states=HoldStatus)


class AccessibleStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("state", "Requested")
    FULFILLED = "fulfilled", _("File ready")
    CANCELLED = "cancelled", _("Cancelled")


#: SRV-4: accessible-format requests — OPEN when the student asks
ACCESSIBLE_WORKFLOW = StateMachine("request", "SRV-4", [
    Transition(AccessibleStatus.OPEN, "attach", AccessibleStatus.FULFILLED, "reserves staff",
               "only the requester can open the file; \"file ready\" letter"),
    Transition(AccessibleStatus.FULFILLED, "attach", AccessibleStatus.FULFILLED, "reserves staff", "the file is replaced"),
], states=AccessibleStatus)


class PersonalCopyStatus(models.TextChoices):
    EXPECTED = "expected", _("Expected from the owner")
    ON_RESERVE = "on_reserve", _("On reserve for the course")
    RETURNED = "returned", _("Returned to the owner")
    WITHDRAWN = "withdrawn", _("No longer provided")


#: SRV-1: personal copies — EXPECTED when the instructor flags the item; received means on
#: reserve at once (the library circulates it for the course)
PERSONAL_COPY_WORKFLOW = StateMachine("personal copy", "SRV-1", [
    Transition(PersonalCopyStatus.EXPECTED, "receive", PersonalCopyStatus.ON_RESERVE, "reserves staff", "location and barcode recorded"),
    Transition(PersonalCopyStatus.ON_RESERVE, "return", PersonalCopyStatus.RETURNED, "reserves staff",
               "the \"return to owner\" task is resolved"),
    Transition(PersonalCopyStatus.EXPECTED, "withdraw", PersonalCopyStatus.WITHDRAWN, "instructor", "the personal-copy flag is cleared"),
    Transition(PersonalCopyStatus.WITHDRAWN, "expect", PersonalCopyStatus.EXPECTED, "instructor", "the flag is set again"),
    Transition(PersonalCopyStatus.RETURNED, "expect", PersonalCopyStatus.EXPECTED, "instructor", "the flag is set again"),
], states=PersonalCopyStatus)
