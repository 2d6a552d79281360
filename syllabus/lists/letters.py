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

declare_letter(
    "personal_copy_bring", _("Personal copy: bring it to the library"),
    channels=("email", "inapp"),
    variables=("owner", "title", "list_title", "courses", "link"),
    sample={"owner": "Irene Instructor", "title": "Middlemarch", "list_title": "HIST101 readings", "courses": "HIST101",
            "link": "https://syllabus.example.edu/lists/1/edit/"},
    subject="Please bring your copy of {{ title }} to the library",
    body=("Dear {{ owner }},\n\nyou will provide your personal copy of {{ title }} for \"{{ list_title }}\" ({{ courses }}). "
          "Please bring it to the library's reserves desk: the library circulates it to your students for the "
          "duration of the course, and returns it to you at the end of the term.\n\n{{ link }}"),
)
