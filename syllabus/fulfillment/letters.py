"""Letters of digitization and copyright clearance (DIG-11), editable and switchable by a
Letter Administrator through the notifications app."""
from django.utils.translation import gettext_lazy as _

from syllabus.notify.letters import declare_letters

declare_letters(__package__, {
    "ful_digitization_notification_item": _("Digitization notification (attachment)"),
    "document_delivery_notification": _("Document delivery notification (link)"),
    "digitization_request_delivered": _("Digitization request delivered (digital inventory)"),
    "digitization_request_rejected": _("Digitization request rejected"),
    "digitization_request_cancelled": _("Digitization request cancelled"),
    "digitization_request_expired": _("Digitization request expired"),
    "copyright_request_approved": _("Copyright clearance approved"),
})
