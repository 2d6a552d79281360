"""Letters of resource lists."""
from django.utils.translation import gettext_lazy as _

from syllabus.notify.letters import declare_letter

declare_letter(
    "list_complete", _("Resource list ready"),
    channels=("email",),
    variables=("owner", "list_title", "courses", "link"),
    sample={"owner": "Irene Instructor", "list_title": "HIST101 readings", "courses": "HIST101", "link": "https://syllabus.example.edu/lists/1/"},
    subject="Your list {{ list_title }} is ready",
    body="Dear {{ owner }},\n\nthe library has processed your resource list \"{{ list_title }}\" ({{ courses }}). "
         "Every item is now available to your students.\n\n{{ link }}",
)
