"""Letters of resource lists."""
from django.utils.translation import gettext_lazy as _

from syllabus.notify.letters import declare_letters

declare_letters(__package__, {
    "list_complete": _("Resource list ready"),
    "personal_copy_bring": _("Personal copy: bring it to the library"),
})
