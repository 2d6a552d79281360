"""What digitization adds to the list pages (loaded by the lists app's slot registry):
the request status and the request actions under each item's library services (DIG-1..3).

The requests of every item on the page are read in one query, and only when a template first
needs them (students' views never do: their way to a digitized file is the item's own file)."""
from syllabus.lists.slots import register_slot


class _PageRequests:
    def __init__(self, citation_ids):
        self.ids, self._by_citation = citation_ids, None

    def get(self, pk):
        if self._by_citation is None:
            from .selectors import requests_for_citations

            self._by_citation = requests_for_citations(self.ids)
        return self._by_citation.get(pk, [])


class _Requests:
    def __init__(self, page, pk):
        self.page, self.pk = page, pk

    def __iter__(self):
        return iter(self.page.get(self.pk))

    def __bool__(self):
        return bool(self.page.get(self.pk))

    def __len__(self):
        return len(self.page.get(self.pk))


def _prepare(request, citations):
    page = _PageRequests([c.pk for c in citations])
    for c in citations:
        c.dig_requests = _Requests(page, c.pk)


register_slot("citation_services", "fulfillment/_citation_services.html", order=20, prepare=_prepare)
register_slot("librarian_citation_services", "fulfillment/_citation_services.html", order=20, prepare=_prepare)
