"""Long-term digital loans' part of each list item's ``access`` (LDL-5, LDL-14), for the lists'
item-access registry: the title's lendable digital copies with whether one is free now, how
many are in use and how many people wait; per person (``mine``), their own request with its
place in the queue.  A fixed handful of queries for the whole page."""
from __future__ import annotations

from typing import Any

from django.db.models import Count, Exists, Q
from django.urls import reverse

from syllabus.catalog.models import Representation
from syllabus.lists.changes import EVERY, RECORDS, Watch
from syllabus.lists.item_access import Stamp, list_records, register, signature

from . import selectors, services
from .models import LoanRequest, Status


def loans(user, citations) -> dict[int, dict]:
    record_ids = {c.record_id for c in citations if c.record_id}
    if not record_ids:
        return {}
    inst_id = getattr(user, "institution_id", None)
    qs = Representation.objects.filter(record_id__in=record_ids, active=True, loan_settings__policy__long_term_loan=True)
    if inst_id:
        qs = qs.filter(library__institution_id=inst_id)
    reps = list(qs.select_related("loan_settings", "library").order_by("pk"))
    if not reps:
        return {}
    ids = [r.pk for r in reps]
    services.settle(ids)
    counts = {row["representation_id"]: row for row in LoanRequest.objects.filter(representation_id__in=ids)
              .values("representation_id").annotate(active=Count("id", filter=Q(status=Status.ACTIVE)),
                                                    waiting=Count("id", filter=Q(status=Status.READY)))}
    mine: dict[int, LoanRequest] = {}
    if getattr(user, "is_authenticated", False):
        requests = selectors.attach_places(list(LoanRequest.objects.filter(patron=user, representation_id__in=ids,
                                                                           status__in=[Status.READY, Status.ACTIVE])))
        mine = {r.representation_id: r for r in requests}
    by_record: dict[int, list] = {}
    for r in reps:
        by_record.setdefault(r.record_id, []).append(r)
    out: dict[int, dict] = {}
    for c in citations:
        entries: list[dict] = []
        own: dict[str, dict] = {}
        for r in by_record.get(c.record_id, []):
            n: Any = counts.get(r.pk, {})
            active, waiting = n.get("active", 0), n.get("waiting", 0)
            copies = r.loan_settings.concurrent_users
            entries.append({"kind": "loan", "label": r.label or "Digital loan", "url": reverse("lending:title", args=[r.pk]),
                            "available": copies > 0 and active < copies and waiting == 0, "copies": copies, "in_use": active,
                            "waiting": waiting, "note": ""})
            req = mine.get(r.pk)
            if req is not None and not own:
                own = {"loan": {"id": req.pk, "status": req.status, "step": req.step, "place_in_queue": getattr(req, "place", 0),
                                "url": reverse("lending:viewer", args=[req.pk]) if req.is_viewable else reverse("lending:title", args=[r.pk])}}
        if entries:
            out[c.pk] = {"online": entries, "mine": own}
    return out


def loans_stamp(user) -> Stamp:
    """Everything :func:`loans` reads for a list's items but the reader's own requests (issue 19):
    the lendable representations of their titles (label, copies, policy, library: in the list's
    change stamp, kept by triggers — lists.changes), the loans in use and waiting on them — read
    here, not kept by a trigger: a hand-over on the hot title writes no stamp row — and whether a
    timer of one of them is due now (then the page is computed the full way, which applies it: a
    state whose time has passed never shows)."""
    return Stamp(columns=_loans_columns, extra=getattr(user, "institution_id", None), fresh=("due",))


def _loans_columns(values) -> dict:
    records = list_records()
    requests = LoanRequest.objects.filter(representation__record_id__in=records)
    now = values["now"]
    due = requests.filter(status=Status.ACTIVE).filter(Q(step="in_grace_period", grace_due_at__lte=now)
                                                       | Q(step="is_being_viewed", session_due_at__lte=now))
    return {
        # (the end of a session too: circulation's part says when the first copy lent digitally is back, LDL-2)
        "requests": signature(requests.filter(status__in=[Status.ACTIVE, Status.READY]), "representation_id", "status",
                              "session_due_at"),
        "due": Exists(due),
    }


def loans_mine_exists(values):
    return Exists(LoanRequest.objects.filter(patron_id=values["user_id"], representation__record_id__in=list_records(),
                                             status__in=[Status.READY, Status.ACTIVE]))


def loans_mine(user, citations) -> dict[int, dict]:
    return {pk: part.get("mine", {}) for pk, part in loans(user, citations).items()}


register("loans", loans, order=40, stamp=loans_stamp, mine_exists=loans_mine_exists, mine=loans_mine, watches=(
    # (a hand-over's lock, ``SET concurrent_users = concurrent_users``, changes no watched value: no stamp
    # write; per row, so that its trigger's WHEN skips it without running anything — lists.0007)
    Watch("lending_loansettings", RECORDS, "SELECT record_id AS k FROM catalog_representation WHERE id = {row}.representation_id",
          ("representation_id", "policy_id", "concurrent_users"), per_row=True),
    Watch("lending_accessrightspolicy", RECORDS, EVERY, ("long_term_loan",)),
))
