"""Letters of purchase requests (SRV-3), sent to the instructor who asked."""
from django.utils.translation import gettext_lazy as _

from syllabus.notify.letters import declare_letter

CHANNELS = ("email", "inapp")
_SAMPLE = {"patron": "Ada Lovelace", "title": "Middlemarch, 2nd edition", "request": "42", "reason": "Out of print",
           "list": "Victorian novels"}
_VARS = ("patron", "title", "request", "reason", "list")

declare_letter(
    "purchase_request_received", _("Purchase request received"), channels=CHANNELS, variables=_VARS, sample=_SAMPLE,
    subject="Purchase request {{ request }}: the library is processing it",
    body="Dear {{ patron }},\n\nthe library received your request to buy {{ title }} for {{ list }} "
         "(request {{ request }}). You may cancel it while the library is processing it.\n",
)
declare_letter(
    "purchase_request_completed", _("Purchase completed"), channels=CHANNELS, variables=_VARS, sample=_SAMPLE,
    subject="Purchase completed: {{ title }}",
    body="Dear {{ patron }},\n\nthe library has bought {{ title }} for {{ list }} (request {{ request }}).\n",
)
declare_letter(
    "purchase_request_declined", _("Purchase request declined"), channels=CHANNELS, variables=_VARS, sample=_SAMPLE,
    subject="Purchase request {{ request }} declined",
    body="Dear {{ patron }},\n\nthe library declined your request to buy {{ title }}.\nReason: {{ reason }}\n",
)
declare_letter(
    "purchase_request_cancelled", _("Purchase request cancelled"), channels=CHANNELS, variables=_VARS, sample=_SAMPLE,
    subject="Purchase request {{ request }} cancelled",
    body="Dear {{ patron }},\n\nyour request to buy {{ title }} was cancelled.\n",
)
