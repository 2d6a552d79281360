"""Navigation entries of resource lists."""
from django.utils.translation import gettext_lazy as _

from syllabus.web.nav import entry

from .permissions import is_librarian_for


def _open_unassigned(user) -> int:
    from .models import ResourceList
    from .workflow import ListStatus

    return ResourceList.objects.filter(institution_id=user.institution_id, assignee__isnull=True,
                                       status=ListStatus.SENT_TO_LIBRARY).count()


entry("lists", _("Resource lists"), "lists:mine", order=10)
entry("back_office", _("Task list"), "lists:tasks", when=lambda u: is_librarian_for(u, u.institution_id), order=10,
      badge=_open_unassigned)
entry("back_office", _("Term rollover"), "lists:rollover", when=lambda u: is_librarian_for(u, u.institution_id), order=15)
