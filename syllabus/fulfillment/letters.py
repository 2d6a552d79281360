"""Letters of digitization and copyright clearance (DIG-11), editable and switchable by a
Letter Administrator through the notifications app."""
from django.utils.translation import gettext_lazy as _

from syllabus.notify.letters import declare_letter

# e-mail, and the in-app bell for status notices
CHANNELS = ("email", "inapp")

_SAMPLE = {"patron": "Ada Lovelace", "title": "Middlemarch, chapter 3", "request": "42",
           "link": "https://syllabus.example.edu/services/requests/42/file/", "file_name": "scan.pdf",
           "max_accesses": "3", "reason": "Copyright limit reached", "days": "5"}

declare_letter(
    "ful_digitization_notification_item", _("Digitization notification (attachment)"),
    channels=CHANNELS, variables=("patron", "title", "request", "link", "file_name"), sample=_SAMPLE,
    subject="Your digitized copy of {{ title }}",
    body="Dear {{ patron }},\n\nthe library has digitized {{ title }} for you (request {{ request }}).\n"
         "Your file {{ file_name }}: {{ link }}\n",
)
declare_letter(
    "document_delivery_notification", _("Document delivery notification (link)"),
    channels=CHANNELS, variables=("patron", "title", "request", "link", "max_accesses"), sample=_SAMPLE,
    subject="{{ title }} is ready for you",
    body="Dear {{ patron }},\n\nthe library has digitized {{ title }} for you (request {{ request }}).\n"
         "Open it here: {{ link }}\n{% if max_accesses %}The link works {{ max_accesses }} times.{% endif %}\n",
)
declare_letter(
    "digitization_request_delivered", _("Digitization request delivered (digital inventory)"),
    channels=CHANNELS, variables=("patron", "title", "request", "link"), sample=_SAMPLE,
    subject="Digitization request {{ request }} delivered",
    body="Dear {{ patron }},\n\n{{ title }} is now available as a digital file: {{ link }}\n",
)
declare_letter(
    "digitization_request_rejected", _("Digitization request rejected"),
    channels=CHANNELS, variables=("patron", "title", "request", "reason"), sample=_SAMPLE,
    subject="Digitization request {{ request }} rejected",
    body="Dear {{ patron }},\n\nthe library could not fulfil your request for {{ title }}.\nReason: {{ reason }}\n",
)
declare_letter(
    "digitization_request_cancelled", _("Digitization request cancelled"),
    channels=CHANNELS, variables=("patron", "title", "request", "reason"), sample=_SAMPLE,
    subject="Digitization request {{ request }} cancelled",
    body="Dear {{ patron }},\n\nyour request for {{ title }} was cancelled.\nReason: {{ reason }}\n",
)
declare_letter(
    "digitization_request_expired", _("Digitization request expired"),
    channels=CHANNELS, variables=("patron", "title", "request", "days"), sample=_SAMPLE,
    subject="Digitization request {{ request }} expired",
    body="Dear {{ patron }},\n\nthe library could not complete your request for {{ title }} within its work time "
         "of {{ days }} library days, so it has expired. You may place it again.\n",
)
declare_letter(
    "copyright_request_approved", _("Copyright clearance approved"),
    channels=CHANNELS, variables=("patron", "title", "request", "reason"), sample=_SAMPLE,
    subject="Copyright clearance approved: {{ title }}",
    body="Dear {{ patron }},\n\nthe copyright clearance for {{ title }} (request {{ request }}) is approved.\n",
)
