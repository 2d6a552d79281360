"""Letters of the library discussion (DSC-2): each new message goes to the other side."""
from django.utils.translation import gettext_lazy as _

from syllabus.notify.letters import declare_letters

declare_letters(__package__, {
    "discussion_to_library": _("Library discussion: message from an instructor"),
    "discussion_to_instructor": _("Library discussion: the library answered"),
}, descriptions={
    "discussion_to_library": _("Sent to the librarian the list is assigned to (else every course reserves operator) "
                               "when an instructor writes in the library discussion."),
    "discussion_to_instructor": _("Sent to the list's owners and collaborators when a librarian writes in the library discussion."),
})
