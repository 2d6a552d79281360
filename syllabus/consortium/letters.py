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
    "ill_request_overdue": _("Inter-library loan overdue"),
    "ill_request_recalled": _("Inter-library loan recalled"),
    "ill_request_cancel_refused": _("Inter-library loan: the supplier did not cancel"),
    "ill_cancel_refused_staff": _("Inter-library loan: a supplier refused a cancel (staff)"),
}, descriptions={   # what each letter is for, shown to the Letter Administrator in their language
    "ill_request_received": _("Sent to the reader when the library takes their inter-library loan or copy request "
                              "from Find it."),
    "ill_request_supplied": _("Sent to the reader when the supplying library has sent the loan or the copy."),
    "ill_request_arrived": _("Sent to the reader when the loan has arrived at their pickup library."),
    "ill_request_unfilled": _("Sent to the reader, with the reason, when no library could supply the request."),
    "ill_request_cancelled": _("Sent to the reader when their request is cancelled."),
    "ill_request_overdue": _("Sent to the reader who has the loan when the supplying library says it is overdue: "
                             "asks them to return it (once per due date)."),
    "ill_request_recalled": _("Sent to the reader who has the loan when the supplying library recalls it: asks them "
                              "to return it, by the new due date when there is one."),
    "ill_request_cancel_refused": _("Sent to the reader when the supplying library refuses their cancel: the item "
                                    "is still on its way."),
    "ill_cancel_refused_staff": _("Sent to the requesting library's inter-library loan staff when a supplier "
                                  "refuses a cancel."),
})

#: the status a request reaches → the letter its reader gets (other changes are the libraries' own)
LETTER_OF_STATUS = {"Loaned": "supplied", "CopyCompleted": "supplied", "Unfilled": "unfilled", "Cancelled": "cancelled",
                    "Overdue": "overdue", "Recalled": "recalled"}
#: letters asking the reader to bring the item back: only while the reader has it (Received, not
#: yet ShippedReturn), once per due date (a renewed loan overdue again is a new letter)
RETURN_LETTERS = ("overdue", "recalled")


def _context(ill, user) -> dict:
    return {"patron": user.get_full_name() or user.username, "title": ill.title,
                  "service": "copy" if ill.service_type == "Copy" else "loan", "request": ill.requesting_agency_request_id,
                  "reason": ill.reason_unfilled, "library": ill.pickup_library.name if ill.pickup_library_id else "",
            "needed_by": ill.needed_by.isoformat() if ill.needed_by else "", "link": reverse("consortium:ill-mine"),
            "due_date": ill.due_date.strftime("%Y-%m-%d") if ill.due_date else "", "supplier": ill.supplying_agency,
            "note": ""}


def tell_reader(ill, event: str, **extra) -> None:
    """Queue the ``ill_request_<event>`` letter to the reader who asked (a reader's request only;
    once per request and event — and due date, for the letters asking the item back: the outbox key)."""
    from syllabus.notify.services import queue_letter

    if not ill.reader_request or ill.requester_id is None:
        return
    key = f"consortium:ill:{ill.pk}:{event}"
    if event in RETURN_LETTERS:
        if not ill.received or ill.shipped_return:
            return   # the reader does not have it: the library returns it
        key += f":{ill.due_date.isoformat() if ill.due_date else ''}"
    elif event == "cancel_refused":   # the reader may ask again, and be refused again
        key += f":{ill.updated_at.isoformat()}"
    queue_letter(f"ill_request_{event}", ill.requester, {**_context(ill, ill.requester), **extra}, key=key,
                 institution=ill.requesting_institution)


def tell_cancel_refused(ill, note: str = "") -> None:
    """The supplier refused the requester's Cancel (ISO 18626 CancelResponse N): the reader who
    asked and the requesting library's inter-library loan staff are told (in-app and e-mail)."""
    from syllabus.notify.services import queue_letter
    from syllabus.org.models import User

    from .permissions import ILL_STAFF_ROLES

    tell_reader(ill, "cancel_refused", note=note)
    if ill.requesting_institution_id is None:
        return
    staff = (User.objects.filter(is_active=True, institution_id=ill.requesting_institution_id,
                                 role_assignments__role__in=ILL_STAFF_ROLES,
                                 role_assignments__institution_id=ill.requesting_institution_id)
             .distinct().order_by("pk")[:50])
    for user in staff:
        queue_letter("ill_cancel_refused_staff", user,
                     {**_context(ill, user), "note": note, "link": reverse("consortium:ill") + "?side=requester"},
                     key=f"consortium:ill:{ill.pk}:cancel_refused:{user.pk}:{ill.updated_at.isoformat()}",
                     institution=ill.requesting_institution)


def tell_reader_of_change(ill, before: str) -> None:
    """The letter of the status ``ill`` has just reached from ``before`` (if it is one a reader gets)."""
    event = LETTER_OF_STATUS.get(ill.status)
    if event and ill.status != before:
        tell_reader(ill, event)
