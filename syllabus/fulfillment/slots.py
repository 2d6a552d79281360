"""What digitization adds to the list pages (loaded by the lists app's slot registry):
the request status and the request actions under each item's library services (DIG-1..3),
and, for students, the warning of a cleared file's last days next to its download (DIG-4).

The requests of every item on the page are read in one query, and only when a template first
needs them (students' views never do: their way to a digitized file is the item's own file)."""
from syllabus.core.batch import PageBatch
from syllabus.lists.slots import register_slot


def _prepare(request, citations):
    from .selectors import requests_for_citations

    requests = PageBatch(requests_for_citations, [c.pk for c in citations])
    for c in citations:
        c.dig_requests = requests.of(c.pk)


def _prepare_warnings(request, citations):
    """DIG-4: in the last N days of an approved clearance's range, students see the warning
    next to the file link (the download itself carries it only as ``X-Access-Warning``).
    One query for the page's clearances."""
    from syllabus.core import clock
    from syllabus.core.errors import RuleViolation

    from . import services
    from .citations import FREE_STATUSES
    from .models import CopyrightStatus

    for c in citations:  # every item has the attributes: a template lookup that misses calls dir() on the model
        c.dig_access_ends_on, c.dig_access_days_left = None, None
    with_file = [c for c in citations if c.file and ((c.copyright_status or "") in FREE_STATUSES
                                                     or c.copyright_status == CopyrightStatus.APPROVED)]
    if not with_file:
        return
    clearances = services.clearances_for_citations([c.pk for c in with_file])
    today = clock.today()
    for c in with_file:
        req = clearances.get(c.pk)
        if req is None:
            continue
        try:
            access = services._window_check(req, today)
        except RuleViolation:
            continue
        if access.warning:
            c.dig_access_ends_on, c.dig_access_days_left = access.ends_on, (access.ends_on - today).days


def _warning_when(request, context) -> bool:
    """The warning's own condition: its template is not rendered once per item for nothing (issue 19)."""
    access, citation = context.get("access"), context.get("citation")
    return bool(getattr(citation, "dig_access_ends_on", None)) and not (access is not None and access.edit)


def _editor_when(request, context) -> bool:
    """The request status and actions are for the list's editors (and the library) only."""
    access = context.get("access")
    return bool(access is not None and access.edit)


register_slot("citation_services", "fulfillment/_citation_file_warning.html", order=5, prepare=_prepare_warnings,
              when=_warning_when)
register_slot("citation_services", "fulfillment/_citation_services.html", order=20, prepare=_prepare, when=_editor_when)
register_slot("librarian_citation_services", "fulfillment/_citation_services.html", order=20, prepare=_prepare)
