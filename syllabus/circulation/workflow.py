"""State machines of circulation: one table of allowed transitions each, checked by the services."""
from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from syllabus.core.errors import RuleViolation


class HoldStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    ON_HOLD_SHELF = "on_hold_shelf", _("On the hold shelf")
    PICKED_UP = "picked_up", _("Picked up")
    EXPIRED = "expired", _("Expired")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_HOLD = (HoldStatus.WAITING, HoldStatus.ON_HOLD_SHELF)

#: SRV-5: action → {from state: to state}
HOLD_TRANSITIONS: dict[str, dict[str, str]] = {
    "fulfil": {HoldStatus.WAITING: HoldStatus.ON_HOLD_SHELF},
    "pick_up": {HoldStatus.ON_HOLD_SHELF: HoldStatus.PICKED_UP},
    "expire": {HoldStatus.WAITING: HoldStatus.EXPIRED, HoldStatus.ON_HOLD_SHELF: HoldStatus.EXPIRED},
    "cancel": {HoldStatus.WAITING: HoldStatus.CANCELLED, HoldStatus.ON_HOLD_SHELF: HoldStatus.CANCELLED},
}


class AccessibleStatus(models.TextChoices):
    OPEN = "open", _("Requested")
    FULFILLED = "fulfilled", _("File ready")
    CANCELLED = "cancelled", _("Cancelled")


ACCESSIBLE_TRANSITIONS: dict[str, dict[str, str]] = {
    "attach": {AccessibleStatus.OPEN: AccessibleStatus.FULFILLED, AccessibleStatus.FULFILLED: AccessibleStatus.FULFILLED},
    "cancel": {AccessibleStatus.OPEN: AccessibleStatus.CANCELLED},
}


class PersonalCopyStatus(models.TextChoices):
    EXPECTED = "expected", _("Expected from the owner")
    ON_RESERVE = "on_reserve", _("On reserve for the course")
    RETURNED = "returned", _("Returned to the owner")
    WITHDRAWN = "withdrawn", _("No longer provided")


#: SRV-1: received means on reserve at once (the library circulates it for the course)
PERSONAL_COPY_TRANSITIONS: dict[str, dict[str, str]] = {
    "receive": {PersonalCopyStatus.EXPECTED: PersonalCopyStatus.ON_RESERVE},
    "return": {PersonalCopyStatus.ON_RESERVE: PersonalCopyStatus.RETURNED},
    "withdraw": {PersonalCopyStatus.EXPECTED: PersonalCopyStatus.WITHDRAWN},
    "expect": {PersonalCopyStatus.WITHDRAWN: PersonalCopyStatus.EXPECTED, PersonalCopyStatus.RETURNED: PersonalCopyStatus.EXPECTED},
}


def next_state(table: dict[str, dict[str, str]], state: str, action: str, rule: str, what: str) -> str:
    try:
        return table[action][state]
    except KeyError:
        raise RuleViolation(rule, f"cannot {action.replace('_', ' ')} a {what} that is {state.replace('_', ' ')}",
                            status=409) from None
