"""What acquisitions add to the list pages: on the librarian's list detail, each item's
acquisition tasks (with the licence warning) and purchase requests, and the form to start a
task; in the editor, the instructor's "Request purchase" and the requests' statuses (SRV-3).
Read in one query per kind for the whole page, only when a template first needs it."""
from django.utils.translation import gettext_lazy as _

from syllabus.lists.slots import register_slot

NOTICE_ACTIONS = (("replace", _("Replace item")), ("add", _("Add to list")), ("decline", _("Decline")))


class _Page:
    def __init__(self, ids):
        self.ids, self._tasks, self._purchases, self._notices = ids, None, None, None

    def tasks(self, pk):
        if self._tasks is None:
            from .selectors import tasks_for_citations

            self._tasks = tasks_for_citations(self.ids)
        return self._tasks.get(pk, [])

    def purchases(self, pk):
        if self._purchases is None:
            from .selectors import purchases_for_citations

            self._purchases = purchases_for_citations(self.ids)
        return self._purchases.get(pk, [])

    def notices(self, pk):
        if self._notices is None:
            from .selectors import open_notices_for_citations

            self._notices = open_notices_for_citations(self.ids)
        return self._notices.get(pk, [])


class _Lazy:
    def __init__(self, fn, pk):
        self.fn, self.pk = fn, pk

    def __iter__(self):
        return iter(self.fn(self.pk))

    def __bool__(self):
        return bool(self.fn(self.pk))

    def __len__(self):
        return len(self.fn(self.pk))


def _prepare(request, citations):
    page = _Page([c.pk for c in citations])
    for c in citations:
        c.acq_tasks = _Lazy(page.tasks, c.pk)
        c.acq_purchases = _Lazy(page.purchases, c.pk)
        c.acq_notices = _Lazy(page.notices, c.pk)
        c.notice_actions = NOTICE_ACTIONS


register_slot("librarian_citation_services", "acquisitions/_librarian_item.html", order=30, prepare=_prepare)
register_slot("citation_services", "acquisitions/_editor_item.html", order=30, prepare=_prepare)
