"""Digitization's part of each list item's ``access`` (DIG-4, DSV-6), for the lists'
item-access registry: a scan delivered for the item, available inside its approved date range
(its copyright window) and marked unavailable before or after it.  One query for the page."""
from __future__ import annotations

import re

from django.db.models import Q
from django.urls import reverse

from syllabus.core import clock
from syllabus.lists.changes import LISTS, Watch, citation_list
from syllabus.lists.item_access import Stamp, register

from .models import DigitizationRequest, Kind, Status, TaskStatus


def shown_scans(citation_ids):
    """The delivered scans of these citations that their access shows (DIG-4): newest first."""
    return (DigitizationRequest.objects.filter(citation_id__in=citation_ids, kind=Kind.DIGITIZATION, representation__isnull=False,
                                               status__in=[Status.DELIVERED, Status.COMPLETED])
            .filter(Q(copyright=TaskStatus.APPROVED) | Q(copyright=TaskStatus.NOT_REQUIRED))
            .order_by("-delivered_at", "-id"))


#: the name of a citation's file copied from a delivered scan (fulfillment.citations.after_delivery)
_SCAN_COPY = re.compile(r"^lists/digitized-(\d+)-")


def files_shown_as_scans(citations) -> set[int]:
    """DIG-4: the citations whose own file is the copy of a scan their access shows ("Digitized
    copy: <file>", with its window): the list's "Download" link would offer it a second time
    (lists.file_guards).  One query, only when an item's file is such a copy."""
    copies = {}
    for c in citations:
        found = _SCAN_COPY.match(c.file.name or "") if c.file else None
        if found:
            copies[c.pk] = int(found.group(1))
    if not copies:
        return set()
    shown = set(shown_scans(list(copies)).filter(pk__in=set(copies.values())).values_list("citation_id", "pk"))
    return {cid for cid, req_id in copies.items() if (cid, req_id) in shown}


def scans(user, citations) -> dict[int, dict]:
    ids = [c.pk for c in citations]
    rows = shown_scans(ids).select_related("representation")
    today = clock.today()
    out: dict[int, dict] = {}
    for req in rows:
        cid = req.citation_id
        if cid is None or cid in out:
            continue
        start, end = req.start_date, req.end_date
        before = start is not None and today < start
        after = end is not None and today > end
        note = ""
        if start is not None and before:
            note = f"available from {start.isoformat()}"
        elif end is not None:
            note = f"was available until {end.isoformat()}" if after else f"available until {end.isoformat()}"
        out[cid] = {"online": [{
            "kind": "scan", "label": "Digitized copy", "url": reverse("fulfillment:file-page", args=[req.pk]),
            "file_name": req.representation.file.name.rsplit("/", 1)[-1] if req.representation.file else "",
            "available": not (before or after), "note": note,
            "window": "before" if before else "after" if after else "open",
            "from": req.start_date.isoformat() if req.start_date else None,
            "until": req.end_date.isoformat() if req.end_date else None}]}
    return out


def scans_stamp(user) -> Stamp:
    """Everything :func:`scans` — and the student view's warning of a clearance's last days
    (fulfillment.slots) — read for a list's items (issue 19): every digitization request of
    them (in the list's change stamp, kept by triggers: lists.changes), and today (a window
    opens and closes with the date)."""
    return Stamp(extra=clock.today().isoformat())


register("scans", scans, order=30, stamp=scans_stamp, watches=(Watch("fulfillment_digitizationrequest", LISTS, citation_list("citation_id")),))
