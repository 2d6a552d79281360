"""Navigation: "Library discussion" (instructors) and "Discussion alerts" (librarians), each with
the person's unread messages as a badge (DSC-2)."""
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from syllabus.notify.nav import per_request
from syllabus.web.nav import entry

from .permissions import can_see_alerts


def instructor_expression():
    """Whether the person owns or edits a list, as an expression over their row (read with the user)."""
    from django.db.models import Exists, OuterRef

    from syllabus.lists.models import ResourceList

    return Exists(ResourceList.objects.filter(Q(owners=OuterRef("pk")) | Q(collaborators=OuterRef("pk"))))


def _instructor(user) -> bool:
    from syllabus.lists.models import ResourceList

    return not can_see_alerts(user) and per_request(
        user, "discussion_instructor", lambda: ResourceList.objects.filter(Q(owners=user) | Q(collaborators=user)).exists())


def _from_library(user) -> int:
    """An instructor acts on the library's answers: only those count (DSC-2)."""
    from .selectors import unread_total

    return per_request(user, "discussion_unread_library", lambda: unread_total(user, from_library=True))


def _from_instructors(user) -> int:
    """A librarian acts on the instructors' messages: a colleague's answer never counts (DSC-2)."""
    from .selectors import unread_total

    return per_request(user, "discussion_unread_instructors", lambda: unread_total(user, from_library=False))


entry("lists", _("Library discussion"), "discussion:index", when=_instructor, order=15, badge=_from_library)
entry("back_office", _("Discussion alerts"), "discussion:alerts", when=can_see_alerts, order=12, badge=_from_instructors)
