"""What acquisitions add to the list pages: on the librarian's list detail, each item's
acquisition tasks (with the licence warning) and purchase requests, and the form to start a
task; in the editor, new-edition notices and the requests' statuses, and on the item's own page
the instructor's "Request purchase" and "Check for new edition" (SRV-3: not needed at a glance,
they cost ~900 bytes per item in the editor).
Read in one query per kind for the whole page, only when a template first needs it."""
from django.utils.translation import gettext_lazy as _

from syllabus.core.batch import PageBatch
from syllabus.lists.slots import register_slot

NOTICE_ACTIONS = (("replace", _("Replace item")), ("add", _("Add to list")), ("decline", _("Decline")))


def _prepare(request, citations):
    from .selectors import open_notices_for_citations, purchases_for_citations, tasks_for_citations

    ids = [c.pk for c in citations]
    tasks, purchases, notices = (PageBatch(load, ids) for load in (tasks_for_citations, purchases_for_citations,
                                                                   open_notices_for_citations))
    for c in citations:
        c.acq_tasks, c.acq_purchases, c.acq_notices = tasks.of(c.pk), purchases.of(c.pk), notices.of(c.pk)
        c.notice_actions = NOTICE_ACTIONS


register_slot("librarian_citation_services", "acquisitions/_librarian_item.html", order=30, prepare=_prepare)
def _instructor(request, context) -> bool:
    """The template shows something to the list's owners and collaborators only: the student
    view does not render it once per item for nothing (issue 19)."""
    access = context.get("access")
    return bool(access is not None and (access.owner or access.collaborator))


register_slot("citation_services", "acquisitions/_editor_item.html", order=30, prepare=_prepare, when=_instructor)
register_slot("citation_page", "acquisitions/_item_page.html", order=30, prepare=_prepare, when=_instructor)
