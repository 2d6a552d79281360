"""Letters of holds (SRV-5) and accessible file requests (SRV-4)."""
from django.utils.translation import gettext_lazy as _

from syllabus.notify.letters import declare_letters

declare_letters(__package__, {
    "hold_on_shelf": _("Hold: ready for pickup"),
    "hold_expired": _("Hold: expired"),
    "hold_cancelled": _("Hold: cancelled by the library"),
    "accessible_file_request": _("Accessible file request (to the accessibility service)"),
    "accessible_file_ready": _("Accessible file ready"),
})
