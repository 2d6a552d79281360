"""Letters of purchase requests (SRV-3), sent to the instructor who asked."""
from django.utils.translation import gettext_lazy as _

from syllabus.notify.letters import declare_letters

declare_letters(__package__, {
    "purchase_request_received": _("Purchase request received"),
    "purchase_request_completed": _("Purchase completed"),
    "purchase_request_declined": _("Purchase request declined"),
    "purchase_request_cancelled": _("Purchase request cancelled"),
})
