"""The digitization request's state machine: one table, checked by every service that moves it.

``TRANSITIONS[state][action]`` is the state the action leads to.  ``RELEASE`` means: the
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

from syllabus.core.errors import RuleViolation

from .models import Status as S

SAME = "="
RELEASE = "release"

_CLOSE = {"reject": S.REJECTED, "reject_copyright": S.REJECTED, "cancel": S.CANCELLED, "expire": S.EXPIRED}
_TASKS = {"approve": SAME, "approve_copyright": SAME}

TRANSITIONS: dict[str, dict[str, str]] = {
    S.PENDING_APPROVAL: {"approve": RELEASE, "approve_copyright": RELEASE, **_CLOSE},
    S.PICK_FROM_SHELF: {"pick": S.IN_DIGITIZATION, **_TASKS, **_CLOSE},
    S.IN_DIGITIZATION: {"attach_file": S.FILE_ATTACHED, **_TASKS, **_CLOSE},
    S.FILE_ATTACHED: {"attach_file": S.FILE_ATTACHED, "deliver": S.DELIVERED, **_TASKS, **_CLOSE},
    S.PENDING_COPYRIGHT: {"approve_copyright": S.COMPLETED, "reject_copyright": S.REJECTED, "cancel": S.CANCELLED,
                          "expire": S.EXPIRED},
    S.DELIVERED: {"complete": S.COMPLETED},
    S.COMPLETED: {},
    S.REJECTED: {},
    S.CANCELLED: {},
    S.EXPIRED: {},
}

ACTION_LABELS = {
    "approve": "approve", "reject": "reject", "approve_copyright": "approve copyright",
    "reject_copyright": "reject copyright", "pick": "pick from shelf", "attach_file": "attach a file",
    "deliver": "deliver", "complete": "complete", "cancel": "cancel", "expire": "expire",
}


def allowed(state: str, action: str) -> bool:
    return action in TRANSITIONS.get(state, {})


def next_state(state: str, action: str) -> str:
    """The target of ``action`` from ``state`` (maybe ``SAME``/``RELEASE``), or DIG-10 refusal."""
    try:
        return TRANSITIONS[state][action]
    except KeyError:
        raise RuleViolation("DIG-10", f"a request that is {S(state).label.lower()} cannot be asked to "
                                      f"{ACTION_LABELS.get(action, action)}", status=409) from None


def actions(state: str) -> list[str]:
    return [a for a in TRANSITIONS.get(state, {}) if a != "expire"]
