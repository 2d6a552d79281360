"""Letters of long-term digital loans (LDL-12), by e-mail and SMS — the reference's
"Delivery Registration Status Letter" split by purpose: added to the waitlist (with the
place), available (grace period and link), grace period expired, request cancelled."""
from django.utils.translation import gettext_lazy as _

from syllabus.notify.letters import declare_letter

_SAMPLE = {"patron": "Ada Lovelace", "title": "Middlemarch", "representation": "Middlemarch (scan)", "library": "Main Library",
           "link": "https://syllabus.example.edu/lending/titles/1/", "grace_period": "2 days", "session_period": "3 days"}

declare_letter(
    "ldl_waitlist", _("Long-term digital loan: added to the waitlist"),
    channels=("email", "sms"),
    variables=("patron", "title", "representation", "library", "place", "grace_period", "session_period", "link"),
    sample=_SAMPLE | {"place": 2},
    subject="You are number {{ place }} in the waitlist for {{ title }}",
    body=("Dear {{ patron }},\n\nYou joined the waitlist for {{ title }} ({{ representation }}) at {{ library }}. "
          "Your place in the queue is {{ place }}.\n\nWhen a copy is free we will tell you; you will then have "
          "{{ grace_period }} to open it, and {{ session_period }} to read it once opened.\n\n{{ link }}"),
    sms="{{ title }}: you are number {{ place }} in the waitlist. {{ link }}",
)

declare_letter(
    "ldl_available", _("Long-term digital loan: available"),
    channels=("email", "sms"),
    variables=("patron", "title", "representation", "library", "grace_period", "grace_until", "session_period", "link"),
    sample=_SAMPLE | {"grace_until": "2026-03-04 09:00 UTC"},
    subject="{{ title }} is available for you",
    body=("Dear {{ patron }},\n\n{{ title }} ({{ representation }}) is available for you. Open it before {{ grace_until }} "
          "(grace period {{ grace_period }}), or it passes to the next person in the waitlist. Once opened you can read it "
          "for {{ session_period }}.\n\n{{ link }}"),
    sms="{{ title }} is available for you until {{ grace_until }}: {{ link }}",
)

declare_letter(
    "ldl_grace_expired", _("Long-term digital loan: grace period expired"),
    channels=("email", "sms"),
    variables=("patron", "title", "representation", "library", "grace_period", "session_period", "link"),
    sample=_SAMPLE,
    subject="Your chance to read {{ title }} is over",
    body=("Dear {{ patron }},\n\nYou did not open {{ title }} ({{ representation }}) within the grace period of "
          "{{ grace_period }}, so it passed to the next person in the waitlist. You can request it again:\n\n{{ link }}"),
    sms="Your grace period for {{ title }} is over; it went to the next reader.",
)

declare_letter(
    "ldl_cancelled", _("Long-term digital loan: request cancelled"),
    channels=("email", "sms"),
    variables=("patron", "title", "representation", "library", "reason", "note", "link"),
    sample=_SAMPLE | {"reason": "Request cannot be fulfilled", "note": ""},
    subject="Your request for {{ title }} was cancelled",
    body=("Dear {{ patron }},\n\nYour request for {{ title }} ({{ representation }}) at {{ library }} was cancelled: "
          "{{ reason }}.{% if note %}\n\n{{ note }}{% endif %}\n\n{{ link }}"),
    sms="Your request for {{ title }} was cancelled: {{ reason }}.",
)
