"""Letters of resource lists."""
from django.utils.translation import gettext_lazy as _

from syllabus.notify.letters import declare_letters

declare_letters(__package__, {
    "list_complete": _("Resource list ready"),
    "personal_copy_bring": _("Personal copy: bring it to the library"),
    "list_import_done": _("Citation file imported into a list"),
    "list_import_failed": _("Citation file import failed"),
}, descriptions={   # what each letter is for, shown to the Letter Administrator in their language
    "list_import_done": _("To whoever sent a large citation file (RIS, BibTeX, CSL-JSON) that was imported in the "
                          "background: how many entries were added, how many were skipped and why, with a link to the list."),
    "list_import_failed": _("To whoever sent a large citation file when its background import stopped on an error that "
                            "refused the whole file (e.g. they may no longer edit the list): the rule, and what was "
                            "imported before."),
})
