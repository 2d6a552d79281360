"""Letters of holds (SRV-5) and accessible file requests (SRV-4)."""
from django.utils.translation import gettext_lazy as _

from syllabus.notify.letters import declare_letter

_HOLD = {"patron": "Ada Lovelace", "title": "Middlemarch", "library": "Main Library", "link": "https://syllabus.example.edu/circulation/card/"}

declare_letter(
    "hold_on_shelf", _("Hold: ready for pickup"),
    channels=("email", "sms", "inapp"),
    variables=("patron", "title", "library", "pickup_by", "barcode", "opening_hours", "link"),
    sample=_HOLD | {"pickup_by": "2026-03-09 23:59 CET", "barcode": "39001001", "opening_hours": "Mon–Fri 08:00–20:00"},
    subject="{{ title }} is waiting for you at {{ library }}",
    body=("Dear {{ patron }},\n\nThe copy of {{ title }} you asked for is on the hold shelf at {{ library }}. "
          "Pick it up by {{ pickup_by }}; after that it goes back on the shelf for others.\n\n"
          "{% if opening_hours %}Opening hours: {{ opening_hours }}\n\n{% endif %}Your holds: {{ link }}"),
    sms="{{ title }} is on the hold shelf at {{ library }} until {{ pickup_by }}.",
)

declare_letter(
    "hold_expired", _("Hold: expired"),
    channels=("email", "inapp"),
    variables=("patron", "title", "library", "reason", "link"),
    sample=_HOLD | {"reason": "not picked up in time"},
    subject="Your hold on {{ title }} has expired",
    body=("Dear {{ patron }},\n\nYour hold on {{ title }} at {{ library }} has expired: {{ reason }}. "
          "You can place a new hold from your course's reading list.\n\n{{ link }}"),
)

declare_letter(
    "hold_cancelled", _("Hold: cancelled by the library"),
    channels=("email", "inapp"),
    variables=("patron", "title", "library", "reason", "link"),
    sample=_HOLD | {"reason": "the copy is missing"},
    subject="Your hold on {{ title }} was cancelled",
    body="Dear {{ patron }},\n\nThe library cancelled your hold on {{ title }} at {{ library }}: {{ reason }}.\n\n{{ link }}",
)

declare_letter(
    "accessible_file_request", _("Accessible file request (to the accessibility service)"),
    channels=("email",),
    variables=("requester", "requester_email", "citation", "list", "course", "format", "comment", "link", "send_to",
               "staff_link"),
    sample={"requester": "Ada Lovelace", "requester_email": "ada@example.edu", "citation": "Middlemarch",
            "list": "HIST101 readings", "course": "HIST101 Introduction to Modern History", "format": "Accessible PDF",
            "comment": "Screen reader, please", "link": "https://syllabus.example.edu/lists/1/#item-2",
            "send_to": "ada@example.edu", "staff_link": "https://syllabus.example.edu/circulation/accessible/1/"},
    subject="Accessible file request: {{ citation }} ({{ format }})",
    body=("{{ requester }} asks for an accessible version of a list item.\n\n"
          "Item: {{ citation }}\nList: {{ list }}\nCourse: {{ course }}\nFormat wanted: {{ format }}\n"
          "Comment: {{ comment }}\nItem on the list: {{ link }}\n\n"
          "Send the accessible file to: {{ send_to }}\n"
          "or attach it to the request, where only {{ requester }} can open it: {{ staff_link }}"),
)

declare_letter(
    "accessible_file_ready", _("Accessible file ready"),
    channels=("email", "inapp"),
    variables=("patron", "title", "format", "link"),
    sample={"patron": "Ada Lovelace", "title": "Middlemarch", "format": "Accessible PDF",
            "link": "https://syllabus.example.edu/circulation/accessible/1/file/"},
    subject="Your accessible file of {{ title }} is ready",
    body="Dear {{ patron }},\n\nThe accessible version ({{ format }}) of {{ title }} you asked for is ready:\n\n{{ link }}",
)
