"""Letters of long-term digital loans (LDL-12), by e-mail and SMS — the reference's
"Delivery Registration Status Letter" split by purpose: added to the waitlist (with the
place), available (grace period and link), grace period expired, request cancelled."""
from django.utils.translation import gettext_lazy as _

from syllabus.notify.letters import declare_letters

declare_letters(__package__, {
    "ldl_waitlist": _("Long-term digital loan: added to the waitlist"),
    "ldl_available": _("Long-term digital loan: available"),
    "ldl_grace_expired": _("Long-term digital loan: grace period expired"),
    "ldl_cancelled": _("Long-term digital loan: request cancelled"),
})
