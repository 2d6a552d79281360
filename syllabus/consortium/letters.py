"""Letters of a reader's inter-library loan request (CON-2), written to the durable outbox in the
transaction that changes the request: on creation and on the changes a reader must know of."""
from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from syllabus.notify.letters import declare_letters

declare_letters(__package__, {
    "ill_request_received": _("Inter-library loan request received"),
    "ill_request_supplied": _("Inter-library loan supplied"),
    "ill_request_arrived": _("Inter-library loan arrived"),
    "ill_request_unfilled": _("Inter-library loan request unfilled"),
    "ill_request_cancelled": _("Inter-library loan request cancelled"),
})

#: the status a request reaches → the letter its reader gets (other changes are the libraries' own)
LETTER_OF_STATUS = {"Loaned": "supplied", "Unfilled": "unfilled", "Cancelled": "cancelled"}


def tell_reader(ill, event: str) -> None:
    """Queue the ``ill_request_<event>`` letter to the reader who asked (a reader's request only;
    once per request and event: the outbox key)."""
    from syllabus.notify.services import queue_letter

    if not ill.reader_request or ill.requester_id is None:
        return
    user = ill.requester
    queue_letter(f"ill_request_{event}", user,
                 {"patron": user.get_full_name() or user.username, "title": ill.title,
                  "service": "copy" if ill.service_type == "Copy" else "loan", "request": ill.requesting_agency_request_id,
                  "reason": ill.reason_unfilled, "library": ill.pickup_library.name if ill.pickup_library_id else "",
                  "needed_by": ill.needed_by.isoformat() if ill.needed_by else "", "link": reverse("consortium:ill-mine")},
                 key=f"consortium:ill:{ill.pk}:{event}", institution=ill.requesting_institution)


def tell_reader_of_change(ill, before: str) -> None:
    """The letter of the status ``ill`` has just reached from ``before`` (if it is one a reader gets)."""
    event = LETTER_OF_STATUS.get(ill.status)
    if event and ill.status != before:
        tell_reader(ill, event)
