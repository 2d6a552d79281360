"""Letters of the library discussion (DSC-2): each new message goes to the other side."""
from django.utils.translation import gettext_lazy as _

from syllabus.notify.letters import declare_letter

SAMPLE = {
    "author": "Irene Instructor", "list_title": "HIST101 readings", "item_title": "The Making of the English Working Class",
    "message": "Could the library buy a second copy of this book? 180 students are enrolled.",
    "link": "/lists/1/library/?discussion=item-7#litem-7",
}

declare_letter(
    "discussion_to_library", _("Library discussion: message from an instructor"),
    channels=("email", "inapp"),
    variables=("author", "list_title", "item_title", "message", "link"),
    sample=SAMPLE,
    subject="{{ author }} wrote about {% if item_title %}“{{ item_title }}” in {% endif %}{{ list_title }}",
    body="{{ author }} wrote to the library about {% if item_title %}the item “{{ item_title }}” of {% endif %}"
         "the list “{{ list_title }}”:\n\n{{ message }}\n\nAnswer in the list's library discussion: {{ link }}",
    description=_("Sent to the librarian the list is assigned to (else every course reserves operator) "
                  "when an instructor writes in the library discussion."),
)

declare_letter(
    "discussion_to_instructor", _("Library discussion: the library answered"),
    channels=("email", "inapp"),
    variables=("author", "list_title", "item_title", "message", "link"),
    sample={**SAMPLE, "author": "Lee Librarian", "message": "We have ordered two more copies; they arrive next week.",
            "link": "/lists/1/?discussion=item-7#item-7"},
    subject="The library answered about {% if item_title %}“{{ item_title }}” in {% endif %}{{ list_title }}",
    body="Dear {{ recipient_name }},\n\n{{ author }} (library) wrote about {% if item_title %}the item “{{ item_title }}” of {% endif %}"
         "your list “{{ list_title }}”:\n\n{{ message }}\n\nRead and answer: {{ link }}",
    description=_("Sent to the list's owners and collaborators when a librarian writes in the library discussion."),
)
