"""Letters of the LMS integration (LTI)."""
from django.utils.translation import gettext_lazy as _

from syllabus.notify.letters import declare_letters

declare_letters(__package__, {
    "collaboration_asked": _("An instructor asks to edit a list"),
}, descriptions={   # what each letter is for, shown to the Letter Administrator in their language
    "collaboration_asked": _("To the owners of a resource list, when an instructor of one of its courses who may only read "
                             "it (LST-8) asks, from the page an LMS launch opened, to be added as a collaborator."),
})
